// `kvm-caps diff`: two hosts' differences for a person, grouped as diffSnapshots orders them.
// A '!' marks a difference that matters; CPUID features only one host offers are listed on
// one line per side rather than one line each.
import { CATEGORY_TITLES, DIFF_CATEGORIES, type Difference, type SnapshotDiff } from '../compare/diff.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';

const FEATURE = /^cpuid\.(?!physical-address-bits$)/;

/** What to call the two snapshots, e.g. their file names. */
export interface DiffNames {
  a: string;
  b: string;
}

function hostLine(name: string, host: SnapshotDiff['a']): string {
  return (
    `${name}: taken ${host.createdAt} by ${host.tool.name} ${host.tool.version}, kernel ` +
    `${host.kernelRelease ?? 'unknown'}, ${host.cpu ?? 'CPU unknown'}`
  );
}

function differenceLines(d: Difference, style: Style): string[] {
  const mark = d.matters ? style.bad('!') : ' ';
  const lines = [`${mark} ${style.bold(d.label)}`];
  const sameSource = d.a.source === d.b.source;
  lines.push(`      A: ${d.a.text}${sameSource ? '' : `  ${style.dim(`[${d.a.source}]`)}`}`);
  lines.push(`      B: ${d.b.text}${sameSource ? '' : `  ${style.dim(`[${d.b.source}]`)}`}`);
  if (sameSource) lines.push(`      ${style.dim(`[${d.a.source}]`)}`);
  return lines;
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * What the listing below holds, counted as it is shown: each difference on its own lines, and the
 * CPUID features one host offers and the other does not, by name on one line per kind.
 */
function headline(diff: SnapshotDiff, style: Style): string {
  const features = diff.differences.filter((d) => d.category === 'cpuid' && FEATURE.test(d.key)).length;
  const listed = diff.counts.differences - features;
  const matter = diff.counts.matter;
  const byName =
    features === 0
      ? ''
      : `${listed === 0 ? '' : ', and '}${count(features, 'CPUID feature', 'CPUID features')} listed by name`;
  if (diff.agree)
    return style.good(
      `They agree on everything that matters; ${
        listed === 0 ? '' : `${count(listed, 'difference', 'differences')} that do not`
      }${byName}.`,
    );
  const others = listed - matter;
  return style.bad(
    `${count(matter, 'difference', 'differences')} that ` +
      `matter${others > 0 ? ` ('!'), ${others} more that do not` : ''}${byName}.`,
  );
}

export function renderDiff(unsafe: SnapshotDiff, style: Style, unsafeNames?: DiffNames): string {
  const diff = terminalSafe(unsafe);
  const names = terminalSafe(unsafeNames);
  const lines = [hostLine(names ? `A ${names.a}` : 'A', diff.a), hostLine(names ? `B ${names.b}` : 'B', diff.b), ''];
  if (diff.counts.differences === 0) {
    lines.push(style.good('The snapshots agree on everything kvm-caps compares.'));
    return `${lines.join('\n')}\n`;
  }
  lines.push(headline(diff, style));
  for (const category of DIFF_CATEGORIES) {
    const list = diff.differences.filter((d) => d.category === category);
    if (list.length === 0) continue;
    lines.push('', style.bold(CATEGORY_TITLES[category]));
    if (category === 'cpuid') {
      // Features: one line per kind of difference ("offered" / "not offered" / "unknown").
      const groups = new Map<string, string[]>();
      const rest: Difference[] = [];
      for (const d of list) {
        if (!FEATURE.test(d.key)) {
          rest.push(d);
          continue;
        }
        const heading = `A ${d.a.text}, B ${d.b.text}`;
        groups.set(heading, [...(groups.get(heading) ?? []), d.key.slice('cpuid.'.length)]);
      }
      for (const [heading, names] of groups) lines.push(`  ${heading}: ${names.join(' ')}`);
      for (const d of rest) lines.push(...differenceLines(d, style));
      continue;
    }
    for (const d of list) lines.push(...differenceLines(d, style));
  }
  return `${lines.join('\n')}\n`;
}
