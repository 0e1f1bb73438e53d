// What to do about a failed probe: kvm-caps' advice per situation the kernel-behaviour table
// (lib/knowledge/probe-failures.ts) names. A failure with no fix here is one nothing on the host
// changes (an attribute this kernel lacks) or one only the finding around it can advise on.
// A fix that loads a module asks the KVM diagnosis whether modprobe can load it this boot, and
// says so instead where it cannot.
import type { ProbeFailure } from '../decode/failure.js';
import { failureRow } from '../knowledge/probe-failures.js';
import { noModuleLoadReason, type KvmDiagnosis } from './kvm-causes.js';

/** What a fix may ask modprobe to load here, and why not where it may not. */
interface Loads {
  /** The KVM vendor module (either one, where the CPU vendor is not known). */
  kvmVendor: boolean;
  /** The ccp driver (/dev/sev): only nomodule is known to stop it. */
  ccp: boolean;
  why: string;
}

type Fix = string | ((loads: Loads) => string);

const LOAD_KVM = 'load kvm and the vendor module (`modprobe kvm_intel` or `modprobe kvm_amd`)';
const RUN_AS_ROOT = 'run as root';
const ELSEWHERE =
  'in a VM, enable nested virtualization on the outer host; in a container, pass the device in (--device /dev/kvm)';
const loadKvm = ({ kvmVendor, why }: Loads): string =>
  kvmVendor ? LOAD_KVM : `a module load cannot help here (${why}): see why KVM is not usable`;
const enableSev = ({ ccp, why }: Loads): string =>
  ccp
    ? 'enable SEV (and SNP) in the BIOS, then load ccp (`modprobe ccp`)'
    : `enable SEV (and SNP) in the BIOS (no module load: ${why})`;

const FIXES: Readonly<Record<string, Readonly<Record<string, Fix>>>> = {
  'kvm-device-open': {
    ENOENT: ({ kvmVendor, why }) => (kvmVendor ? `${LOAD_KVM}; ${ELSEWHERE}` : `${ELSEWHERE} (no module load: ${why})`),
    EACCES:
      'add the user to the group that owns the device (usually `kvm`: ' +
      '`usermod -aG kvm $USER`, then log in again) or run as root',
    EPERM: 'allow the device for this container or service (e.g. docker --device /dev/kvm)',
    ENXIO: loadKvm,
    ENODEV: loadKvm,
  },
  'sev-device-open': {
    ENOENT: enableSev,
    EACCES: 'run as root, or give the user read access to /dev/sev',
    EPERM: 'run as root, or allow the device for this container or service',
  },
  'sev-device-stat': { ENOENT: enableSev },
  'kernel-log': {
    EPERM:
      'run as root, pass a saved log with --kernel-log FILE (`dmesg > ' + 'log.txt`), or set kernel.dmesg_restrict=0',
    EACCES: 'run as root, or pass a saved log with --kernel-log FILE (`dmesg > log.txt`)',
    ENOENT: 'pass a saved log with --kernel-log FILE',
  },
  'request:KVM_CREATE_VM': { EMFILE: 'raise `ulimit -n`' },
  errno: { EACCES: RUN_AS_ROOT, EPERM: RUN_AS_ROOT },
};

function loadsOf(diagnosis: KvmDiagnosis): Loads {
  const vendor = diagnosis.vendorModule;
  return {
    kvmVendor:
      vendor === null ? diagnosis.modprobe.kvm_intel || diagnosis.modprobe.kvm_amd : diagnosis.modprobe[vendor],
    ccp: !diagnosis.nomodule,
    why: noModuleLoadReason(diagnosis),
  };
}

/** The fix for a failed probe, where kvm-caps knows one; a module load only where the diagnosis says it can work. */
export function failureFix(failure: ProbeFailure, diagnosis: KvmDiagnosis): string | undefined {
  const row = failureRow(failure);
  // A request kvm-caps does not repeat after a signal: asking again is the whole fix.
  if (row.interrupted) return 'run kvm-caps again';
  const fix = FIXES[row.situation]?.[row.code];
  return typeof fix === 'function' ? fix(loadsOf(diagnosis)) : fix;
}
