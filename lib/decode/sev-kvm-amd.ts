// The SEV model's module, capacity, log and init2 groups: kvm_amd and its parameters, the SEV ASIDs in the misc cgroup, the kernel log and the --deep KVM_SEV_INIT2 answers.
// Typed values with their sources only: no status and no prose (check judges, render words).
import { KVM_AMD_PARAMETERS, parseModuleBool } from '../knowledge/sev.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { inNewestBoot } from '../snapshot/log-formats.js';
import type { Snapshot } from '../snapshot/types.js';
import { probeFailure, type ProbeFailure } from './failure.js';
import { describeSource } from './sourced.js';
import { decodeFirmwareError, type DecodedFirmwareError } from './sev-fields.js';
import { parseSevLog, type SevLogFacts } from './sev-log.js';
import type { Traced } from './sourced.js';

export interface KvmAmdParameter {
  /** The file's text; null when kvm_amd has no such parameter or it could not be read. */
  raw: string | null;
  /** The value as a boolean, for the boolean parameters (and `nested`); null otherwise or when not read. */
  enabled: boolean | null;
  /** The read error's code, when the file exists but could not be read. */
  error?: string;
  /** The parameter's file. */
  source: string;
}

export interface SevKvmAmd {
  /** null: /sys/module was not read (`error` says why). */
  loaded: boolean | null;
  /** The module's initstate ("live"); null when kvm_amd is built in (it has none) or not loaded. */
  initstate: string | null;
  /** Every parameter KVM_AMD_PARAMETERS lists, by name, once kvm_amd is loaded. */
  parameters: Record<string, KvmAmdParameter>;
  source: string;
  error?: ProbeFailure;
}

export interface SevAsidCapacity {
  capacity: number;
  /** Null when misc.current was not read. */
  current: number | null;
  /** Null when `current` is unknown, or the counts are ones no kernel keeps (more in use than the capacity). */
  free: number | null;
}

export interface SevInit2Result {
  vmType: string;
  vmsaFeatures: string;
  ok: boolean;
  error?: ProbeFailure;
  firmwareError?: DecodedFirmwareError;
  source: string;
}

/** The kernel log itself: how many records were read, and how many of them were left out as earlier boots'. */
export interface SevKernelLog {
  records: number;
  olderBootRecords: number;
}

export interface SevKvmAmdFacts {
  /** Which kernel printed the log and loaded kvm_amd: some log lines are printed by some releases only. */
  kvmAmd: SevKvmAmd;
  /**
   * The SEV and SEV-ES/SNP ASIDs the misc cgroup counts. `missing` with a source: the cgroup was read and has no such
   * resource; without one: the cgroup was not read.
   */
  asids: { sev: Traced<SevAsidCapacity>; sevEs: Traced<SevAsidCapacity> };
  kernelLog: Traced<SevKernelLog>;
  /** What the newest boot's kernel log says about SEV; null when the log was not read. */
  log: SevLogFacts | null;
  init2: SevInit2Result[];
}

function kvmAmdFacts(snapshot: Snapshot): SevKvmAmd {
  const fact = snapshot.host.modules;
  const source = describeSource(fact.source);
  const parameters: SevKvmAmd['parameters'] = {};
  if (!('value' in fact))
    return { loaded: null, initstate: null, parameters, source, error: probeFailure(fact.source, fact.error) };
  const module = fact.value.kvm_amd;
  if (!module) return { loaded: false, initstate: null, parameters, source };
  const root = snapshot.context.root.replace(/\/$/, '');
  for (const p of KVM_AMD_PARAMETERS) {
    const raw = module.parameters[p.name];
    const file = `file ${root}/sys/module/kvm_amd/parameters/${p.name}`;
    if (raw === undefined) parameters[p.name] = { raw: null, enabled: null, source: file };
    else if (typeof raw !== 'string') parameters[p.name] = { raw: null, enabled: null, error: raw.code, source: file };
    else
      parameters[p.name] = {
        raw,
        enabled: p.type === 'bool' || p.name === 'nested' ? parseModuleBool(raw) : null,
        source: file,
      };
  }
  return { loaded: true, initstate: module.initstate, parameters, source };
}

function asidFacts(snapshot: Snapshot): SevKvmAmdFacts['asids'] {
  const cap = snapshot.host.miscCapacity;
  const cur = snapshot.host.miscCurrent;
  const one = (key: 'sev' | 'sev_es'): Traced<SevAsidCapacity> => {
    if (!cap) return { missing: 'the misc cgroup was not read' };
    const capSource = `${describeSource(cap.source)} (${key})`;
    if (!('value' in cap)) return { error: probeFailure(cap.source, cap.error), source: capSource };
    const capacity = cap.value[key];
    if (capacity === undefined) return { missing: `the misc cgroup has no ${key} resource`, source: capSource };
    const current = cur && 'value' in cur ? (cur.value[key] ?? 0) : null;
    // Counts no kernel keeps (more in use than the capacity, or below 0): no free count is made up from them.
    const impossible = capacity < 0 || (current !== null && (current < 0 || current > capacity));
    const free = current === null || impossible ? null : capacity - current;
    const source = cur && 'value' in cur ? `${capSource}; ${describeSource(cur.source)} (${key})` : capSource;
    return { value: { capacity, current, free }, source };
  };
  return { sev: one('sev'), sevEs: one('sev_es') };
}

function logFacts(snapshot: Snapshot): Pick<SevKvmAmdFacts, 'kernelLog' | 'log'> {
  const fact = snapshot.host.kernelLog;
  if (!fact) return { kernelLog: { missing: 'the kernel log was not read' }, log: null };
  const source = describeSource(fact.source);
  if (!('value' in fact)) return { kernelLog: { error: probeFailure(fact.source, fact.error), source }, log: null };
  // Only the newest boot of a saved log is judged; earlier boots are left out.
  const newest = fact.value.filter(inNewestBoot);
  return {
    kernelLog: { value: { records: fact.value.length, olderBootRecords: fact.value.length - newest.length }, source },
    log: parseSevLog(
      newest.map((record) => record.message),
      source,
    ),
  };
}

/** The VM type short name ("SNP") of a --deep answer's key: a number, a header name or the short name. */
function vmTypeName(key: string): string {
  const byNumber = KVM_X86_VM_TYPES.find(
    ([header, number, short]) => String(number) === key || header === key || short === key,
  );
  return byNumber ? byNumber[2] : key;
}

function init2Facts(snapshot: Snapshot): SevInit2Result[] {
  const init2 = snapshot.kvm.sevInit2;
  if (!init2) return [];
  return Object.entries(init2).map(([key, entry]) => {
    const vmType = vmTypeName(key);
    const source = describeSource(entry.result.source);
    if ('value' in entry.result) return { vmType, vmsaFeatures: entry.vmsaFeatures, ok: true, source };
    const error = entry.result.error;
    const r: SevInit2Result = {
      vmType,
      vmsaFeatures: entry.vmsaFeatures,
      ok: false,
      error: probeFailure(entry.result.source, error),
      source,
    };
    // 0: the firmware was not asked, or said nothing.
    if (error.firmwareError !== undefined && error.firmwareError !== 0)
      r.firmwareError = decodeFirmwareError(error.firmwareError);
    return r;
  });
}

export function sevKvmAmdFacts(snapshot: Snapshot): SevKvmAmdFacts {
  return {
    kvmAmd: kvmAmdFacts(snapshot),
    asids: asidFacts(snapshot),
    ...logFacts(snapshot),
    init2: init2Facts(snapshot),
  };
}
