// runChecks(): the pure function from a snapshot (and its host model) to the readiness checks.
// Decides which technologies apply to the host, evaluates each applicable technology's rules
// in order (a FAILed parent SKIPs its descendants), nests the results into a tree, derives the
// capable / enabled / usable verdicts from the layers, lists the contradictions found, and
// says whether every technology asked about is ready. No I/O, no exit codes (those belong to
// the command line). Every output that shows a verdict takes it from this one run.
import { decodeSnapshot, type HostModel } from '../decode/model.js';
import { cpuVendor, type CpuVendor } from '../knowledge/cpu-vendors.js';
import type { Snapshot } from '../snapshot/types.js';
import { tdxCauses } from './tdx-causes.js';
import { kvmBlocker, kvmDiagnosis } from './kvm-causes.js';
import { KVM_CROSS_CHECKS, KVM_RULES } from './rules/kvm.js';
import { SEV_CROSS_CHECKS, SEV_RULES } from './rules/sev.js';
import { TDX_CROSS_CHECKS, TDX_RULES } from './rules/tdx.js';
import {
  CHECK_FORMAT,
  CHECK_VERSION,
  TECHNOLOGIES,
  type Applicability,
  type CheckContext,
  type CheckRule,
  type CheckReport,
  type CheckResult,
  type Layer,
  type Technology,
  type TechnologyChecks,
  type Verdict,
} from './types.js';

/** The layers of a confidential technology that need KVM itself to run. */
const KVM_DEPENDENT: readonly Layer[] = ['kernel', 'kvm', 'usable'];

/** Every rule, per technology in tree order: hardware, firmware, kernel, KVM, usable. */
export const RULES: readonly CheckRule[] = [...KVM_RULES, ...TDX_RULES, ...SEV_RULES];

/** Contradictions between facts; only those found (WARN or FAIL) reach the report. */
export const CROSS_CHECKS: readonly CheckRule[] = [...KVM_CROSS_CHECKS, ...TDX_CROSS_CHECKS, ...SEV_CROSS_CHECKS];

export const TECHNOLOGY_TITLES: Readonly<Record<Technology, string>> = {
  kvm: 'KVM',
  tdx: 'Intel TDX',
  sev: 'AMD SEV',
  'sev-es': 'AMD SEV-ES',
  snp: 'AMD SEV-SNP',
};

export type TechnologyChoice = Technology | 'all';

export function isTechnologyChoice(text: string): text is TechnologyChoice {
  return text === 'all' || (TECHNOLOGIES as readonly string[]).includes(text);
}

/**
 * What a choice means: one technology, or every one ('all'); whether each applies to the host is the run's to decide.
 */
export function technologiesFor(choice: TechnologyChoice): Technology[] {
  return choice === 'all' ? [...TECHNOLOGIES] : [choice];
}

const X86 = new Set(['x64', 'ia32']);
/** Whose CPUs each technology runs on (lib/knowledge/cpu-vendors.ts says which vendor_id is whose). */
const VENDOR_OF: Readonly<Record<Technology, { vendor: CpuVendor; name: string } | null>> = {
  kvm: null,
  tdx: { vendor: 'intel', name: 'Intel' },
  sev: { vendor: 'amd', name: 'AMD' },
  'sev-es': { vendor: 'amd', name: 'AMD' },
  snp: { vendor: 'amd', name: 'AMD' },
};

/**
 * Whether a technology applies to this host: KVM everywhere; TDX on Intel x86 CPUs; SEV,
 * SEV-ES and SEV-SNP on AMD x86 CPUs (not Hygon's: see lib/knowledge/cpu-vendors.ts). When the
 * CPU vendor could not be read on x86, the technology applies (its checks then say what could
 * not be read).
 */
export function applicability(technology: Technology, snapshot: Snapshot): Applicability {
  const needs = VENDOR_OF[technology];
  if (needs === null) return { applicable: true };
  // The reason follows the technology's title wherever it is shown ("Intel TDX: not applicable: ..."), so it does not repeat it.
  const arch = snapshot.context.arch;
  if (!X86.has(arch)) return { applicable: false, reason: `an x86 technology; this host is ${arch}` };
  const cpuinfo = snapshot.host.cpuinfo;
  const found = 'value' in cpuinfo ? cpuinfo.value.vendor_id : undefined;
  if (found === undefined || cpuVendor(found)?.vendor === needs.vendor) return { applicable: true };
  return { applicable: false, reason: `needs an ${needs.name} CPU; this CPU is ${found}` };
}

function applies(rule: CheckRule, context: CheckContext): boolean {
  return rule.appliesWhen === undefined || rule.appliesWhen(context);
}

function evaluate(rule: CheckRule, context: CheckContext): CheckResult {
  const finding = rule.evaluate(context);
  const result: CheckResult = {
    id: rule.id,
    technology: rule.technology,
    layer: rule.layer,
    title: rule.title,
    status: finding.status,
    found: finding.found,
    source: finding.source,
    why: rule.why,
    children: [],
  };
  if (finding.fix !== undefined) result.fix = finding.fix;
  if (finding.needs !== undefined) result.needs = finding.needs;
  return result;
}

/** The technology's checks as a tree: a check under its parent; under a FAILed one, SKIPped. */
function checkTree(technology: Technology, context: CheckContext): CheckResult[] {
  const roots: CheckResult[] = [];
  // TDX and SEV run through KVM: where KVM itself cannot run or load here, their kernel, KVM
  // and usable checks are not judged (no `modprobe kvm_amd sev=1` for a kernel whose KVM
  // cannot bind); they name the KVM check that failed instead.
  const blocker = technology === 'kvm' ? undefined : kvmBlocker(context.kvm);
  const kvmRule = blocker === undefined ? undefined : KVM_RULES.find((r) => r.id === blocker.rule);
  const kvmStop = kvmRule === undefined ? undefined : { id: kvmRule.id, title: kvmRule.title };
  const byId = new Map<string, CheckResult>();
  for (const rule of RULES) {
    if (rule.technology !== technology || !applies(rule, context)) continue;
    const parent = rule.parent === undefined ? undefined : byId.get(rule.parent);
    if (rule.parent !== undefined && parent === undefined)
      throw new Error(`check rule ${rule.id}: its parent ${rule.parent} is not an earlier ${technology} rule`);
    let result: CheckResult;
    const stoppedBy =
      (parent === undefined
        ? undefined
        : parent.status === 'FAIL'
          ? parent
          : parent.status === 'SKIP'
            ? (byId.get(parent.skippedBecause ?? '') ?? kvmStop)
            : undefined) ?? (kvmStop !== undefined && KVM_DEPENDENT.includes(rule.layer) ? kvmStop : undefined);
    if (stoppedBy !== undefined) {
      result = {
        id: rule.id,
        technology: rule.technology,
        layer: rule.layer,
        title: rule.title,
        status: 'SKIP',
        found: `not checked: "${stoppedBy.title}" failed`,
        source: 'not evaluated',
        why: rule.why,
        skippedBecause: stoppedBy.id,
        children: [],
      };
    } else {
      result = evaluate(rule, context);
    }
    byId.set(rule.id, result);
    (parent === undefined ? roots : parent.children).push(result);
  }
  return roots;
}

/** The checks of a tree in rule order (parents before children). */
export function flattenChecks(checks: readonly CheckResult[]): CheckResult[] {
  const out: CheckResult[] = [];
  const visit = (list: readonly CheckResult[]): void => {
    for (const check of list) {
      out.push(check);
      visit(check.children);
    }
  };
  visit(checks);
  return out;
}

/** true: every check of the layer passed (or warned); false: one failed or was skipped; null: one could not be told. */
function layerState(checks: readonly CheckResult[], layers: readonly Layer[]): boolean | null {
  const inLayer = checks.filter((c) => layers.includes(c.layer));
  if (inLayer.some((c) => c.status === 'FAIL' || c.status === 'SKIP')) return false;
  if (inLayer.some((c) => c.status === 'UNKNOWN')) return null;
  return true;
}

/** Three-valued and: false wins over unknown, unknown over true. */
function and(...values: (boolean | null)[]): boolean | null {
  if (values.includes(false)) return false;
  if (values.includes(null)) return null;
  return true;
}

/**
 * What a verdict rests on, as the words that follow "<technology> is usable", "is not enabled" or "could not tell
 * whether <technology> is usable": ", with 2 warnings: A; B", ": <the first FAIL's title>: <found>", ": <the first
 * UNKNOWN's title>: needs ...", or nothing. The summary is built from it, and the views that show a verdict next to
 * the technology's title show it after the verdict's word, so the title is not said twice.
 */
export function verdictDetail(checks: readonly CheckResult[], usable: boolean | null): string {
  const flat = flattenChecks(checks);
  if (usable === true) {
    const warnings = flat.filter((c) => c.status === 'WARN');
    return warnings.length
      ? `, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ` +
          `${warnings.map((c) => c.title).join('; ')}`
      : '';
  }
  if (usable === false) {
    const failed = flat.find((c) => c.status === 'FAIL');
    return failed ? `: ${failed.title}: ${failed.found}` : '';
  }
  const unknown = flat.find((c) => c.status === 'UNKNOWN');
  return unknown ? `: ${unknown.title}: needs ${unknown.needs ?? 'facts kvm-caps could not read'}` : '';
}

function verdictOf(technology: Technology, checks: readonly CheckResult[]): Verdict {
  const flat = flattenChecks(checks);
  const capable = layerState(flat, ['hardware', 'firmware']);
  const enabled = and(capable, layerState(flat, ['kernel', 'kvm']));
  const usable = and(enabled, layerState(flat, ['usable']));
  const name = TECHNOLOGY_TITLES[technology];
  const detail = verdictDetail(checks, usable);
  const word = capable === false ? 'capable' : enabled === false ? 'enabled' : 'usable';
  const summary =
    usable === true
      ? `${name} is usable${detail}`
      : usable === false
        ? `${name} is not ${word}${detail}`
        : `could not tell whether ${name} is usable${detail}`;
  return { capable, enabled, usable, summary };
}

function crossChecks(technologies: readonly Technology[], context: CheckContext): CheckResult[] {
  const confidential = technologies.some((t) => t !== 'kvm');
  return CROSS_CHECKS.filter(
    (rule) =>
      (rule.technology === 'kvm' ? confidential : technologies.includes(rule.technology)) && applies(rule, context),
  )
    .map((rule) => evaluate(rule, context))
    .filter((result) => result.status === 'WARN' || result.status === 'FAIL');
}

function notApplicable(technology: Technology, reason: string): TechnologyChecks {
  return {
    technology,
    applicable: false,
    reason,
    verdict: {
      capable: false,
      enabled: false,
      usable: false,
      summary: `${TECHNOLOGY_TITLES[technology]} is not applicable: ${reason}`,
    },
    checks: [],
  };
}

/** `model` is the snapshot's decoded host model, when the caller already has it (one model per snapshot). */
export function runChecks(
  snapshot: Snapshot,
  technologies: readonly Technology[],
  model: HostModel = decodeSnapshot(snapshot),
): CheckReport {
  const kvm = kvmDiagnosis(snapshot);
  const context: CheckContext = { snapshot, model, tdxCauses: tdxCauses(snapshot, model.confidential.tdx, kvm), kvm };
  const wanted = [...new Set(technologies)];
  const results: TechnologyChecks[] = wanted.map((technology) => {
    const applies = applicability(technology, snapshot);
    if (!applies.applicable) return notApplicable(technology, applies.reason);
    const checks = checkTree(technology, context);
    return { technology, applicable: true, verdict: verdictOf(technology, checks), checks };
  });
  // A technology that does not apply to the host does not count, unless none of those asked for does.
  const counted = results.filter((r) => r.applicable);
  const verdicts = (counted.length > 0 ? counted : results).map((r) => r.verdict.usable);
  const outcome: CheckReport['outcome'] = verdicts.includes(false)
    ? 'not-ready'
    : verdicts.includes(null)
      ? 'unknown'
      : 'ready';
  return {
    format: CHECK_FORMAT,
    version: CHECK_VERSION,
    snapshot: { createdAt: snapshot.createdAt, tool: snapshot.tool, context: snapshot.context },
    technologies: results,
    crossChecks: crossChecks(
      counted.map((r) => r.technology),
      context,
    ),
    outcome,
    kvmDiagnosis: kvm,
    ...(wanted.includes('tdx') ? { tdxExplanations: context.tdxCauses } : {}),
  };
}
