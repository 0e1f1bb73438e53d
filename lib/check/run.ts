// runChecks(): the pure function from a snapshot to the readiness checks. Builds the report
// once, evaluates each technology's rules in order (a FAILed parent SKIPs its descendants),
// nests the results into a tree, derives the capable / enabled / usable verdicts from the
// layers, lists the contradictions found, and says whether every technology asked about is
// ready. No I/O, no exit codes (those belong to the command line).
import { buildReport } from '../decode/model.js';
import type { Snapshot } from '../snapshot/types.js';
import { KVM_CROSS_CHECKS, KVM_RULES } from './rules/kvm.js';
import { SEV_CROSS_CHECKS, SEV_RULES } from './rules/sev.js';
import { TDX_CROSS_CHECKS, TDX_RULES } from './rules/tdx.js';
import {
  CHECK_FORMAT,
  CHECK_VERSION,
  TECHNOLOGIES,
  type CheckContext,
  type CheckRule,
  type CheckReport,
  type CheckResult,
  type Layer,
  type Technology,
  type TechnologyChecks,
  type Verdict,
} from './types.js';



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
 * What a choice means on this host. 'all' is KVM plus the confidential technologies of the
 * CPU's vendor (Intel: TDX; AMD: SEV, SEV-ES, SEV-SNP), so that a host can be ready for
 * "all"; every technology when the vendor could not be read; KVM alone elsewhere.
 */
export function technologiesFor(choice: TechnologyChoice, snapshot: Snapshot): Technology[] {
  if (choice !== 'all') return [choice];
  const cpuinfo = snapshot.host.cpuinfo;
  const vendor = 'value' in cpuinfo ? cpuinfo.value.vendor_id : undefined;
  if (vendor === 'GenuineIntel') return ['kvm', 'tdx'];
  if (vendor === 'AuthenticAMD') return ['kvm', 'sev', 'sev-es', 'snp'];
  if (vendor === undefined && (snapshot.context.arch === 'x64' || snapshot.context.arch === 'ia32')) return [...TECHNOLOGIES];
  return ['kvm'];
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
  const byId = new Map<string, CheckResult>();
  for (const rule of RULES) {
    if (rule.technology !== technology || !applies(rule, context)) continue;
    const parent = rule.parent === undefined ? undefined : byId.get(rule.parent);
    if (rule.parent !== undefined && parent === undefined) throw new Error(`check rule ${rule.id}: its parent ${rule.parent} is not an earlier ${technology} rule`);
    let result: CheckResult;
    const stoppedBy = parent === undefined ? undefined : parent.status === 'FAIL' ? parent : parent.status === 'SKIP' ? byId.get(parent.skippedBecause ?? '') : undefined;
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

function verdictOf(technology: Technology, checks: readonly CheckResult[]): Verdict {
  const flat = flattenChecks(checks);
  const capable = layerState(flat, ['hardware', 'firmware']);
  const enabled = and(capable, layerState(flat, ['kernel', 'kvm']));
  const usable = and(enabled, layerState(flat, ['usable']));
  const name = TECHNOLOGY_TITLES[technology];
  let summary: string;
  if (usable === true) {
    const warnings = flat.filter((c) => c.status === 'WARN');
    summary = `${name} is usable${warnings.length ? `, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings.map((c) => c.title).join('; ')}` : ''}`;
  } else if (usable === false) {
    const failed = flat.find((c) => c.status === 'FAIL');
    const word = capable === false ? 'capable' : enabled === false ? 'enabled' : 'usable';
    summary = `${name} is not ${word}${failed ? `: ${failed.title}: ${failed.found}` : ''}`;
  } else {
    const unknown = flat.find((c) => c.status === 'UNKNOWN');
    summary = `could not tell whether ${name} is usable${unknown ? `: ${unknown.title}: needs ${unknown.needs ?? 'facts kvm-caps could not read'}` : ''}`;
  }
  return { capable, enabled, usable, summary };
}

function crossChecks(technologies: readonly Technology[], context: CheckContext): CheckResult[] {
  const confidential = technologies.some((t) => t !== 'kvm');
  return CROSS_CHECKS.filter((rule) => (rule.technology === 'kvm' ? confidential : technologies.includes(rule.technology)) && applies(rule, context))
    .map((rule) => evaluate(rule, context))
    .filter((result) => result.status === 'WARN' || result.status === 'FAIL');
}

export function runChecks(snapshot: Snapshot, technologies: Technology[]): CheckReport {
  const report = buildReport(snapshot);
  const context: CheckContext = { snapshot, report };
  const wanted = [...new Set(technologies)];
  const results: TechnologyChecks[] = wanted.map((technology) => {
    const checks = checkTree(technology, context);
    return { technology, verdict: verdictOf(technology, checks), checks };
  });
  const verdicts = results.map((r) => r.verdict.usable);
  const outcome: CheckReport['outcome'] = verdicts.includes(false) ? 'not-ready' : verdicts.includes(null) ? 'unknown' : 'ready';
  return {
    format: CHECK_FORMAT,
    version: CHECK_VERSION,
    snapshot: { createdAt: snapshot.createdAt, tool: snapshot.tool, context: snapshot.context },
    technologies: results,
    crossChecks: crossChecks(wanted, context),
    outcome,
  };
}
