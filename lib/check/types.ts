// Readiness checks: a tree per technology, from hardware to "a guest can be started", each
// check a small pure function over the snapshot (and the report built from it).
import type { Report } from '../decode/model.js';
import type { Snapshot } from '../snapshot/types.js';

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
  report: Report;
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

export interface TechnologyChecks {
  technology: Technology;
  verdict: Verdict;
  checks: CheckResult[];
}

export const CHECK_FORMAT = 'kvm-caps-check';
export const CHECK_VERSION = 1;

export interface CheckReport {
  format: typeof CHECK_FORMAT;
  version: typeof CHECK_VERSION;
  snapshot: Pick<Snapshot, 'createdAt' | 'tool' | 'context'>;
  technologies: TechnologyChecks[];
  /** Contradictions between facts (a parameter says Y but KVM lacks the VM type, ...). */
  crossChecks: CheckResult[];
  /** ready: every requested technology usable; not-ready: one is not; unknown: one could not be told. */
  outcome: 'ready' | 'not-ready' | 'unknown';
}
