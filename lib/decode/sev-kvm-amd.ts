// The SEV model's module, capacity, log and init2 groups: kvm_amd and its parameters, the SEV ASIDs in the misc cgroup, the kernel log and the --deep KVM_SEV_INIT2 answers.
// Typed values with their sources only: no status and no prose (check judges, render words).
import { KVM_AMD_PARAMETERS, parseModuleBool } from '../knowledge/sev.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { inNewestBoot } from '../snapshot/log-formats.js';
import type { Snapshot } from '../snapshot/types.js';
import { probeFailure } from './failure.js';
import { describeSource, probed, type Probed, type Traced } from './sourced.js';
import { parseSevLog, type SevLogFacts } from './sev-log.js';

/** A kvm_amd parameter's file as read: its text, and for the booleans (and `nested`) the value as a boolean. */
export interface KvmAmdParameter {
  raw: string;
  /** Null for the parameters that are not booleans, or a text that is not one. */
  enabled: boolean | null;
}

export interface SevKvmAmd {
  /** Whether kvm_amd is in /sys/module, and its initstate ("live"; null when built in, or not loaded). */
  module: Probed<{ loaded: boolean; initstate: string | null }>;
  /**
   * Every parameter KVM_AMD_PARAMETERS lists, by name, once kvm_amd is loaded (empty otherwise): its value, its read
   * error, or `missing` where this kvm_amd has no such parameter.
   */
  parameters: Record<string, Traced<KvmAmdParameter>>;
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
  /** The answer; a failure's firmware status (SEV_RET_*) is its `firmwareError` (sev-fields.ts firmwareStatusOf). */
  result: Probed<true>;
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

/** The value the parameter's text gives, for the booleans (and `nested`, which reads as one). */
function kvmAmdParameter(name: string, raw: string): KvmAmdParameter {
  const row = KVM_AMD_PARAMETERS.find((p) => p.name === name);
  return { raw, enabled: row?.type === 'bool' || name === 'nested' ? parseModuleBool(raw) : null };
}

/** The absence is a fact of this kvm_amd build, looked for in its parameters directory. */
const NO_SUCH_PARAMETER = 'no such parameter';

function kvmAmdFacts(snapshot: Snapshot): SevKvmAmd {
  const fact = snapshot.host.modules;
  const parameters: SevKvmAmd['parameters'] = {};
  const module = probed(fact, (modules) => ({
    loaded: modules.kvm_amd !== undefined,
    initstate: modules.kvm_amd?.initstate ?? null,
  }));
  const loaded = 'value' in fact ? fact.value.kvm_amd : undefined;
  if (loaded === undefined) return { module, parameters };
  const root = snapshot.context.root.replace(/\/$/, '');
  for (const p of KVM_AMD_PARAMETERS) {
    const raw = loaded.parameters[p.name];
    const file = { file: `${root}/sys/module/kvm_amd/parameters/${p.name}` };
    parameters[p.name] =
      raw === undefined
        ? { missing: NO_SUCH_PARAMETER, source: describeSource(file) }
        : probed(typeof raw === 'string' ? { value: raw, source: file } : { error: raw, source: file }, (text) =>
            kvmAmdParameter(p.name, text),
          );
  }
  return { module, parameters };
}

/** A kvm_amd parameter's value; undefined when kvm_amd is not loaded, has no such parameter, or it was not read. */
export function parameterValue(parameter: Traced<KvmAmdParameter> | undefined): KvmAmdParameter | undefined {
  return parameter !== undefined && 'value' in parameter ? parameter.value : undefined;
}

/** A kvm_amd parameter's value as a boolean; null when it is not known, or not a boolean. */
export function parameterEnabled(parameter: Traced<KvmAmdParameter> | undefined): boolean | null {
  return parameterValue(parameter)?.enabled ?? null;
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
  return Object.entries(init2).map(([key, entry]) => ({
    vmType: vmTypeName(key),
    vmsaFeatures: entry.vmsaFeatures,
    result: probed(entry.result, () => true as const),
  }));
}

export function sevKvmAmdFacts(snapshot: Snapshot): SevKvmAmdFacts {
  return {
    kvmAmd: kvmAmdFacts(snapshot),
    asids: asidFacts(snapshot),
    ...logFacts(snapshot),
    init2: init2Facts(snapshot),
  };
}
