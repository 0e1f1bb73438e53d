// What to do about a failed probe: kvm-caps' advice per situation the kernel-behaviour table
// (lib/knowledge/probe-failures.ts) names. A failure with no fix here is one nothing on the host
// changes (an attribute this kernel lacks) or one only the finding around it can advise on.
import type { ProbeFailure } from '../decode/failure.js';
import { failureRow } from '../knowledge/probe-failures.js';

const LOAD_KVM = 'load kvm and the vendor module (`modprobe kvm_intel` or `modprobe kvm_amd`)';
const RUN_AS_ROOT = 'run as root';

const FIXES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'kvm-device-open': {
    ENOENT:
      `${LOAD_KVM}; in a VM, enable nested virtualization on the outer host; in a container, pass the ` +
      'device in (--device /dev/kvm)',
    EACCES:
      'add the user to the group that owns the device (usually `kvm`: ' +
      '`usermod -aG kvm $USER`, then log in again) or run as root',
    EPERM: 'allow the device for this container or service (e.g. docker --device /dev/kvm)',
    ENXIO: LOAD_KVM,
    ENODEV: LOAD_KVM,
  },
  'sev-device-open': {
    ENOENT: 'enable SEV (and SNP) in the BIOS, then load ccp (`modprobe ccp`)',
    EACCES: 'run as root, or give the user read access to /dev/sev',
    EPERM: 'run as root, or allow the device for this container or service',
  },
  'sev-device-stat': { ENOENT: 'enable SEV (and SNP) in the BIOS, then load ccp (`modprobe ccp`)' },
  'kernel-log': {
    EPERM:
      'run as root, pass a saved log with --kernel-log FILE (`dmesg > ' + 'log.txt`), or set kernel.dmesg_restrict=0',
    EACCES: 'run as root, or pass a saved log with --kernel-log FILE (`dmesg > log.txt`)',
    ENOENT: 'pass a saved log with --kernel-log FILE',
  },
  'request:KVM_CREATE_VM': { EMFILE: 'raise `ulimit -n`' },
  errno: { EACCES: RUN_AS_ROOT, EPERM: RUN_AS_ROOT },
};

/** The fix for a failed probe, where kvm-caps knows one. */
export function failureFix(failure: ProbeFailure): string | undefined {
  const row = failureRow(failure);
  // A request kvm-caps does not repeat after a signal: asking again is the whole fix.
  if (row.situation.startsWith('interrupted:')) return 'run kvm-caps again';
  return FIXES[row.situation]?.[row.code];
}
