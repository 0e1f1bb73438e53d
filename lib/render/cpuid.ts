// `kvm-caps cpuid`: every CPUID entry KVM reports, with the names of its set bits.
import { hex } from '../knowledge/hex.js';
import type { DecodedCpuidEntry } from '../decode/cpuid-entry.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';

export function renderCpuid(unsafe: DecodedCpuidEntry[], style: Style): string {
  const entries = terminalSafe(unsafe);
  if (entries.length === 0) return '';
  const lines: string[] = [];
  for (const entry of entries) {
    const registers = (['eax', 'ebx', 'ecx', 'edx'] as const).map((r) => `${r}=${hex(entry[r], 8)}`).join(' ');
    lines.push(
      `${style.bold(`${hex(entry.function, 8)}.${entry.index}`)} ${style.dim(`flags=${entry.flags}`)} ${registers}`,
    );
    for (const register of ['eax', 'ebx', 'ecx', 'edx'] as const) {
      const names = entry.features[register] ?? [];
      const unknown = (entry.unknownBits[register] ?? []).map((bit) => `bit${bit}`);
      if (names.length + unknown.length > 0)
        lines.push(`    ${register}: ${[...names, ...unknown.map((u) => style.dim(u))].join(' ')}`);
    }
    const fields = Object.entries(entry.fields);
    if (fields.length > 0) lines.push(`    ${fields.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
