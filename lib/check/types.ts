// Readiness checks: a tree per technology, from hardware to "a guest can be started", each
// check a small pure function over the host model decoded from the snapshot. The checks are
// the only judge in kvm-caps: every status, verdict, cause and fix comes from here.
import type { HostModel } from '../decode/model.js';
import type { Snapshot } from '../snapshot/types.js';
import type { KvmDiagnosis } from './kvm-causes.js';
import type { TdxExplanation } from './tdx-causes.js';

export const TECHNOLOGIES = ['kvm', 'tdx', 'sev', 'sev-es', 'snp'] as const;
export type Technology = (typeof TECHNOLOGIES)[number];

/** Ordered as the checks run: a layer's checks only count once the layers before it pass. */
export const LAYERS = ['hardware', 'firmware', 'kernel', 'kvm', 'usable'] as const;
export type Layer = (typeof LAYERS)[number];

/**
 * PASS / WARN / FAIL: what the facts say. SKIP: a parent failed, so this was not judged.
 * UNKNOWN: the facts could not be read (`needs` says what privilege or device would tell).
 */
export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIP' | 'UNKNOWN';

/** What a rule's function decides from the facts. */
export interface Finding {
  status: Exclude<CheckStatus, 'SKIP'>;
  /** What was read, for a person: "kvm_intel.tdx = N". */
  found: string;
  /** Where it was read: the ioctl or file (report sources), or "derived from ..." */
  source: string;
  /** A concrete fix: BIOS setting, kernel or module parameter, firmware version, group membership. */
  fix?: string;
  /** For UNKNOWN: the privilege or device that would let kvm-caps tell (root, CAP_SYSLOG, the kvm group, /dev/kvm). */
  needs?: string;
}

export interface CheckContext {
  snapshot: Snapshot;
  model: HostModel;
  /** Why TDX is not usable, as the TDX facts show it (computed once per run). */
  tdxCauses: TdxExplanation[];
  /** Why KVM is or is not usable here, from the bring-up facts (computed once per run). */
  kvm: KvmDiagnosis;
}

/** A rule: data (what it checks and why it matters) plus one pure function. */
export interface CheckRule {
  /** Stable id, e.g. 'tdx.kvm.vm-type'. */
  id: string;
  technology: Technology;
  layer: Layer;
  /** The parent check: when it FAILs, this one is SKIPped with the parent's name as the reason. */
  parent?: string;
  title: string;
  /** Why it matters, in a sentence. */
  why: string;
  /**
   * For rules whose facts are asked for only on request (the --deep probes): false leaves
   * the rule out of the tree instead of reporting a check that was never made.
   */
  appliesWhen?: (context: CheckContext) => boolean;
  evaluate(context: CheckContext): Finding;
}

export interface CheckResult extends Omit<Finding, 'status'> {
  status: CheckStatus;
  id: string;
  technology: Technology;
  layer: Layer;
  title: string;
  why: string;
  /** For SKIP: which failed check stopped this one. */
  skippedBecause?: string;
  children: CheckResult[];
}

/**
 * Per technology: capable (the hardware and firmware can), enabled (the kernel and KVM are
 * configured for it), usable (a guest can be created now). null: could not tell.
 */
export interface Verdict {
  capable: boolean | null;
  enabled: boolean | null;
  usable: boolean | null;
  summary: string;
}

/** Whether a technology applies to this host at all (its CPU vendor and architecture). */
export type Applicability = { applicable: true } | { applicable: false; reason: string };

export interface TechnologyChecks {
  technology: Technology;
  /** false: the technology does not apply to this host (`reason` says why); no checks ran. */
  applicable: boolean;
  reason?: string;
  verdict: Verdict;
  checks: CheckResult[];
}

export const CHECK_FORMAT = 'kvm-caps-check';
/**
 * 2: each technology says whether it applies to the host (`applicable`, `reason`).
 * 3: the run carries the KVM diagnosis and the TDX explanations its checks judged by (`kvmDiagnosis`,
 * `tdxExplanations`).
 */
export const CHECK_VERSION = 3;

export interface CheckReport {
  format: typeof CHECK_FORMAT;
  version: typeof CHECK_VERSION;
  snapshot: Pick<Snapshot, 'createdAt' | 'tool' | 'context'>;
  technologies: TechnologyChecks[];
  /** Contradictions between facts (a parameter says Y but KVM lacks the VM type, ...). */
  crossChecks: CheckResult[];
  /**
   * Over the technologies that apply: ready: every one usable; not-ready: one is not (or none
   * of those asked for applies); unknown: one could not be told.
   */
  outcome: 'ready' | 'not-ready' | 'unknown';
  /**
   * Why KVM is or is not usable here (every technology runs through KVM): the causes in the order tried, the first
   * failing one the specific cause, and which modules modprobe can load, as the fixes assume.
   */
  kvmDiagnosis: KvmDiagnosis;
  /** When TDX was asked about (whether or not it applies): why TDX is not usable, with evidence and fixes. */
  tdxExplanations?: TdxExplanation[];
}
