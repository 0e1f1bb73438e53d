// The host report as `kvm-caps --json` emits it: the host model decoded from the snapshot, and
// per technology the verdict of the one check run over it. The TDX and SEV sections are what
// `kvm-caps tdx --json` and `kvm-caps sev --json` print: the model of that area plus its checks.
import { runChecks } from '../check/run.js';
import type { TdxExplanation } from '../check/tdx-causes.js';
import type { KvmDiagnosis } from '../check/kvm-causes.js';
import {
  TECHNOLOGIES,
  type CheckReport,
  type Technology,
  type TechnologyChecks,
  type Verdict,
} from '../check/types.js';
import { decodeSnapshot, type HostModel } from '../decode/model.js';
import type { SevView } from '../decode/sev.js';
import type { TdxView } from '../decode/tdx.js';
import type { Snapshot } from '../snapshot/types.js';

export const REPORT_FORMAT = 'kvm-caps-report';
/**
 * 2: verdicts are the check run's `{ capable, enabled, usable }`; `technologies` and `outcome` added.
 * 4: a failed probe is a typed failure (no `meaning` / `hint`); TDX gaps are typed.
 */
export const REPORT_VERSION = 4;

/** A technology's verdict without its checks: what the host report carries per technology. */
export interface TechnologyVerdict {
  technology: Technology;
  applicable: boolean;
  reason?: string;
  verdict: Verdict;
}

export type TdxSection = TdxView & {
  /** The TDX checks: applicability, verdict and the tree behind it. */
  technologies: TechnologyChecks[];
  /** Why TDX is not usable, with evidence and fixes (empty when nothing is wrong). */
  explanations: TdxExplanation[];
};

export type SevSection = SevView & {
  /** The SEV, SEV-ES and SEV-SNP checks. */
  technologies: TechnologyChecks[];
};

export interface Report extends Omit<HostModel, 'confidential'> {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  /** Every technology's verdict, as `kvm-caps check --json` gives it. */
  technologies: TechnologyVerdict[];
  outcome: CheckReport['outcome'];
  /**
   * Why KVM is or is not usable here: the causes in the order tried (the first failing one is the specific cause),
   * nested virtualization, the outer hypervisor.
   */
  kvmDiagnosis: KvmDiagnosis;
  confidential: { tdx: TdxSection; sev: SevSection };
}

const SEV_FAMILY: readonly Technology[] = ['sev', 'sev-es', 'snp'];

function pick(checks: CheckReport, wanted: readonly Technology[]): TechnologyChecks[] {
  return checks.technologies.filter((t) => wanted.includes(t.technology));
}

/** `checks` is a run that covered TDX: its explanations are the section's. */
export function tdxSection(model: HostModel, checks: CheckReport): TdxSection {
  const explanations = checks.tdxExplanations;
  if (explanations === undefined) throw new Error('the TDX section needs a check run that covered TDX');
  return { ...model.confidential.tdx, technologies: pick(checks, ['tdx']), explanations };
}

export function sevSection(model: HostModel, checks: CheckReport): SevSection {
  return { ...model.confidential.sev, technologies: pick(checks, SEV_FAMILY) };
}

/** The check run every report output uses: every technology, so that each says whether it applies. */
export function reportChecks(snapshot: Snapshot, model: HostModel): CheckReport {
  return runChecks(snapshot, TECHNOLOGIES, model);
}

export function buildReport(
  snapshot: Snapshot,
  model: HostModel = decodeSnapshot(snapshot),
  checks: CheckReport = reportChecks(snapshot, model),
): Report {
  const { confidential: _confidential, ...rest } = model;
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    ...rest,
    technologies: checks.technologies.map(({ technology, applicable, reason, verdict }) => ({
      technology,
      applicable,
      ...(reason === undefined ? {} : { reason }),
      verdict,
    })),
    outcome: checks.outcome,
    kvmDiagnosis: checks.kvmDiagnosis,
    confidential: { tdx: tdxSection(model, checks), sev: sevSection(model, checks) },
  };
}
