// `kvm-caps check` for a person: per technology its verdict, then its checks as a tree
// (status, title, what was found); --verbose adds why each check matters, where its facts were
// read, the fix, what an unknown needs, and which failed check skipped it. Then the
// contradictions found, and the outcome.
import { flattenChecks, TECHNOLOGY_TITLES, verdictDetail } from '../check/run.js';
import type { CheckReport, CheckResult, CheckStatus, TechnologyChecks, Verdict } from '../check/types.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';

export interface CheckRenderOptions {
  verbose?: boolean;
}

const WIDTH = 'UNKNOWN'.length;

function statusTag(status: CheckStatus, style: Style): string {
  const text = status.padEnd(WIDTH);
  switch (status) {
    case 'PASS':
      return style.good(text);
    case 'WARN':
      return style.warn(text);
    case 'FAIL':
      return style.bad(text);
    case 'SKIP':
      return style.dim(text);
    case 'UNKNOWN':
      return style.warn(text);
  }
}

const yesNo = (value: boolean | null): string => (value === null ? 'unknown' : value ? 'yes' : 'no');

/** A technology's verdict in a few words: usable, not capable / enabled / usable, could not tell, or not applicable. */
export function verdictWord(t: Pick<TechnologyChecks, 'applicable' | 'verdict'>, style: Style): string {
  if (!t.applicable) return style.dim('not applicable');
  const verdict = t.verdict;
  if (verdict.usable === true) return style.good('usable');
  if (verdict.usable === null) return style.warn('could not tell');
  const word = verdict.capable === false ? 'not capable' : verdict.enabled === false ? 'not enabled' : 'not usable';
  return style.bad(word);
}

/**
 * A verdict as it reads after its technology's title, which it does not repeat: "usable, with 1 warning: ...",
 * "not enabled: <check>: <found>", "could not tell: <check>: needs ...", "not applicable: <reason>".
 */
export function verdictText(t: TechnologyChecks, style: Style): string {
  return t.applicable
    ? `${verdictWord(t, style)}${verdictDetail(t.checks, t.verdict.usable)}`
    : `${verdictWord(t, style)}: ${t.reason ?? ''}`;
}

function checkLines(
  check: CheckResult,
  depth: number,
  byId: Map<string, CheckResult>,
  style: Style,
  verbose: boolean,
): string[] {
  const indent = '  '.repeat(depth);
  const status = check.status;
  const found = status === 'SKIP' ? style.dim(check.found) : check.found;
  const lines = [`${indent}${statusTag(status, style)} ${check.title}: ${found}`];
  if (verbose) {
    const detail = `${indent}${' '.repeat(WIDTH + 1)}`;
    const field = (label: string, text: string): string => `${detail}${style.dim(`${label}:`)} ${text}`;
    lines.push(field('why', check.why));
    if (status !== 'SKIP') lines.push(field('source', check.source));
    if (check.fix !== undefined) lines.push(field('fix', check.fix));
    if (check.needs !== undefined) lines.push(field('needs', check.needs));
    if (check.skippedBecause !== undefined) {
      const by = byId.get(check.skippedBecause);
      lines.push(field('skipped because', by ? `"${by.title}" (${by.id}) failed` : `${check.skippedBecause} failed`));
    }
  }
  for (const child of check.children) lines.push(...checkLines(child, depth + 1, byId, style, verbose));
  return lines;
}

/** A technology's checks as a tree, one line each (with --verbose, why, source, fix, needs). */
export function checkTreeLines(t: TechnologyChecks, style: Style, verbose: boolean, depth = 1): string[] {
  const byId = new Map(flattenChecks(t.checks).map((c) => [c.id, c]));
  return t.checks.flatMap((check) => checkLines(check, depth, byId, style, verbose));
}

function technologyLines(t: TechnologyChecks, style: Style, verbose: boolean): string[] {
  // A technology that does not apply to this host: one line, with the reason.
  const title = `${style.bold(TECHNOLOGY_TITLES[t.technology])}: ${verdictText(t, style)}`;
  if (!t.applicable) return [title];
  const v = t.verdict;
  const lines = [
    title,
    style.dim(`  capable: ${yesNo(v.capable)}, enabled: ${yesNo(v.enabled)}, usable: ${yesNo(v.usable)}`),
  ];
  // KVM's specific cause (the check its verdict names) says where it was read and its fix up front.
  const failed =
    t.technology === 'kvm' && v.usable === false ? flattenChecks(t.checks).find((c) => c.status === 'FAIL') : undefined;
  if (failed !== undefined) {
    lines.splice(1, 0, `  ${style.dim('read from:')} ${failed.source}`);
    if (failed.fix !== undefined) lines.splice(2, 0, `  ${style.dim('fix:')} ${failed.fix}`);
  }
  lines.push(...checkTreeLines(t, style, verbose));
  return lines;
}

function outcomeLine(report: CheckReport, style: Style): string {
  const names = (pick: (v: Verdict) => boolean): string =>
    report.technologies
      .filter((t) => t.applicable && pick(t.verdict))
      .map((t) => t.technology)
      .join(', ');
  if (!report.technologies.some((t) => t.applicable)) {
    return (
      `${style.bad('Not ready')}: not applicable to this host: ` +
      `${report.technologies.map((t) => t.technology).join(', ')}`
    );
  }
  switch (report.outcome) {
    case 'ready':
      return `${style.good('Ready')}: usable here: ${names(() => true)}`;
    case 'not-ready':
      return (
        `${style.bad('Not ready')}: not usable: ` +
        `${names((v) => v.usable === false)}` +
        `${names((v) => v.usable === null) ? `; could not tell: ${names((v) => v.usable === null)}` : ''}`
      );
    case 'unknown':
      return (
        `${style.warn('Could not tell')}: ` +
        `${names((v) => v.usable === null)} (run as root, or see "needs" with --verbose)`
      );
  }
}

export function renderCheck(unsafe: CheckReport, style: Style, options: CheckRenderOptions = {}): string {
  const report = terminalSafe(unsafe);
  const verbose = options.verbose === true;
  const blocks: string[][] = report.technologies.map((t) => technologyLines(t, style, verbose));
  if (report.crossChecks.length > 0) {
    const lines = [style.bold('Contradictions')];
    for (const c of report.crossChecks) {
      lines.push(`  ${statusTag(c.status, style)} [${c.technology}] ${c.title}: ${c.found}`);
      if (verbose) {
        const detail = `  ${' '.repeat(WIDTH + 1)}`;
        lines.push(`${detail}${style.dim('why:')} ${c.why}`, `${detail}${style.dim('source:')} ${c.source}`);
        if (c.fix !== undefined) lines.push(`${detail}${style.dim('fix:')} ${c.fix}`);
      }
    }
    blocks.push(lines);
  }
  const tail = [outcomeLine(report, style)];
  const anything =
    report.technologies.some((t) => flattenChecks(t.checks).some((c) => c.status !== 'PASS')) ||
    report.crossChecks.length > 0;
  if (!verbose && anything)
    tail.push(style.dim('--verbose: why each check matters, where its facts were read, and how to fix what failed'));
  blocks.push(tail);
  return `${blocks.map((b) => b.join('\n')).join('\n\n')}\n`;
}
