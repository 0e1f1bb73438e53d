// The TDX view of a snapshot (for `kvm-caps tdx` and the report's TDX section): what KVM offers,
// what KVM_TDX_CAPABILITIES says decoded, the TDX module's version and state, KeyIDs and free TD
// keys, the kvm/kvm_intel parameters TDX depends on, and, when TDX is not usable, the likely
// reasons drawn from the other facts. Pure: reads the snapshot only. Every item carries the
// source it came from; a missing fact is reported as unknown with the reason, never filled in.
import { hex } from '../knowledge/hex.js';
import { decodeVmTypes } from './capabilities.js';
import { probeFailure, type ProbeFailure } from './failure.js';
import { describeSource, isKnown, type Traced } from './sourced.js';
import type { Fact, KernelModule, ProbeError, Snapshot, Source, TdxCapabilitiesRecord } from '../snapshot/types.js';
import { capabilityNumber } from '../knowledge/capabilities.js';
import { KVM_X86_TDX_VM } from '../knowledge/x86.js';
import {
  decodeConfigurableCpuid,
  decodeHwError,
  decodeTdAttributes,
  decodeTdvmcallInfo,
  decodeXfam,
  notConfigurableForTd,
  setBits64,
  type ConfigurableCpuidEntry,
  type DecodedHwError,
  type DecodedTdAttributes,
  type DecodedTdvmcallInfo,
  type NotConfigurableForTd,
} from './tdx-fields.js';
import { inNewestBoot } from '../snapshot/log-formats.js';
import {
  parseTdxLog,
  type KvmTdxMessage,
  type LogFact,
  type SeamcallFailure,
  type TdxLogFacts,
  type TdxModuleStateFromLog,
  type TdxModuleVersionFromLog,
} from './tdx-log.js';
import { TDX_PARAMETERS } from '../knowledge/tdx.js';
import { TDX_MODULE_RELEASES } from '../knowledge/tdx-module.js';

/** What an ioctl answered: success with a value, or the failure (and its SEAMCALL status decoded, if any). */
export type ProbeOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; failure: ProbeFailure; hwError: DecodedHwError | null };

/**
 * Why a TDX fact is not known, where the words for it (lib/check/tdx-text.ts) explain more than
 * `missing` states: typed, so that no output has to read decode's wording.
 */
export type TdxGap =
  /** KVM's capabilities were not probed (the KVM device facts say why). */
  | { kind: 'kvm-capabilities-not-probed' }
  /** The snapshot has no kernel log. */
  | { kind: 'kernel-log-not-read' }
  /** The kernel log has no "BIOS enabled: private KeyID range" line. */
  | { kind: 'no-keyid-line' }
  /** The kernel log has no "allocated for PAMT" line. */
  | { kind: 'no-pamt-line' }
  /** misc.capacity has no tdx line. */
  | { kind: 'no-misc-tdx-line' }
  /**
   * No module version: what the tdx_host version file answered (its errno code, or null when not
   * read) and what the kernel log held.
   */
  | { kind: 'module-version'; versionFile: string | null; kernelLog: 'not-read' | 'read' | 'no-line' };

/** A TDX fact: a value, a failed probe, or a gap. */
export type TdxFact<T> = Traced<T, TdxGap>;

export interface TdxCapabilitiesView {
  supportedAttributes: DecodedTdAttributes;
  supportedXfam: { mask: string; components: string[]; unknownBits: number[] };
  tdvmcall: DecodedTdvmcallInfo;
  cpuidConfigCount: number;
  cpuidConfigs: ConfigurableCpuidEntry[];
  /** Features KVM offers ordinary VMs that a TD cannot configure; unknown when KVM_GET_SUPPORTED_CPUID failed. */
  notConfigurable: TdxFact<NotConfigurableForTd[]>;
}

export interface TdxInitVmView {
  requested: { attributes: DecodedTdAttributes; xfam: ReturnType<typeof decodeXfam>; cpuidEntries: number };
  /** hw_error as returned (0 on success). */
  hwError: DecodedHwError;
}

/**
 * What failed in TDX bring-up, by the kind of failure (not by wording):
 * - 'module-init': the TDX module failed to initialise (tdx_enable() / TDH.SYS.* SEAMCALL failed);
 * - 'module-limit': KVM's own module check failed with a message (MAX_VCPU_PER_TD);
 * - 'module-not-loaded': the first SEAMCALL found no module (-ENODEV);
 * - 'prerequisite': a KVM prerequisite (parameter, CPU feature, host platform) was missing.
 */
export type TdxBringupFailureKind = 'module-init' | 'module-limit' | 'module-not-loaded' | 'prerequisite';

export interface TdxBringupFailure {
  kind: TdxBringupFailureKind;
  /** The log line that shows it. */
  evidence: LogFact<string>;
  /** The errno the kernel printed, where it did ("initialization failed (-5)"). */
  errno: number | null;
}

export type TdxModuleState =
  | TdxModuleStateFromLog
  /** The tdx_host version file answers ENXIO: the module is not initialised. */
  | { state: 'not-initialized'; inferredFrom: 'version-file-enxio' }
  /** Initialised, known without a log line: the tdx_host version file exists, or KVM offers the TDX VM type. */
  | { state: 'initialized'; inferredFrom: 'version-file' | 'vm-type' };

export interface TdxParameterRow {
  module: string;
  parameter: string;
  required: string;
  /** The raw text of the parameter, or null when it could not be read. */
  value: string | null;
  /** What was found: the value, its module not loaded, no such parameter, or not readable. */
  found: 'value' | 'module-not-loaded' | 'no-such-parameter' | 'unreadable';
  /** Why it was unreadable: the parameter file's errno code, and the module list's failure when that was the reason. */
  error: { code: string; failure: ProbeFailure | null } | null;
  source: string;
}

export interface TdxView {
  kernelRelease: TdxFact<string>;
  /** Bit 5 (KVM_X86_TDX_VM) of KVM_CAP_VM_TYPES. */
  vmType: TdxFact<{ offered: boolean; mask: number; offeredTypes: string[] }>;
  /** KVM_CREATE_VM(KVM_X86_TDX_VM). */
  createVm: TdxFact<ProbeOutcome<true>>;
  capabilities: TdxFact<ProbeOutcome<TdxCapabilitiesView>>;
  /** KVM_CHECK_EXTENSION(KVM_CAP_MAX_VCPUS) on the TD. */
  maxVcpus: TdxFact<number>;
  /** --deep KVM_TDX_INIT_VM; null when not attempted. */
  initVm: TdxFact<ProbeOutcome<TdxInitVmView>> | null;
  moduleVersion: TdxFact<{
    text: string;
    major: number;
    minor: number;
    update: number | null;
    buildNum: number | null;
    buildDate: string | null;
    from: 'sysfs' | 'kernel log';
    /** Which line or file gave it: 'tdsysinfo' is the "TDX module: attributes ..." line of pre-merge/vendor kernels. */
    format: 'sysfs' | TdxModuleVersionFromLog['format'];
  }>;
  moduleState: TdxFact<TdxModuleState>;
  /** "BIOS enabled: private KeyID range [start, end)"; the first is the global KeyID, the rest are for TDs. */
  privateKeyIds: TdxFact<{ start: number; end: number; count: number; guestKeyIds: number }>;
  /**
   * Memory the kernel gave the TDX module for its PAMT: "%lu KB allocated for PAMT" (mainline), or
   * "%lu pages allocated for PAMT." (pre-merge trees, 4 KiB pages).
   */
  pamt: TdxFact<{ kib: number; pages: number | null }>;
  /** misc cgroup `tdx`: capacity (guest KeyIDs KVM manages), current (in use), free. */
  tdKeys: TdxFact<{ capacity: number; inUse: number | null; free: number | null }>;
  /** /proc/cpuinfo flag tdx_host_platform (X86_FEATURE_TDX_HOST_PLATFORM). */
  cpuFlag: TdxFact<boolean>;
  parameters: TdxParameterRow[];
  seamcallFailures: { failure: SeamcallFailure; decoded: DecodedHwError; source: string }[];
  kvmMessages: { message: KvmTdxMessage; source: string }[];
  /**
   * The TDX bring-up failure the newest boot's log shows, typed by what the kernel does next
   * (check/tdx-causes.ts decides, per kernel, whether kvm_intel then loads): null when none.
   */
  bringupFailure: TdxBringupFailure | null;
  /** The log has lines only a TD guest's kernel prints: it is from inside a TD, not from a host. */
  guestLog: { lines: number; first: LogFact<string> } | null;
  /** The module release kvm-caps knows for the reported version (lib/knowledge/tdx-module.ts), or null. */
  moduleRelease: { version: string; features0: string; features0Bits: number[] } | null;
  /** Linux 7.2's tdx_host runtime-update files, raw text; absent facts are explained by the checks. */
  runtimeUpdate: { seamldrVersion: TdxFact<string>; numRemainingUpdates: TdxFact<number> };
  /** Whether the kernel log was read, and how many TDX lines it had. */
  kernelLog: TdxFact<{ records: number; tdxLines: number; olderBootRecords: number; guestLines: number }>;
}

const VM_TYPES_CAP = capabilityNumber('KVM_CAP_VM_TYPES');

const known = <T>(value: T, source: string): TdxFact<T> => ({ value, source });
/**
 * A fact not known: `what` states what was not collected or found (not "unknown: ...": each output
 * words that once); `gap` types it where the words for it say more.
 */
function unknown<T>(what: string, source: string | null = null, gap?: TdxGap): TdxFact<T> {
  const fact: TdxFact<T> = source === null ? { missing: what } : { missing: what, source };
  if (gap !== undefined) fact.gap = gap;
  return fact;
}
const failed = <T>(
  fact: { source: Source; error: ProbeError },
  source: string = describeSource(fact.source),
): TdxFact<T> => ({ error: probeFailure(fact.source, fact.error), source });
/** An unknown fact (an error or a gap) passed on as the reason another one is unknown. */
function unknownFrom<T>(fact: TdxFact<unknown>): TdxFact<T> {
  return isKnown(fact) ? unknown('the kernel log was read but not parsed') : fact;
}

function errorOutcome(source: Source, error: ProbeError): ProbeOutcome<never> {
  return {
    ok: false,
    failure: probeFailure(source, error),
    hwError: error.hwError === undefined ? null : decodeHwError(error.hwError),
  };
}

function release(snapshot: Snapshot): TdxFact<string> {
  const fact = snapshot.host.kernelRelease;
  const source = describeSource(fact.source);
  if ('error' in fact) return failed(fact, source);
  return known(fact.value.trim(), source);
}

function vmType(snapshot: Snapshot): TdxView['vmType'] {
  const system = snapshot.kvm.capabilities?.system;
  if (system === undefined) {
    return unknown('KVM capabilities were not probed', null, { kind: 'kvm-capabilities-not-probed' });
  }
  const source = `${describeSource(system.source)} (KVM_CAP_VM_TYPES)`;
  if ('error' in system) return failed(system, source);
  const answer = system.value[VM_TYPES_CAP];
  if (answer === undefined) return unknown('KVM_CAP_VM_TYPES was not asked', source);
  if (typeof answer !== 'number') return unknown(`KVM_CAP_VM_TYPES check failed (${answer.code})`, source);
  const offeredTypes = decodeVmTypes(answer).vmTypes;
  const offered = ((answer >>> KVM_X86_TDX_VM) & 1) === 1;
  return known({ offered, mask: answer, offeredTypes }, source);
}

function probe<T, U>(fact: Fact<T> | undefined, map: (value: T) => U, missing: string): TdxFact<ProbeOutcome<U>> {
  if (fact === undefined) return unknown(missing);
  const source = describeSource(fact.source);
  if ('error' in fact) return known(errorOutcome(fact.source, fact.error), source);
  return known({ ok: true, value: map(fact.value) }, source);
}

function capabilitiesView(snapshot: Snapshot, caps: TdxCapabilitiesRecord): TdxCapabilitiesView {
  const supported = snapshot.kvm.supportedCpuid;
  let notConfigurable: TdxFact<NotConfigurableForTd[]>;
  if (supported === undefined) notConfigurable = unknown('KVM_GET_SUPPORTED_CPUID was not probed');
  else if ('error' in supported) notConfigurable = failed(supported);
  else {
    notConfigurable = known(
      notConfigurableForTd(supported.value, caps.cpuid),
      `${describeSource(supported.source)} compared with the KVM_TDX_CAPABILITIES CPUID configs`,
    );
  }
  return {
    supportedAttributes: decodeTdAttributes(caps.supportedAttrs),
    supportedXfam: decodeXfam(caps.supportedXfam),
    tdvmcall: decodeTdvmcallInfo(caps),
    cpuidConfigCount: caps.cpuid.length,
    cpuidConfigs: decodeConfigurableCpuid(caps.cpuid),
    notConfigurable,
  };
}

export interface LogContext {
  facts: TdxLogFacts | null;
  fact: TdxView['kernelLog'];
  source: string | null;
}

export function tdxLogContext(snapshot: Snapshot): LogContext {
  const fact = snapshot.host.kernelLog;
  if (fact === undefined) {
    return {
      facts: null,
      source: null,
      fact: unknown('not read', null, { kind: 'kernel-log-not-read' }),
    };
  }
  const source = describeSource(fact.source);
  if ('error' in fact) return { facts: null, source, fact: failed(fact, source) };
  // A pasted log of several boots: only the newest boot says what state TDX is in now.
  const newest = fact.value.filter(inNewestBoot);
  const olderBootRecords = fact.value.length - newest.length;
  const facts = parseTdxLog(
    newest.map((record) => record.message),
    source,
  );
  return {
    facts,
    source,
    fact: known(
      { records: newest.length, tdxLines: facts.tdxLines, olderBootRecords, guestLines: facts.guestLines.length },
      source,
    ),
  };
}

export const logSource = (_log: LogContext, fact: LogFact<unknown>): string => fact.source;

function moduleVersion(snapshot: Snapshot, log: LogContext): TdxView['moduleVersion'] {
  const sysfs = snapshot.host.tdxModuleVersion;
  if (sysfs !== undefined && 'value' in sysfs) {
    const text = sysfs.value.trim();
    const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
    const source = describeSource(sysfs.source);
    if (m) {
      return known(
        {
          text,
          major: Number(m[1]),
          minor: Number(m[2]),
          update: Number(m[3]),
          buildNum: null,
          buildDate: null,
          from: 'sysfs',
          format: 'sysfs',
        },
        source,
      );
    }
    return unknown(`unexpected text in the version file (${JSON.stringify(text)})`, source);
  }
  const fromLog = log.facts?.moduleVersion;
  if (fromLog !== undefined) {
    const v = fromLog.value;
    return known(
      {
        text: v.text,
        major: v.major,
        minor: v.minor,
        update: v.update,
        buildNum: v.buildNum,
        buildDate: v.buildDate,
        from: 'kernel log',
        format: v.format,
      },
      logSource(log, fromLog),
    );
  }
  const gap: TdxGap = {
    kind: 'module-version',
    versionFile: sysfs === undefined ? null : 'error' in sysfs ? sysfs.error.code : null,
    kernelLog: log.facts !== null ? 'no-line' : isKnown(log.fact) ? 'read' : 'not-read',
  };
  return unknown(
    'no TDX module version in the tdx_host version file or the kernel log',
    sysfs === undefined ? log.source : describeSource(sysfs.source),
    gap,
  );
}

function moduleState(snapshot: Snapshot, log: LogContext, vm: TdxView['vmType']): TdxView['moduleState'] {
  const sysfs = snapshot.host.tdxModuleVersion;
  if (sysfs !== undefined && 'value' in sysfs) {
    // drivers/virt/coco/tdx-host: the faux device and its version exist only once the module is initialised.
    return known({ state: 'initialized', inferredFrom: 'version-file' }, describeSource(sysfs.source));
  }
  const fromLog = log.facts?.moduleState;
  if (fromLog !== undefined) return known(fromLog.value, logSource(log, fromLog));
  if (sysfs !== undefined && 'error' in sysfs && sysfs.error.code === 'ENXIO') {
    const state: TdxModuleState = { state: 'not-initialized', inferredFrom: 'version-file-enxio' };
    return known(state, describeSource(sysfs.source));
  }
  if (isKnown(vm) && vm.value.offered) {
    // v6.16+: vt_init() sets BIT(KVM_X86_TDX_VM) only when tdx_bringup() (which runs tdx_enable()) succeeded.
    return known({ state: 'initialized', inferredFrom: 'vm-type' }, vm.source);
  }
  if (log.facts === null) return unknownFrom(log.fact);
  return unknown('the kernel log kept no TDX module state line', log.source);
}

function privateKeyIds(log: LogContext): TdxView['privateKeyIds'] {
  const fact = log.facts?.keyIdRange;
  if (fact === undefined) {
    if (log.facts === null) return unknownFrom(log.fact);
    return unknown('no "BIOS enabled: private KeyID range" line', log.source, { kind: 'no-keyid-line' });
  }
  const { start, end, count } = fact.value;
  // tdx_init(): the first TDX KeyID is the global KeyID; the rest are for TDs.
  const guestKeyIds = Math.max(count - 1, 0);
  return known({ start, end, count, guestKeyIds }, logSource(log, fact));
}

function pamt(log: LogContext): TdxView['pamt'] {
  const kb = log.facts?.pamtKb;
  if (kb !== undefined) return known({ kib: kb.value, pages: null }, logSource(log, kb));
  const pages = log.facts?.pamtPages;
  if (pages !== undefined) return known({ kib: pages.value * 4, pages: pages.value }, logSource(log, pages));
  if (log.facts === null) return unknownFrom(log.fact);
  return unknown('no "allocated for PAMT" line', log.source, { kind: 'no-pamt-line' });
}

function tdKeys(snapshot: Snapshot): TdxView['tdKeys'] {
  const capacity = snapshot.host.miscCapacity;
  if (capacity === undefined) return unknown('the misc cgroup was not read');
  const source = describeSource(capacity.source);
  if ('error' in capacity) return failed(capacity, source);
  const total = capacity.value.tdx;
  if (total === undefined) {
    return unknown('misc.capacity has no tdx line', source, { kind: 'no-misc-tdx-line' });
  }
  const current = snapshot.host.miscCurrent;
  if (current === undefined || 'error' in current) {
    return known({ capacity: total, inUse: null, free: null }, source);
  }
  const inUse = current.value.tdx ?? 0;
  const sources = `${source}; ${describeSource(current.source)}`;
  // Counts no kernel keeps (more in use than the capacity, or below 0): no free count is made up from them.
  if (total < 0 || inUse < 0 || inUse > total) return known({ capacity: total, inUse, free: null }, sources);
  return known({ capacity: total, inUse, free: total - inUse }, sources);
}

function cpuFlag(snapshot: Snapshot): TdxView['cpuFlag'] {
  const fact = snapshot.host.cpuinfo;
  const source = `${describeSource(fact.source)} (flags)`;
  if ('error' in fact) return failed(fact, source);
  const flags = (fact.value.flags ?? '').split(/\s+/);
  const has = flags.includes('tdx_host_platform');
  return known(has, source);
}

function parameters(snapshot: Snapshot): TdxParameterRow[] {
  const root = snapshot.context.root.replace(/\/$/, '');
  const fact = snapshot.host.modules;
  return TDX_PARAMETERS.map((p) => {
    const source = `file ${root}/sys/module/${p.module}/parameters/${p.parameter}`;
    const row = { module: p.module, parameter: p.parameter, required: p.required, source };
    if ('error' in fact) {
      const failure = probeFailure(fact.source, fact.error);
      return { ...row, value: null, found: 'unreadable' as const, error: { code: failure.code, failure } };
    }
    const module: KernelModule | undefined = fact.value[p.module];
    if (module === undefined) return { ...row, value: null, found: 'module-not-loaded' as const, error: null };
    const raw = module.parameters[p.parameter];
    if (raw === undefined) return { ...row, value: null, found: 'no-such-parameter' as const, error: null };
    if (typeof raw !== 'string')
      return { ...row, value: null, found: 'unreadable' as const, error: { code: raw.code, failure: null } };
    return { ...row, value: raw.trim(), found: 'value' as const, error: null };
  });
}

const ENODEV = 19;

function bringupFailure(log: LogContext): TdxBringupFailure | null {
  const facts = log.facts;
  if (facts === null) return null;
  const line = (fact: LogFact<unknown>): LogFact<string> => ({
    value: fact.line.trim(),
    source: fact.source,
    line: fact.line,
    index: fact.index,
  });
  const state = facts.moduleState;
  if (
    state !== undefined &&
    state.value.state === 'failed' &&
    (state.value.errno === null || Math.abs(state.value.errno) !== ENODEV)
  ) {
    return { kind: 'module-init', evidence: line(state), errno: state.value.errno };
  }
  const limit = facts.kvmMessages.find((m) => m.value.kind === 'module-limit');
  if (limit !== undefined) return { kind: 'module-limit', evidence: line(limit), errno: null };
  const kvmInit = facts.kvmMessages.find((m) => m.value.kind === 'module-init');
  if (kvmInit !== undefined) return { kind: 'module-init', evidence: line(kvmInit), errno: null };
  if (
    state !== undefined &&
    (state.value.state === 'not-loaded' || (state.value.state === 'failed' && state.value.errno !== null))
  ) {
    return {
      kind: 'module-not-loaded',
      evidence: line(state),
      errno: state.value.state === 'failed' ? state.value.errno : null,
    };
  }
  const prerequisite = facts.kvmMessages.find(
    (m) => m.value.kind === 'parameter' || m.value.kind === 'cpu-feature' || m.value.kind === 'platform',
  );
  if (prerequisite !== undefined) return { kind: 'prerequisite', evidence: line(prerequisite), errno: null };
  if (state !== undefined && (state.value.state === 'not-supported' || state.value.state === 'platform-init-failed')) {
    return { kind: 'prerequisite', evidence: line(state), errno: null };
  }
  return null;
}

function moduleRelease(version: TdxView['moduleVersion']): TdxView['moduleRelease'] {
  if (!isKnown(version) || version.value.update === null) return null;
  const text = `${version.value.major}.${version.value.minor}.${String(version.value.update).padStart(2, '0')}`;
  const release = TDX_MODULE_RELEASES.find((r) => r.version === text);
  if (release === undefined) return null;
  return {
    version: release.version,
    features0: hex(release.tdxFeatures0),
    features0Bits: setBits64(release.tdxFeatures0),
  };
}

function sysfsText(fact: Fact<string> | undefined, what: string): TdxFact<string> {
  if (fact === undefined) return unknown(`${what} was not read`);
  const source = describeSource(fact.source);
  if ('error' in fact) return failed(fact, source);
  return known(fact.value.trim(), source);
}

function runtimeUpdate(snapshot: Snapshot): TdxView['runtimeUpdate'] {
  const seamldrVersion = sysfsText(snapshot.host.tdxSeamldrVersion, 'seamldr_version');
  const raw = sysfsText(snapshot.host.tdxNumRemainingUpdates, 'num_remaining_updates');
  let numRemainingUpdates: TdxFact<number>;
  if (!isKnown(raw)) numRemainingUpdates = raw;
  else if (/^\d+$/.test(raw.value)) numRemainingUpdates = known(Number(raw.value), raw.source);
  else numRemainingUpdates = unknown(`unknown: not a number (${JSON.stringify(raw.value)})`, raw.source);
  return { seamldrVersion, numRemainingUpdates };
}

/** The TDX view of a snapshot. */
export function tdxView(snapshot: Snapshot): TdxView {
  const tdx = snapshot.kvm.tdx;
  const rel = release(snapshot);
  const vm = vmType(snapshot);
  const log = tdxLogContext(snapshot);
  const notProbed =
    isKnown(vm) && !vm.value.offered ? 'not attempted: KVM_CAP_VM_TYPES does not offer KVM_X86_TDX_VM' : 'not probed';
  const createVm = probe(tdx?.vm, () => true as const, notProbed);
  const capsFact = tdx?.capabilities;
  const capabilities: TdxView['capabilities'] =
    capsFact !== undefined && 'value' in capsFact
      ? (() => {
          const view = capabilitiesView(snapshot, capsFact.value);
          return known({ ok: true as const, value: view }, describeSource(capsFact.source));
        })()
      : probe(
          capsFact,
          () => undefined as never,
          isKnown(createVm) && !createVm.value.ok ? 'not probed: the TD could not be created' : notProbed,
        );
  let maxVcpus: TdxView['maxVcpus'];
  if (tdx?.maxVcpus === undefined)
    maxVcpus = unknown(isKnown(createVm) && createVm.value.ok ? 'not probed' : notProbed);
  else if ('error' in tdx.maxVcpus) maxVcpus = failed(tdx.maxVcpus);
  else maxVcpus = known(tdx.maxVcpus.value, `${describeSource(tdx.maxVcpus.source)} (KVM_CAP_MAX_VCPUS)`);

  let initVm: TdxView['initVm'] = null;
  if (tdx?.initVm !== undefined) {
    const { config, result } = tdx.initVm;
    const requested = {
      attributes: decodeTdAttributes(config.attributes),
      xfam: decodeXfam(config.xfam),
      cpuidEntries: config.cpuidEntries,
    };
    const source = describeSource(result.source);
    if ('error' in result) {
      initVm = known(errorOutcome(result.source, result.error), source);
    } else {
      const hwError = decodeHwError(result.value.hwError);
      initVm = known({ ok: true, value: { requested, hwError } }, source);
    }
  }

  const state = moduleState(snapshot, log, vm);
  const params = parameters(snapshot);
  const flag = cpuFlag(snapshot);
  const keys = tdKeys(snapshot);
  const keyIds = privateKeyIds(log);
  const version = moduleVersion(snapshot, log);
  const guestFirst = log.facts?.guestLines[0];
  return {
    kernelRelease: rel,
    vmType: vm,
    createVm,
    capabilities,
    maxVcpus,
    initVm,
    moduleVersion: version,
    moduleState: state,
    privateKeyIds: keyIds,
    pamt: pamt(log),
    tdKeys: keys,
    cpuFlag: flag,
    parameters: params,
    seamcallFailures: (log.facts?.seamcallFailures ?? []).map((fact) => {
      const decoded = decodeHwError(fact.value.status);
      return {
        failure: fact.value,
        decoded,
        source: logSource(log, fact),
      };
    }),
    kvmMessages: (log.facts?.kvmMessages ?? []).map((fact) => ({ message: fact.value, source: logSource(log, fact) })),
    bringupFailure: bringupFailure(log),
    guestLog: guestFirst === undefined ? null : { lines: log.facts?.guestLines.length ?? 0, first: guestFirst },
    moduleRelease: moduleRelease(version),
    runtimeUpdate: runtimeUpdate(snapshot),
    kernelLog: log.fact,
  };
}
