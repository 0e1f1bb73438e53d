// Why TDX is not usable on this host, and what would fix it: every cause the facts support,
// strongest first, each with its evidence (the fact, its value, where it was read). These are
// judgments, so they live with the checks; the TDX rules and `kvm-caps tdx` both show them.
import { describeHwError, factText, parameterOk, parameterText, say, stateText, TDX_WORDS } from './tdx-text.js';
import { decodeHwError, decodeTdAttributes } from '../decode/tdx-fields.js';
import { failureMeaning } from '../knowledge/probe-failures.js';
import { describeSource } from '../decode/sourced.js';
import { logSource, tdxLogContext, type LogContext, type TdxBringupFailure, type TdxView } from '../decode/tdx.js';
import { isKnown, type Traced } from '../decode/sourced.js';
import { kernelChange, kernelHas, releaseRangeText } from '../knowledge/kernel-versions.js';
import {
  QEMU_TDX_VM_TYPE_MESSAGES,
  TDX_FEATURES0_BITS,
  TDX_MAX_CPUID_CONFIGS,
  TDX_PARAMETERS,
} from '../knowledge/tdx.js';
import type { KvmTdxMessageKind } from '../decode/tdx-log.js';
import type { Snapshot } from '../snapshot/types.js';
import { kvmDiagnosis, type KvmDiagnosis } from './kvm-causes.js';

/** How many CPUID entries kvm-caps grows KVM_TDX_CAPABILITIES' buffer to (native/kvm_ioctl.h kMaxCpuidEntries). */
const TDX_CPUID_ENTRIES_LIMIT = 4096;

/** Statuses of a failed TDH.SYS.* call that an old BIOS or TDX module causes (canonical/tdx#161). */
const STATUSES_FIXED_BY_UPDATE: ReadonlySet<string> = new Set([
  'TDX_INCORRECT_CPUID_VALUE',
  'TDX_INCORRECT_MSR_VALUE',
  'TDX_SYS_NOT_READY',
]);

/** Which step of starting a TD an explanation is about: the TD rules take its hint or message from there. */
export type TdStep = 'create-vm' | 'capabilities' | 'init-vm';

/** What the TDX rules ask of an explanation's code. */
interface CodeRow {
  offSwitch?: true;
  step?: TdStep;
}

/**
 * Every explanation's code, with what the TDX rules ask of it. `offSwitch`: a cause that makes KVM leave
 * kvm_intel.tdx N (the "why TDX is off" of the kvm_intel.tdx check); `step`: the TD step whose failure it explains.
 */
export const TDX_EXPLANATION_CODES = {
  'tdx-bringup-failed-kvm-not-loaded': {},
  'guest-log': {},
  'tdx-vm-type-not-offered': { step: 'create-vm' },
  'tdx-vm-refused': { step: 'create-vm' },
  'tdx-vm-create-failed': { step: 'create-vm' },
  'not-intel': {},
  'kernel-predates-tdx-uapi': {},
  'kvm-intel-not-loaded': {},
  'kvm-intel-without-tdx': {},
  'tdx-parameter-off': {},
  'prerequisite-parameter-off': { offSwitch: true },
  'platform-not-enabled': { offSwitch: true },
  'module-not-loaded': { offSwitch: true },
  'module-init-failed': { offSwitch: true },
  'module-not-initialized': { offSwitch: true },
  'kvm-parameter': { offSwitch: true },
  'kvm-cpu-feature': { offSwitch: true },
  'kvm-platform': { offSwitch: true },
  'kvm-module-limit': { offSwitch: true },
  'kvm-other': { offSwitch: true },
  'no-cause-found': {},
  'capabilities-enotty': { step: 'capabilities' },
  'capabilities-einval': { step: 'capabilities' },
  'capabilities-eio': { step: 'capabilities' },
  'capabilities-e2big': { step: 'capabilities' },
  'capabilities-failed': { step: 'capabilities' },
  'init-vm-package-offline': { step: 'init-vm' },
  'init-vm-refused-by-tdx-module': { step: 'init-vm' },
  'init-vm-refused': { step: 'init-vm' },
  'no-free-td-keys': {},
  'key-count-mismatch': {},
  'module-lacks-topology-enum': {},
  'module-lacks-no-rbp-mod': {},
  'no-module-update-left': {},
  'runtime-update-files-absent': {},
  'vm-types-inconsistent': {},
} as const satisfies Record<string, CodeRow>;

export type TdxExplanationCode = keyof typeof TDX_EXPLANATION_CODES;

const rowOf = (code: TdxExplanationCode): CodeRow => TDX_EXPLANATION_CODES[code];

/** Whether this cause makes KVM leave TDX off (kvm_intel.tdx N). */
export const turnsTdxOff = (code: TdxExplanationCode): boolean => rowOf(code).offSwitch === true;

/** Whether this explanation is about that step of starting a TD. */
export const explainsStep = (code: TdxExplanationCode, step: TdStep): boolean => rowOf(code).step === step;

/** The kvm_intel TDX log lines that turn TDX off, by kind (SEAMCALL and module-init lines are the module's cause). */
const KVM_MESSAGE_CODES: Readonly<
  Record<Exclude<KvmTdxMessageKind, 'seamcall' | 'module-init' | 'package-offline'>, TdxExplanationCode>
> = {
  parameter: 'kvm-parameter',
  'cpu-feature': 'kvm-cpu-feature',
  platform: 'kvm-platform',
  'module-limit': 'kvm-module-limit',
  other: 'kvm-other',
};

/**
 * Whether this bring-up failure makes kvm_intel's init fail on this kernel (no /dev/kvm), by
 * the kernel-version table: true, false, or null when the release cannot be read.
 * 6.16 on: any failure but the prerequisite checks and -ENODEV ("module not loaded") fails the
 * load; 7.2 on, a module that failed to initialise in the core kernel is -ENODEV to KVM too.
 */
export function bringupFailsKvmLoad(failure: TdxBringupFailure, release: string | undefined): boolean | null {
  if (failure.kind === 'prerequisite' || failure.kind === 'module-not-loaded') return false;
  const fails = kernelHas('kvm.tdx-bringup-failure-fails-load', release);
  if (fails === undefined) return null;
  if (!fails) return false;
  if (failure.kind === 'module-limit') return true;
  const enodev = kernelHas('kvm.tdx-module-init-failure-is-enodev', release);
  return enodev === undefined ? null : !enodev;
}

/**
 * The fix for a bring-up failure that keeps kvm_intel from loading: never "retry tdx=1"; tdx=0 through modprobe only
 * where the diagnosis says modprobe can load kvm_intel this boot.
 */
export function bringupFailedFix(diagnosis: KvmDiagnosis): string {
  const tdxOff = diagnosis.modprobe.kvm_intel
    ? 'load kvm_intel with tdx=0 (`modprobe kvm_intel tdx=0`, or kvm_intel.tdx=0 on the kernel command line)'
    : 'boot with kvm_intel.tdx=0 on the kernel command line (kvm_intel cannot be loaded with modprobe here)';
  return (
    `fix the cause in the BIOS or the TDX module (see the TDX check); to get plain KVM back meanwhile, ${tdxOff}. ` +
    'Retrying tdx=1 fails the same way'
  );
}

/** The fix for a kvm_intel that is not loaded, where TDX bring-up did not stop it: load it with tdx=1. */
export function loadKvmIntelFix(diagnosis: KvmDiagnosis): string {
  return diagnosis.modprobe.kvm_intel
    ? 'modprobe kvm_intel tdx=1'
    : 'boot with kvm_intel.tdx=1 on the kernel command line (kvm_intel cannot be loaded with modprobe here)';
}

export interface TdxExplanation {
  /** Stable identifier, e.g. 'kernel-predates-tdx-uapi'. */
  code: TdxExplanationCode;
  /** 'cause': the facts show it; 'likely-cause': consistent with the facts; 'note': context. */
  weight: 'cause' | 'likely-cause' | 'note';
  message: string;
  hint?: string;
  evidence: { fact: string; value: string; source: string }[];
}

function evidenceOf<T>(
  fact: string,
  item: Traced<T>,
  words: (value: T) => string,
): { fact: string; value: string; source: string } {
  return { fact, value: factText(item, words), source: item.source ?? 'not collected' };
}

interface Facts extends TdxView {
  snapshot: Snapshot;
  /** Why KVM is or is not usable: a fix loads kvm_intel with modprobe only where it can. */
  kvm: KvmDiagnosis;
  release: Traced<string>;
  log: LogContext;
}

/** Why the TDX VM type is not there: every cause the other facts support, strongest first. */
function whyNoTdxVm(f: Facts): TdxExplanation[] {
  const out: TdxExplanation[] = [];
  const cpu = f.snapshot.host.cpuinfo;
  const vendor = 'value' in cpu ? cpu.value.vendor_id : undefined;
  if (vendor !== undefined && vendor !== 'GenuineIntel') {
    return [
      {
        code: 'not-intel',
        weight: 'cause',
        message: `TDX is an Intel technology; this CPU is ${vendor}`,
        evidence: [{ fact: 'CPU vendor', value: vendor, source: `${describeSource(cpu.source)} (vendor_id)` }],
      },
    ];
  }
  const rel = f.release;
  if (isKnown(rel)) {
    if (kernelHas('tdx.kvm-uapi', rel.value) === false) {
      const evidence = [evidenceOf('kernel release', rel, TDX_WORDS.kernelRelease)];
      if (isKnown(f.vmType) && f.vmType.value.mask === 0 && kernelHas('kvm.cap-vm-types', rel.value) === false) {
        evidence.push(evidenceOf('KVM_CAP_VM_TYPES', f.vmType, TDX_WORDS.vmType));
      }
      out.push({
        code: 'kernel-predates-tdx-uapi',
        weight: 'cause',
        message:
          `Linux ${rel.value} predates KVM's TDX support (KVM_X86_TDX_VM and KVM_TDX_CAPABILITIES were merged ` +
          `in ${kernelChange('tdx.kvm-uapi').since}), so KVM_CREATE_VM(5) is refused with EINVAL`,
        hint:
          'run a 6.16 or newer kernel; a vendor kernel may carry an earlier, incompatible TDX interface (e.g. ' +
          'Ubuntu 6.8 -intel), usable only with the VMM built for it',
        evidence,
      });
    }
  }
  const tdx = f.parameters.find((p) => p.module === 'kvm_intel' && p.parameter === 'tdx');
  const modulesFact = f.snapshot.host.modules;
  if ('value' in modulesFact && modulesFact.value.kvm_intel === undefined) {
    out.push({
      code: 'kvm-intel-not-loaded',
      weight: 'cause',
      message: 'kvm_intel is not loaded, so no Intel VM type (TDX included) is offered',
      hint:
        f.bringupFailure !== null &&
        bringupFailsKvmLoad(f.bringupFailure, isKnown(rel) ? rel.value : undefined) !== false
          ? bringupFailedFix(f.kvm)
          : loadKvmIntelFix(f.kvm),
      evidence: [{ fact: 'kernel modules', value: 'no kvm_intel', source: describeSource(modulesFact.source) }],
    });
  } else if (tdx !== undefined && parameterOk(tdx) === false) {
    out.push({
      code: tdx.value === null ? 'kvm-intel-without-tdx' : 'tdx-parameter-off',
      weight: 'cause',
      message:
        tdx.value === null
          ? 'kvm_intel has no tdx parameter: this KVM was built without TDX (CONFIG_KVM_INTEL_TDX) or predates it'
          : 'kvm_intel.tdx is N: TDX was not requested (kvm_intel.tdx=1), or KVM turned it off because TDX ' +
            'bring-up failed (the causes below say which)',
      hint:
        tdx.value === null
          ? undefined
          : 'boot with kvm_intel.tdx=1 (or options kvm_intel tdx=1 in modprobe.d) and check the kernel log for ' +
            'the reason if it stays N',
      evidence: [{ fact: 'kvm_intel.tdx', value: parameterText(tdx), source: tdx.source }],
    });
  }
  for (const p of f.parameters) {
    if (p.parameter === 'tdx' || parameterOk(p) !== false || p.found === 'module-not-loaded') continue;
    if (p.value === null) continue;
    const row = TDX_PARAMETERS.find((q) => q.module === p.module && q.parameter === p.parameter);
    if (row !== undefined && isKnown(rel) && kernelHas(row.checkedBy, rel.value) === false) continue;
    out.push({
      code: 'prerequisite-parameter-off',
      weight: 'cause',
      message: `${p.module}.${p.parameter} is ${p.value}${row === undefined ? '' : `: ${row.reason}`}`,
      hint: `load ${p.module} with ${p.parameter}=1`,
      evidence: [{ fact: `${p.module}.${p.parameter}`, value: parameterText(p), source: p.source }],
    });
  }
  if (isKnown(f.cpuFlag) && !f.cpuFlag.value) {
    const evidence = [evidenceOf('CPU flag tdx_host_platform', f.cpuFlag, TDX_WORDS.cpuFlag)];
    if (f.log.facts !== null && f.log.facts.keyIdRange === undefined) {
      evidence.push({
        fact: 'kernel log',
        value: 'no "BIOS enabled: private KeyID range" line',
        source: f.log.source ?? 'kernel log',
      });
    }
    out.push({
      code: 'platform-not-enabled',
      weight: 'cause',
      message:
        'the kernel did not mark this host TDX-capable (tdx_host_platform): the BIOS has not enabled TDX (no ' +
        'TDX private KeyIDs), fewer than 2 KeyIDs are reserved, or hibernation is enabled (tdx_init())',
      hint: 'enable TDX in the BIOS (TME, TME-MT/TDX key split > 0, SEAM loader) and boot with nohibernate',
      evidence,
    });
  }
  const state = f.moduleState;
  if (isKnown(state) && state.value.state !== 'initialized') {
    const failures = f.log.facts?.seamcallFailures ?? [];
    const evidence = [evidenceOf('TDX module state', state, TDX_WORDS.moduleState)];
    for (const failure of failures) {
      evidence.push({
        fact: `SEAMCALL ${failure.value.leafName ?? failure.value.leaf ?? '?'}`,
        value: `${failure.value.status} = ${describeHwError(decodeHwError(failure.value.status))}`,
        source: logSource(f.log, failure),
      });
    }
    const initFailure = failures.find((failure) => failure.value.leafName?.startsWith('TDH.SYS.') === true);
    const failedCall =
      state.value.state === 'failed' && initFailure !== undefined
        ? `The TDX module failed to initialise: ${initFailure.value.leafName} returned ` +
          `${initFailure.value.statusName ?? initFailure.value.status}`
        : null;
    out.push({
      code:
        state.value.state === 'not-loaded'
          ? 'module-not-loaded'
          : state.value.state === 'failed'
            ? 'module-init-failed'
            : 'module-not-initialized',
      weight: 'cause',
      message:
        `${failedCall ?? `TDX module: ${stateText(state.value)}`}; ` +
        'KVM offers TDX only once the module is initialised',
      hint:
        state.value.state === 'not-loaded'
          ? 'enable the SEAM loader / TDX in the BIOS so that it loads a TDX module'
          : initFailure !== undefined && STATUSES_FIXED_BY_UPDATE.has(initFailure.value.statusName ?? '')
            ? `update the BIOS and the TDX module: ${initFailure.value.statusName} at bring-up means the ` +
              `module does not accept this platform's configuration (canonical/tdx#161: an old BIOS)`
            : 'check the BIOS TDX settings and the BIOS / TDX module version; the SEAMCALL status names the ' +
              'check that failed',
      evidence,
    });
  }
  for (const fact of f.log.facts?.kvmMessages ?? []) {
    const message = fact.value;
    if (message.kind === 'seamcall' || message.kind === 'module-init' || message.kind === 'package-offline') continue;
    if (message.kind === 'parameter' && out.some((e) => e.code === 'prerequisite-parameter-off')) continue;
    const explanation: TdxExplanation = {
      code: KVM_MESSAGE_CODES[message.kind],
      weight: 'cause',
      message: `kvm_intel turned TDX off: ${message.text}`,
      evidence: [{ fact: 'kernel log', value: message.text, source: fact.source }],
    };
    if (message.kind === 'parameter' && message.parameters.length > 0) {
      // Pre-merge KVM's "TDX requires TDP MMU" names no parameter: it is kvm.tdp_mmu (or kvm.mmio_caching).
      const parameters = message.parameters.join(', ');
      explanation.message = `kvm_intel turned TDX off: ${message.text} (module parameter ${parameters})`;
      explanation.hint =
        `turn ${message.parameters.join(', ')} on (${message.parameters.map((p) => `${p}=1`).join(' ')} on the ` +
        `kernel command line), then reload kvm and kvm_intel`;
    }
    out.push(explanation);
  }
  if (out.length === 0 || out.every((e) => e.code === 'tdx-parameter-off')) {
    const gaps: string[] = [];
    if (!isKnown(f.log.fact)) gaps.push(`kernel log ${say.kernelLog(f.log.fact)}`);
    if (!isKnown(f.moduleState)) gaps.push(`TDX module state ${say.moduleState(f.moduleState)}`);
    if (!isKnown(f.cpuFlag)) gaps.push(`CPU flags ${say.cpuFlag(f.cpuFlag)}`);
    out.push({
      code: 'no-cause-found',
      weight: 'note',
      message:
        gaps.length === 0
          ? 'no cause found in the facts collected'
          : `no cause found in the facts collected; missing: ${gaps.join('; ')}`,
      evidence: [],
    });
  }
  return out;
}

function kvmDeviceMissing(snapshot: Snapshot): boolean {
  const node = snapshot.host.device;
  const open = snapshot.kvm.open;
  return (
    (node !== undefined && 'error' in node && node.error.code === 'ENOENT') ||
    (open !== undefined && 'error' in open && open.error.code === 'ENOENT')
  );
}

/** Item: a failed TDX bring-up that left no /dev/kvm (6.16 on), or one that left KVM loaded without TDX. */
function bringupExplanations(f: Facts): TdxExplanation[] {
  const failure = f.bringupFailure;
  if (failure === null) return [];
  const release = isKnown(f.release) ? f.release.value : undefined;
  const fails = bringupFailsKvmLoad(failure, release);
  const evidence = [{ fact: 'kernel log', value: failure.evidence.value, source: failure.evidence.source }];
  if (isKnown(f.release)) evidence.push(evidenceOf('kernel release', f.release, TDX_WORDS.kernelRelease));
  if (fails !== false && kvmDeviceMissing(f.snapshot)) {
    const failsLoadRange = releaseRangeText('kvm.tdx-bringup-failure-fails-load');
    return [
      {
        code: 'tdx-bringup-failed-kvm-not-loaded',
        weight: fails === true ? 'cause' : 'likely-cause',
        message:
          `kvm_intel did not load: TDX bring-up failed ("${failure.evidence.value}"), and on Linux ${failsLoadRange} ` +
          `a TDX failure other than a missing TDX module or a missing prerequisite makes kvm_intel's init fail${
            failure.kind === 'module-init'
              ? ` (a module that failed to initialise does so up to ` +
                `${kernelChange('kvm.tdx-module-init-failure-is-enodev').since})`
              : ''
          }, so there is no /dev/kvm at all`,
        hint: bringupFailedFix(f.kvm),
        evidence,
      },
    ];
  }
  return [];
}

function guestLogExplanation(f: Facts): TdxExplanation[] {
  if (f.guestLog === null) return [];
  return [
    {
      code: 'guest-log',
      weight: 'note',
      message:
        `the kernel log is from a TDX guest ("${f.guestLog.first.value}"): a TD's kernel prints these lines, a ` +
        `host's never does (arch/x86/coco/tdx, every kernel with TDX guest support). kvm-caps reports a host's ` +
        `capabilities: run it on the host; the TDX host facts cannot be read from inside a TD`,
      evidence: [
        { fact: 'kernel log', value: `${f.guestLog.lines} TD guest line(s)`, source: f.guestLog.first.source },
      ],
    },
  ];
}

/** What this kernel's KVM requires of TDX_FEATURES0, checked against the known module release. */
function featuresExplanations(f: Facts): TdxExplanation[] {
  const release = f.moduleRelease;
  if (release === null || !isKnown(f.release)) return [];
  const out: TdxExplanation[] = [];
  const has = (name: string): boolean =>
    release.features0Bits.includes(TDX_FEATURES0_BITS.find((b) => b.name === name)?.bit ?? -1);
  const evidence = [
    evidenceOf('TDX module version', f.moduleVersion, TDX_WORDS.moduleVersion),
    {
      fact: 'TDX_FEATURES0',
      value: `${release.features0} (intel/tdx-module-binaries, module ${release.version})`,
      source: 'lib/knowledge/tdx-module.ts TDX_MODULE_RELEASES',
    },
  ];
  if (kernelHas('tdx.kvm-uapi', f.release.value) === true && !has('TOPOLOGY_ENUM')) {
    const failsLoad =
      kernelHas('kvm.tdx-module-init-failure-is-enodev', f.release.value) === false ||
      kernelHas('kvm.tdx-bringup-failure-fails-load', f.release.value) === true;
    out.push({
      code: 'module-lacks-topology-enum',
      weight: 'cause',
      message:
        `TDX module ${release.version} lacks TDX_FEATURES0.TOPOLOGY_ENUM (bit 20): KVM on Linux ` +
        `${releaseRangeText('tdx.kvm-uapi')} gives up on TDX with it, silently (no log line)` +
        `${failsLoad ? ', and kvm_intel then fails to load (no /dev/kvm)' : ''}`,
      hint:
        `update the TDX module to one with TOPOLOGY_ENUM (1.5.05 or later); meanwhile ` +
        `${failsLoad ? 'load kvm_intel with tdx=0 for plain KVM' : 'KVM runs without TDX'}`,
      evidence,
    });
  }
  if (kernelHas('tdx.host-platform-flag', f.release.value) === true && !has('NO_RBP_MOD')) {
    out.push({
      code: 'module-lacks-no-rbp-mod',
      weight: 'cause',
      message:
        `TDX module ${release.version} lacks TDX_FEATURES0.NO_RBP_MOD (bit 18): the kernel refuses it ("frame ` +
        `pointer (RBP) clobber bug present, upgrade TDX module")`,
      hint: 'update the TDX module',
      evidence,
    });
  }
  return out;
}

/** Linux 7.2's tdx_host runtime-update files: why they are absent, and what 0 remaining updates means. */
function runtimeUpdateExplanations(f: Facts): TdxExplanation[] {
  const { seamldrVersion, numRemainingUpdates } = f.runtimeUpdate;
  const out: TdxExplanation[] = [];
  if (isKnown(numRemainingUpdates) && numRemainingUpdates.value === 0) {
    out.push({
      code: 'no-module-update-left',
      weight: 'note',
      message: 'num_remaining_updates is 0: no further TDX module runtime update is possible until the host reboots',
      evidence: [evidenceOf('num_remaining_updates', numRemainingUpdates, TDX_WORDS.numRemainingUpdates)],
    });
  }
  if (isKnown(seamldrVersion) && isKnown(numRemainingUpdates)) return out;
  if (!isKnown(f.moduleState) || f.moduleState.value.state !== 'initialized') return out;
  const release = isKnown(f.release) ? f.release.value : undefined;
  const raw = f.snapshot.host.tdxSeamldrVersion ?? f.snapshot.host.tdxNumRemainingUpdates;
  // Before 7.2 no kernel has them: that needs no note on every older host (the render says which kernels show them).
  if (kernelHas('tdx.runtime-update-sysfs', release) === false) return out;
  let why: string;
  if (release === undefined)
    why = `this kernel may predate them (Linux ${releaseRangeText('tdx.runtime-update-sysfs')})`;
  else if (raw !== undefined && 'error' in raw && (raw.error.code === 'EACCES' || raw.error.code === 'EPERM'))
    why = 'they are readable by root only (mode 0400): run as root';
  else if (f.moduleRelease !== null && !f.moduleRelease.features0Bits.includes(1))
    why =
      `TDX module ${f.moduleRelease.version} does not support runtime update (TDX_FEATURES0 lacks ` +
      `TD_PRESERVING, bit 1)`;
  else if (raw === undefined) why = 'they were not read';
  else
    why =
      'the module does not support runtime update (TDX_FEATURES0.TD_PRESERVING), or this CPU has the SEAMRET ' +
      'bug (X86_BUG_SEAMRET_INVD_VMCS), for which the kernel hides them';
  out.push({
    code: 'runtime-update-files-absent',
    weight: 'note',
    message:
      `no TDX module runtime-update facts (/sys/devices/faux/tdx_host/seamldr_version, num_remaining_updates): ` +
      `${why}`,
    evidence: [
      evidenceOf('seamldr_version', seamldrVersion, TDX_WORDS.seamldrVersion),
      evidenceOf('num_remaining_updates', numRemainingUpdates, TDX_WORDS.numRemainingUpdates),
    ],
  });
  return out;
}

/** KVM_CAP_VM_TYPES 0 on a kernel that has it (6.8 on): no real kernel answers that. */
function vmTypesExplanations(f: Facts): TdxExplanation[] {
  if (!isKnown(f.vmType) || f.vmType.value.mask !== 0 || !isKnown(f.release)) return [];
  if (kernelHas('kvm.cap-vm-types', f.release.value) !== true) return [];
  return [
    {
      code: 'vm-types-inconsistent',
      weight: 'note',
      message:
        `KVM_CAP_VM_TYPES answered 0, which Linux ${releaseRangeText('kvm.cap-vm-types')} never does (it ` +
        `always offers KVM_X86_DEFAULT_VM): the snapshot is inconsistent (edited, or assembled from two hosts)`,
      evidence: [
        evidenceOf('KVM_CAP_VM_TYPES', f.vmType, TDX_WORDS.vmType),
        evidenceOf('kernel release', f.release, TDX_WORDS.kernelRelease),
      ],
    },
  ];
}

function explanations(f: Facts): TdxExplanation[] {
  const out: TdxExplanation[] = [...bringupExplanations(f), ...guestLogExplanation(f)];
  const vm = f.vmType;
  const create = f.createVm;
  const refused = isKnown(create) && !create.value.ok ? create.value.failure : null;
  const notOffered = isKnown(vm) && !vm.value.offered;
  if (notOffered || (refused !== null && refused.code === 'EINVAL')) {
    const lead: TdxExplanation = {
      code: notOffered ? 'tdx-vm-type-not-offered' : 'tdx-vm-refused',
      weight: 'note',
      message: notOffered
        ? `KVM does not offer KVM_X86_TDX_VM (bit 5 of KVM_CAP_VM_TYPES): QEMU stops with ` +
          `${QEMU_TDX_VM_TYPE_MESSAGES.map((m) => `"${m.text}" (${m.qemu})`).join(', or ')}`
        : 'KVM_CREATE_VM(KVM_X86_TDX_VM) was refused with EINVAL: this KVM does not offer the TDX VM type',
      evidence: [
        notOffered
          ? evidenceOf('KVM_CAP_VM_TYPES', vm, TDX_WORDS.vmType)
          : evidenceOf('KVM_CREATE_VM(5)', create, TDX_WORDS.createVm),
      ],
    };
    out.push(lead, ...whyNoTdxVm(f));
  } else if (refused !== null) {
    out.push({
      code: 'tdx-vm-create-failed',
      weight: 'cause',
      message: `KVM_CREATE_VM(KVM_X86_TDX_VM) failed with ${refused.code}: ${failureMeaning(refused)}`,
      evidence: [evidenceOf('KVM_CREATE_VM(5)', create, TDX_WORDS.createVm)],
    });
  }
  const caps = f.capabilities;
  if (isKnown(caps) && !caps.value.ok) {
    const e = caps.value;
    const messages: Record<string, { code: TdxExplanationCode; message: string; hint?: string }> = {
      ENOTTY: {
        code: 'capabilities-enotty',
        message:
          'KVM_MEMORY_ENCRYPT_OP(KVM_TDX_CAPABILITIES) is not implemented here: the kernel lacks the ' +
          'upstream TDX uAPI (an out-of-tree TDX kernel with a different interface answers ENOTTY)',
        hint:
          'use a 6.16+ kernel, or the VMM built for this vendor kernel (canonical/tdx#114: ' +
          '"KVM_TDX_CAPABILITIES failed: Inappropriate ioctl for device")',
      },
      EINVAL: {
        code: 'capabilities-einval',
        message:
          'KVM_TDX_CAPABILITIES was refused as invalid: the kernel expects a different kvm_tdx_cmd / ' +
          'kvm_tdx_capabilities layout (a pre-6.16 TDX uAPI)',
      },
      EIO: {
        code: 'capabilities-eio',
        message:
          'KVM_TDX_CAPABILITIES failed with EIO: KVM computed no supported attributes or XFAM for this TDX ' +
          'module (init_kvm_tdx_caps())',
        hint: 'update the TDX module or the kernel',
      },
      E2BIG: {
        code: 'capabilities-e2big',
        message:
          `KVM_TDX_CAPABILITIES kept answering E2BIG beyond ${TDX_CPUID_ENTRIES_LIMIT} CPUID entries, more ` +
          `than any kernel reports (at most ${TDX_MAX_CPUID_CONFIGS}, the size of cpuid_config_leaves[])`,
      },
    };
    const known = messages[e.failure.code] ?? {
      code: 'capabilities-failed',
      message: `KVM_TDX_CAPABILITIES failed with ${e.failure.code}: ${failureMeaning(e.failure)}`,
    };
    const explanation: TdxExplanation = {
      ...known,
      weight: 'cause',
      evidence: [evidenceOf('KVM_TDX_CAPABILITIES', caps, TDX_WORDS.capabilities)],
    };
    if (e.hwError !== null && e.hwError.value !== '0x0000000000000000') {
      explanation.evidence.push({
        fact: 'hw_error',
        value: `${e.hwError.value} = ${describeHwError(e.hwError)}`,
        source: caps.source,
      });
    }
    out.push(explanation);
  }
  const init = f.initVm;
  if (init !== null && isKnown(init) && !init.value.ok) {
    const e = init.value;
    const requested = f.snapshot.kvm.tdx?.initVm?.config;
    const evidence = [evidenceOf('KVM_TDX_INIT_VM', init, TDX_WORDS.initVm)];
    if (requested !== undefined) {
      const attrs = decodeTdAttributes(requested.attributes);
      evidence.push({
        fact: 'requested attributes',
        value: `${attrs.mask} (${attrs.attributes.map((a) => a.name).join(', ') || 'none'})`,
        source: 'kvm-caps --deep KVM_TDX_INIT_VM configuration',
      });
    }
    const hw = e.hwError !== null && e.hwError.value !== '0x0000000000000000' ? e.hwError : null;
    const offline = f.log.facts?.kvmMessages.find((m) => m.value.kind === 'package-offline');
    if (e.failure.code === 'EIO' && offline !== undefined) {
      out.push({
        code: 'init-vm-package-offline',
        weight: 'cause',
        message:
          `KVM_TDX_INIT_VM failed with EIO because a CPU package has no online CPU: KVM needs one online CPU ` +
          `in every package to create a TD ("${offline.value.text}"; Linux ` +
          `${releaseRangeText('tdx.kvm-uapi')}, tdx.c MSG_ALLPKG)`,
        hint:
          'bring at least one CPU of every package online (echo 1 > /sys/devices/system/cpu/cpuN/online), then ' +
          'create the TD again',
        evidence: [...evidence, { fact: 'kernel log', value: offline.value.text, source: offline.source }],
      });
    } else
      out.push({
        code: hw !== null ? 'init-vm-refused-by-tdx-module' : 'init-vm-refused',
        weight: 'cause',
        message:
          hw !== null
            ? `the TDX module refused the TD parameters: ${describeHwError(hw)} (hw_error ${hw.value}; KVM ` +
              `passes TDH.MNG.INIT's TDX_OPERAND_INVALID back in hw_error)`
            : `KVM_TDX_INIT_VM failed with ${e.failure.code}: ${failureMeaning(e.failure)}${
                e.failure.code === 'EINVAL'
                  ? ' (KVM itself refuses attributes or XFAM bits outside KVM_TDX_CAPABILITIES, with hw_error 0)'
                  : e.failure.code === 'EIO'
                    ? ' (a SEAMCALL failed, or a CPU package had no online CPU: the kernel log says which)'
                    : ''
              }`,
        evidence,
      });
  }
  if (isKnown(f.tdKeys) && f.tdKeys.value.free === 0) {
    out.push({
      code: 'no-free-td-keys',
      weight: 'note',
      message:
        `all ${f.tdKeys.value.capacity} TD keys are in use: a new TD cannot get a private KeyID until one is ` +
        `shut down`,
      evidence: [evidenceOf('misc cgroup tdx', f.tdKeys, TDX_WORDS.tdKeys)],
    });
  }
  if (isKnown(f.tdKeys) && isKnown(f.privateKeyIds) && f.tdKeys.value.capacity !== f.privateKeyIds.value.guestKeyIds) {
    out.push({
      code: 'key-count-mismatch',
      weight: 'note',
      message:
        `the misc cgroup offers ${f.tdKeys.value.capacity} TD keys but the BIOS range leaves ` +
        `${f.privateKeyIds.value.guestKeyIds} for TDs`,
      evidence: [
        evidenceOf('misc cgroup tdx', f.tdKeys, TDX_WORDS.tdKeys),
        evidenceOf('private KeyIDs', f.privateKeyIds, TDX_WORDS.privateKeyIds),
      ],
    });
  }
  out.push(...featuresExplanations(f), ...runtimeUpdateExplanations(f), ...vmTypesExplanations(f));
  return out;
}

/**
 * The causes and notes the TDX facts support, for a TDX model decoded from this snapshot; the check run passes the
 * KVM diagnosis it made of the same snapshot.
 */
export function tdxCauses(
  snapshot: Snapshot,
  model: TdxView,
  kvm: KvmDiagnosis = kvmDiagnosis(snapshot),
): TdxExplanation[] {
  return explanations({ ...model, snapshot, kvm, release: model.kernelRelease, log: tdxLogContext(snapshot) });
}
