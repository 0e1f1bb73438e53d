// The words for the TDX model's facts: what each known value, error or gap reads as, in the
// checks' `found` lines, in `diff` and in `kvm-caps tdx`. Decode keeps typed values only.
import type { DecodedHwError } from '../decode/tdx-fields.js';
import type { Traced } from '../decode/sourced.js';
import type {
  ProbeOutcome,
  TdxCapabilitiesView,
  TdxFact,
  TdxGap,
  TdxModuleState,
  TdxParameterRow,
  TdxView,
} from '../decode/tdx.js';
import { hex } from '../knowledge/hex.js';
import { kernelChange, releaseRangeText } from '../knowledge/kernel-versions.js';
import { failureMeaning } from '../knowledge/probe-failures.js';

type Value<F> = Extract<F, { value: unknown }>['value'];

/** What the tdx_host version file's answer says, for a module version that is not known. */
function versionFileText(code: string | null): string {
  if (code === null) return '/sys/devices/faux/tdx_host/version was not read';
  if (code === 'ENXIO') return 'the version file answers ENXIO (the TDX module is not initialised)';
  if (code === 'ENOENT') {
    return (
      `no /sys/devices/faux/tdx_host/version (kernels before ${kernelChange('tdx.sysfs-module-version').since}, ` +
      'or TDX not initialised)'
    );
  }
  return `the version file could not be read (${code})`;
}

/** A TDX fact that is not known, with what the gap says about the host. */
export function gapText(missing: string, gap: TdxGap | undefined): string {
  switch (gap?.kind) {
    case undefined:
      return missing;
    case 'kvm-capabilities-not-probed':
      return `${missing} (see the KVM device facts)`;
    case 'kernel-log-not-read':
      return (
        `${missing}: reading the kernel log needs CAP_SYSLOG (or kernel.dmesg_restrict=0); give a saved log ` +
        'with --kernel-log'
      );
    case 'no-keyid-line':
      return `${missing} (the BIOS did not enable TDX, or the line is no longer in the log buffer)`;
    case 'no-pamt-line':
      return `${missing} (the TDX module was not initialised in this boot)`;
    case 'no-misc-tdx-line':
      return `${missing} (KVM sets it only after TDX bring-up succeeded)`;
    case 'module-version': {
      // The module version's gap is worded whole: what the version file and the kernel log held.
      const log =
        gap.kernelLog === 'no-line'
          ? 'the kernel log has no TDX module version line'
          : `the kernel log was ${gap.kernelLog === 'read' ? 'read' : 'not read'}`;
      return `${versionFileText(gap.versionFile)}; ${log}`;
    }
  }
}

/** A fact in words: its value through `words`, or its error, or why it is not known. */
export function factText<T>(fact: Traced<T>, words: (value: T) => string): string {
  if ('value' in fact) return words(fact.value);
  if ('error' in fact) return `${failureMeaning(fact.error)} (${fact.error.code})`;
  // Only the TDX model's facts carry gaps (TdxFact); another fact's gap is its `missing` alone.
  return gapText(fact.missing, fact.gap as TdxGap | undefined);
}

/** The SEAMCALL status kvm_tdx_cmd.hw_error or a log line carried, in words. */
export function describeHwError(decoded: DecodedHwError): string {
  if (decoded.value === hex(0n, 16)) return 'TDX_SUCCESS';
  const name = decoded.name ?? `unknown status ${decoded.status}`;
  const operand = decoded.operand === null ? '' : ` (operand ${decoded.operand.name ?? `id ${decoded.operand.id}`})`;
  const errno = decoded.errno === null ? '' : ` (the kernel returns ${decoded.errno})`;
  return `${name}${operand}${errno}`;
}

const hwText = (hw: DecodedHwError | null): string =>
  hw === null ? '' : `, hw_error ${hw.value} = ${describeHwError(hw)}`;

/** An ioctl's answer: `ok` for success, else the error with its meaning and SEAMCALL status. */
export function outcomeText<T>(outcome: ProbeOutcome<T>, ok: (value: T) => string): string {
  if (outcome.ok) return ok(outcome.value);
  const { failure } = outcome;
  return `failed: ${failure.code} (${failureMeaning(failure)}${hwText(outcome.hwError)})`;
}

export function capabilitiesText(view: TdxCapabilitiesView): string {
  const attrs = view.supportedAttributes.attributes.map((a) => a.name).join(', ') || 'none';
  return (
    `attributes ${view.supportedAttributes.mask} (${attrs}), ` +
    `XFAM ${view.supportedXfam.mask}, ${view.cpuidConfigCount} CPUID config entries`
  );
}

export function stateText(state: TdxModuleState): string {
  switch (state.state) {
    case 'initialized':
      if (!('inferredFrom' in state)) return 'initialized';
      return state.inferredFrom === 'version-file'
        ? 'initialized (the tdx_host version file exists)'
        : 'initialized (inferred: KVM offers KVM_X86_TDX_VM only after TDX bring-up succeeded)';
    case 'not-loaded':
      return 'not loaded (the first SEAMCALL failed: the BIOS did not load a TDX module)';
    case 'not-supported':
      return `not supported: ${state.reason}`;
    case 'platform-init-failed':
      return `TDX host setup failed at boot: ${state.reason}`;
    case 'failed': {
      const errnoName = state.errnoName === null ? '' : ` ${state.errnoName}`;
      const errno = state.errno === null ? '' : ` (${state.errno}${errnoName})`;
      const call = state.seamcall;
      const reason =
        call !== null
          ? `${call.leafName} failed: ${call.statusName === null ? call.status : `${call.statusName} (${call.status})`}`
          : state.reason;
      return `initialization failed${errno}${reason === null ? '' : `: ${reason}`}`;
    }
    case 'not-initialized':
      return 'not initialized: the tdx_host version file answers ENXIO';
  }
}

/** Each TDX model fact in words (for a known value; factText adds errors and gaps). */
export const TDX_WORDS = {
  kernelRelease: (v: string): string => v,
  vmType: (v: Value<TdxView['vmType']>): string =>
    v.mask === 0
      ? `not offered: KVM_CAP_VM_TYPES is 0 (a kernel before ${kernelChange('kvm.cap-vm-types').since} has no ` +
        `VM types beyond the default)`
      : `${v.offered ? 'offered' : 'not offered'} (KVM_CAP_VM_TYPES = ${hex(v.mask)}: ` +
        `${v.offeredTypes.join(', ') || 'none'})`,
  createVm: (v: Value<TdxView['createVm']>): string => outcomeText(v, () => 'ok'),
  capabilities: (v: Value<TdxView['capabilities']>): string => outcomeText(v, capabilitiesText),
  maxVcpus: (v: number): string => `${v} vCPUs per TD`,
  initVm: (v: Value<NonNullable<TdxView['initVm']>>): string =>
    v.ok ? 'accepted' : `refused: ${v.failure.code}${hwText(v.hwError)}`,
  moduleVersion: (v: Value<TdxView['moduleVersion']>): string =>
    `${v.text}${v.buildDate === null ? '' : ` (build date ${v.buildDate})`}`,
  moduleState: stateText,
  privateKeyIds: (v: Value<TdxView['privateKeyIds']>): string =>
    `[${v.start}, ${v.end}): ${v.count} TDX KeyIDs, ${v.guestKeyIds} for TDs`,
  pamt: (v: Value<TdxView['pamt']>): string =>
    v.pages === null ? `${v.kib} KiB` : `${v.kib} KiB (${v.pages} pages of 4 KiB)`,
  tdKeys: (v: Value<TdxView['tdKeys']>): string =>
    v.inUse === null
      ? `${v.capacity} TD keys; in use unknown (misc.current was not read)`
      : v.free === null
        ? `${v.inUse} TD keys in use of a capacity of ${v.capacity}: inconsistent`
        : `${v.free} of ${v.capacity} TD keys free (${v.inUse} in use)`,
  cpuFlag: (v: boolean): string => (v ? 'present' : 'absent'),
  kernelLog: (v: Value<TdxView['kernelLog']>): string => {
    const older =
      v.olderBootRecords > 0
        ? `; ${v.olderBootRecords} records of earlier boots left out (only the newest boot is judged)`
        : '';
    return `${v.records} records kept, ${v.tdxLines} about TDX${older}`;
  },
  notConfigurable: (rows: Value<TdxCapabilitiesView['notConfigurable']>): string =>
    `${rows.reduce((n, row) => n + row.features.length, 0)} named feature(s) KVM offers ordinary VMs are not ` +
    `configurable for a TD through KVM`,
  seamldrVersion: (v: string): string => v,
  numRemainingUpdates: (v: number): string => String(v),
} as const;

/** One TDX fact of the model in words, by its name in TDX_WORDS. */
export function tdxText<K extends keyof TdxView & keyof typeof TDX_WORDS>(view: TdxView, key: K): string {
  const fact = view[key] as Traced<unknown> | null;
  if (fact === null) return 'not attempted';
  return factText(fact, TDX_WORDS[key] as (value: unknown) => string);
}

/** A SEAMCALL failure from the kernel log in words. */
export function seamcallText(f: TdxView['seamcallFailures'][number]): string {
  const leaf = f.failure.leafName ?? `leaf ${f.failure.leaf ?? '?'}`;
  return `${leaf} failed: ${f.failure.status} = ${describeHwError(f.decoded)}`;
}

type Say = { readonly [K in keyof typeof TDX_WORDS]: (fact: TdxFact<Parameters<(typeof TDX_WORDS)[K]>[0]>) => string };
/** Each TDX fact in words, value, error or gap alike: `say.tdKeys(view.tdKeys)`. */
export const say = Object.fromEntries(
  Object.entries(TDX_WORDS).map(([key, words]) => [
    key,
    (fact: TdxFact<never>) => factText(fact, words as (value: never) => string),
  ]),
) as unknown as Say;

const ON = /^(?:y|1)$/i;
const OFF = /^(?:n|0)$/i;

/**
 * Whether a kvm/kvm_intel parameter is as TDX needs it: true, false, or null (unknown). Only
 * kvm_intel.tdx is absent on purpose (no TDX in this KVM); the others exist on every kernel with
 * KVM TDX, so their absence from a snapshot says nothing about TDX.
 */
export function parameterOk(row: TdxParameterRow): boolean | null {
  switch (row.found) {
    case 'unreadable':
      return null;
    case 'module-not-loaded':
      return false;
    case 'no-such-parameter':
      return row.parameter === 'tdx' ? false : null;
    case 'value':
      return row.value === null ? null : ON.test(row.value) ? true : OFF.test(row.value) ? false : null;
  }
}

/** What was found for a parameter, in words. */
export function parameterText(row: TdxParameterRow): string {
  switch (row.found) {
    case 'unreadable':
      return row.error === null
        ? 'unreadable'
        : row.error.failure === null
          ? `unreadable (${row.error.code})`
          : `${failureMeaning(row.error.failure)} (${row.error.code})`;
    case 'module-not-loaded':
      return `${row.module} is not loaded`;
    case 'no-such-parameter':
      return row.parameter === 'tdx'
        ? `no such parameter (kvm_intel built without TDX support, or older than ${kernelChange('tdx.kvm-uapi').since})`
        : row.parameter === 'enable_virt_at_load'
          ? `no such parameter (only kernels ${releaseRangeText('kvm.enable-virt-at-load-parameter')} have it; ` +
            `TDX checks it in ${releaseRangeText('kvm.tdx-requires-enable-virt-at-load')})`
          : 'not in the snapshot';
    case 'value':
      return parameterOk(row) === null ? `${row.value} (not a boolean)` : (row.value ?? '');
  }
}
