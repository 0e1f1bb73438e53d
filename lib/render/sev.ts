// `kvm-caps sev` and the report's SEV section: the SEV model and the SEV, SEV-ES and SEV-SNP
// checks for a person.
import { TECHNOLOGY_TITLES } from '../check/run.js';
import type { CheckResult } from '../check/types.js';
import type { SevGroup, SevItem } from '../decode/sev.js';
import { checkTreeLines, verdictWord } from './check.js';
import { factLine, labelWidth, STATUS_WIDTH } from './facts.js';
import type { SevSection } from './report.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';
import { sevLineText, type SevLine, type SevNote } from './sev-line.js';
import { capacityLines, init2Lines, logLines, moduleLines } from './sev-kvm-amd.js';

/**
 * The groups whose lines come from the SEV model (render/sev-*.ts). A group not listed here still shows the
 * decode layer's items while the SEV decode moves to typed fields, group by group.
 */
const GROUP_LINES: Partial<Record<SevGroup, (view: SevSection) => SevLine[]>> = {
  module: moduleLines,
  capacity: capacityLines,
  log: logLines,
  init2: init2Lines,
};

/** The notes under the view (render/sev-*.ts), from the SEV model: what a reader needs to read the facts right. */
const NOTES: readonly ((view: SevSection) => SevNote[])[] = [];

const modelLines = (view: SevSection): SevLine[] => GROUPS.flatMap(([group]) => GROUP_LINES[group]?.(view) ?? []);

/** The items of the groups that do not yet come from the model. */
const legacyItems = (view: SevSection): SevItem[] => view.items.filter((item) => GROUP_LINES[item.group] === undefined);

/** The FAIL and WARN checks of every SEV technology, each once, with its fix: what the short section shows. */
function problemLines(view: SevSection, style: Style, width: number): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  const walk = (checks: readonly CheckResult[]): void => {
    for (const c of checks) {
      if ((c.status === 'FAIL' || c.status === 'WARN') && !seen.has(`${c.title}\0${c.found}`)) {
        seen.add(`${c.title}\0${c.found}`);
        const word =
          c.status === 'FAIL' ? style.bad('FAIL'.padEnd(STATUS_WIDTH)) : style.warn('WARN'.padEnd(STATUS_WIDTH));
        lines.push(factLine(style, c.title, `${word} ${c.found}`, c.source, width));
        if (c.fix !== undefined) lines.push(`      fix: ${c.fix}`);
      }
      walk(c.children);
    }
  };
  for (const t of view.technologies) walk(t.checks);
  return lines;
}

const GROUPS: readonly (readonly [SevGroup, string])[] = [
  ['kvm', 'KVM'],
  ['cpu', 'CPU'],
  ['msr', 'MSRs (/dev/cpu/0/msr)'],
  ['module', 'kvm_amd'],
  ['device', '/dev/sev'],
  ['sev-firmware', 'SEV firmware (SEV_PLATFORM_STATUS)'],
  ['psp', 'PSP (sysfs: a production part shows fused_part 1 and debug_lock_on 1)'],
  ['snp-firmware', 'SEV-SNP firmware (SNP_PLATFORM_STATUS)'],
  ['capacity', 'ASIDs'],
  ['log', 'Kernel log'],
  ['init2', '--deep: KVM_SEV_INIT2'],
];

/** The item's status in words, in a column of its own. */
function mark(style: Style, item: SevItem): string {
  switch (item.status) {
    case 'pass':
      return style.good('ok'.padEnd(STATUS_WIDTH));
    case 'fail':
      return style.bad('FAIL'.padEnd(STATUS_WIDTH));
    case 'warn':
      return style.warn('WARN'.padEnd(STATUS_WIDTH));
    case 'unknown':
      return style.dim('unknown');
    case 'info':
      return ' '.repeat(STATUS_WIDTH);
  }
}

/** `width`: the label column of the whole view, so that long labels do not break it. */
function itemLines(style: Style, item: SevItem, width: number): string[] {
  // An item whose value is only "unknown" says it once, in the status column.
  const value = item.status === 'unknown' && item.value === 'unknown' ? '' : ` ${item.value}`;
  const lines = [factLine(style, item.label, `${mark(style, item)}${value}`, item.source, width)];
  if (item.meaning && item.status !== 'pass') lines.push(`      ${item.meaning}`);
  if (item.hint) lines.push(`      fix: ${item.hint}`);
  return lines;
}

/** Items shown in the host report: the VM types, firmware versions, ASIDs, and whatever is wrong. */
const SUMMARY_IDS = new Set(['sev.firmware', 'snp.firmware']);

/** The check run's verdicts: one line when SEV does not apply to this host, else one per technology. */
function verdictLines(view: SevSection, style: Style, width?: number): string[] {
  const first = view.technologies[0];
  if (first !== undefined && view.technologies.every((t) => !t.applicable))
    return [factLine(style, 'Verdict', `${verdictWord(first, style)}: ${first.reason ?? ''}`, null, width)];
  return view.technologies.map((t) =>
    factLine(
      style,
      TECHNOLOGY_TITLES[t.technology],
      `${verdictWord(t, style)}: ${t.applicable ? t.verdict.summary : (t.reason ?? '')}`,
      null,
      width,
    ),
  );
}

/** One label column for the lines shown and the verdicts above them. */
const widthOf = (view: SevSection, labels: readonly string[]): number =>
  labelWidth([...labels, ...view.technologies.map((t) => TECHNOLOGY_TITLES[t.technology])]);

const applies = (view: SevSection): boolean => view.technologies.some((t) => t.applicable);

export function renderSevSummary(view: SevSection, style: Style): string[] {
  if (!applies(view)) return verdictLines(view, style);
  const lines = modelLines(view).filter((line) => line.summary);
  const items = legacyItems(view).filter(
    (item) =>
      item.id.startsWith('kvm.vmType.') || SUMMARY_IDS.has(item.id) || item.status === 'fail' || item.status === 'warn',
  );
  const width = widthOf(view, [...lines.map((l) => l.label), ...items.map((i) => i.label)]);
  return [
    ...verdictLines(view, style, width),
    ...lines.flatMap((line) => sevLineText(style, line, width)),
    ...items.flatMap((item) => itemLines(style, item, width)),
    ...problemLines(view, style, width),
  ];
}

export function renderSev(unsafe: SevSection, style: Style): string {
  const view = terminalSafe(unsafe);
  const width = widthOf(view, [...modelLines(view).map((l) => l.label), ...legacyItems(view).map((i) => i.label)]);
  const lines: string[] = [style.bold(view.title), ...verdictLines(view, style, width)];
  if (!applies(view)) return `${lines.join('\n')}\n`;
  for (const [group, title] of GROUPS) {
    const lineOf = GROUP_LINES[group];
    const shown =
      lineOf !== undefined
        ? lineOf(view).flatMap((line) => sevLineText(style, line, width))
        : view.items.filter((item) => item.group === group).flatMap((item) => itemLines(style, item, width));
    if (shown.length > 0) lines.push('', style.bold(title), ...shown);
  }
  for (const t of view.technologies) {
    if (t.checks.length > 0)
      lines.push(
        '',
        style.bold(
          `${TECHNOLOGY_TITLES[t.technology]} checks (\`kvm-caps check ` +
            `${t.technology} --verbose\` says why, where and how to fix)`,
        ),
        ...checkTreeLines(t, style, false),
      );
  }
  const notes = [...view.notes, ...NOTES.flatMap((notesOf) => notesOf(view))];
  if (notes.length > 0) {
    lines.push('', style.bold('Notes'));
    for (const note of notes) lines.push(`  ${note.text}  ${style.dim(`[${note.source}]`)}`);
  }
  return `${lines.join('\n')}\n`;
}
