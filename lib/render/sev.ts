// `kvm-caps sev` and the report's SEV section: the SEV model and the SEV, SEV-ES and SEV-SNP
// checks for a person.
import { TECHNOLOGY_TITLES } from '../check/run.js';
import type { CheckResult } from '../check/types.js';
import { checkTreeLines, verdictText } from './check.js';
import { factLine, labelWidth, STATUS_WIDTH } from './facts.js';
import type { SevSection } from './report.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';
import { sevLineText, type SevLine, type SevNote } from './sev-line.js';
import { cpuLines, hostNotes, kvmLines, msrLines } from './sev-host.js';
import { capacityLines, init2Lines, logLines, moduleLines } from './sev-kvm-amd.js';
import { deviceLines, platformNotes, pspLines, sevFirmwareLines, snpFirmwareLines } from './sev-platform.js';
import { SECTION_TITLES } from './section-titles.js';

/** The view's groups in order, with their headings and the render/sev-*.ts function that gives their lines. */
const GROUPS: readonly (readonly [string, (view: SevSection) => SevLine[]])[] = [
  ['KVM', kvmLines],
  ['CPU', cpuLines],
  ['MSRs (/dev/cpu/0/msr)', msrLines],
  ['kvm_amd', moduleLines],
  ['/dev/sev', deviceLines],
  ['SEV firmware (SEV_PLATFORM_STATUS)', sevFirmwareLines],
  ['PSP (sysfs: a production part shows fused_part 1 and debug_lock_on 1)', pspLines],
  ['SEV-SNP firmware (SNP_PLATFORM_STATUS)', snpFirmwareLines],
  ['ASIDs', capacityLines],
  ['Kernel log', logLines],
  ['--deep: KVM_SEV_INIT2', init2Lines],
];

/** The notes under the view, from the SEV model: what a reader needs to read the facts right. */
const NOTES: readonly ((view: SevSection) => SevNote[])[] = [hostNotes, platformNotes];

/** Every fact line of the view, in its order. */
export const sevLines = (view: SevSection): SevLine[] => GROUPS.flatMap(([, linesOf]) => linesOf(view));

/** The FAIL and WARN checks of every SEV technology, each once (the same rule recurs per technology). */
function problems(view: SevSection): CheckResult[] {
  const seen = new Map<string, CheckResult>();
  const walk = (checks: readonly CheckResult[]): void => {
    for (const c of checks) {
      const key = `${c.title}\0${c.found}`;
      if ((c.status === 'FAIL' || c.status === 'WARN') && !seen.has(key)) seen.set(key, c);
      walk(c.children);
    }
  };
  for (const t of view.technologies) walk(t.checks);
  return [...seen.values()];
}

const statusWord = (style: Style, c: CheckResult): string =>
  c.status === 'FAIL' ? style.bad('FAIL'.padEnd(STATUS_WIDTH)) : style.warn('WARN'.padEnd(STATUS_WIDTH));

/** The short section's problems: what was found, where, and the fix (the tree is not shown there). */
function problemLines(view: SevSection, style: Style): string[] {
  return failsFirst(problems(view)).flatMap((c) => [
    `  ${statusWord(style, c)} ${c.title}: ${c.found}  ${style.dim(`[${c.source}]`)}`,
    ...(c.fix === undefined ? [] : [`      fix: ${c.fix}`]),
  ]);
}

const failsFirst = (checks: readonly CheckResult[]): CheckResult[] => [
  ...checks.filter((c) => c.status === 'FAIL'),
  ...checks.filter((c) => c.status === 'WARN'),
];

/** Under the full view's trees, which already say what was found: each problem's fix, FAILs first, then WARNs. */
function fixLines(view: SevSection, style: Style): string[] {
  return failsFirst(problems(view).filter((c) => c.fix !== undefined)).flatMap((c) => [
    `  ${statusWord(style, c)} ${c.title}`,
    `      fix: ${c.fix}`,
  ]);
}

/** The check run's verdicts: one line when SEV does not apply to this host, else one per technology. */
function verdictLines(view: SevSection, style: Style, width?: number): string[] {
  const first = view.technologies[0];
  if (first !== undefined && view.technologies.every((t) => !t.applicable))
    return [factLine(style, 'Verdict', verdictText(first, style), null, width)];
  return view.technologies.map((t) =>
    factLine(style, TECHNOLOGY_TITLES[t.technology], verdictText(t, style), null, width),
  );
}

/** One label column for the lines shown and the verdicts above them. */
const widthOf = (view: SevSection, labels: readonly string[]): number =>
  labelWidth([...labels, ...view.technologies.map((t) => TECHNOLOGY_TITLES[t.technology])]);

const applies = (view: SevSection): boolean => view.technologies.some((t) => t.applicable);

export function renderSevSummary(view: SevSection, style: Style): string[] {
  if (!applies(view)) return verdictLines(view, style);
  const lines = sevLines(view).filter((line) => line.summary);
  const width = widthOf(
    view,
    lines.map((l) => l.label),
  );
  return [
    ...verdictLines(view, style, width),
    ...lines.flatMap((line) => sevLineText(style, line, width)),
    ...problemLines(view, style),
  ];
}

export function renderSev(unsafe: SevSection, style: Style): string {
  const view = terminalSafe(unsafe);
  const width = widthOf(
    view,
    sevLines(view).map((l) => l.label),
  );
  const lines: string[] = [style.bold(SECTION_TITLES.sev), ...verdictLines(view, style, width)];
  if (!applies(view)) return `${lines.join('\n')}\n`;
  for (const [title, linesOf] of GROUPS) {
    const shown = linesOf(view).flatMap((line) => sevLineText(style, line, width));
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
  const fixes = fixLines(view, style);
  if (fixes.length > 0) lines.push('', style.bold('How to fix (each FAIL and WARN above once)'), ...fixes);
  const notes = NOTES.flatMap((notesOf) => notesOf(view));
  if (notes.length > 0) {
    lines.push('', style.bold('Notes'));
    for (const note of notes) lines.push(`  ${note.text}  ${style.dim(`[${note.source}]`)}`);
  }
  return `${lines.join('\n')}\n`;
}
