// `kvm-caps caps`: every capability with its system and VM answers.
import { formatDecoded, type CapabilityRow } from '../decode/capabilities.js';
import { known, type Traced } from '../decode/sourced.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';

/** The --json form: exactly { name, number, system, vm }, null where the check could not be made. */
export function capsJson(
  rows: CapabilityRow[],
): { name: string; number: number; system: number | null; vm: number | null }[] {
  return rows.map(({ name, number, system, vm }) => ({
    name,
    number,
    system: known(system) ?? null,
    vm: known(vm) ?? null,
  }));
}

export function renderCaps(unsafe: CapabilityRow[], style: Style): string {
  const rows = terminalSafe(unsafe);
  const width = Math.max(...rows.map((row) => row.name.length));
  const cell = (answer: Traced<number>) =>
    ('value' in answer ? String(answer.value) : 'error' in answer ? answer.error.code : '-').padStart(10);
  const lines = [style.bold(`${'capability'.padEnd(width)}  number     system         vm  meaning`)];
  for (const row of rows) {
    const answers = `${cell(row.system)} ${cell(row.vm)}`;
    const decoded = row.decoded ? formatDecoded(row.decoded) : '';
    const text = `${row.name.padEnd(width)}  ${String(row.number).padStart(6)} ${answers}  ${decoded}`;
    const present = (known(row.vm) ?? known(row.system) ?? 0) > 0;
    lines.push(present ? text.trimEnd() : style.dim(text.trimEnd()));
  }
  return `${lines.join('\n')}\n`;
}
