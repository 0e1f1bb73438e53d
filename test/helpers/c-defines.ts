// Reads `#define NAME value` constants out of kernel headers and sources, and evaluates the
// integer ones (hex and decimal literals with U/UL/ULL suffixes, BIT(), BIT_ULL(), _BITUL(),
// GENMASK_ULL(), _UL(), |, <<, and references to other defines), so tests compare kvm-caps'
// tables with the kernel's own numbers instead of numbers copied by hand.
import { readFileSync } from 'node:fs';

/** NAME -> the define's raw text (comments removed, continuation lines joined). */
export function readDefines(...files: string[]): Map<string, string> {
  const defines = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, ' ')
      .replace(/\/\/[^\n]*/g, '')
      .replace(/\\\n/g, ' ');
    for (const match of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?![\w(])[ \t]*(.*)$/gm)) {
      const [, name = '', value = ''] = match;
      if (!defines.has(name)) defines.set(name, value.trim());
    }
  }
  return defines;
}

/** The integer value of a define, or undefined when it is not an integer expression. */
export function evaluateDefine(
  defines: ReadonlyMap<string, string>,
  name: string,
  seen: ReadonlySet<string> = new Set(),
): bigint | undefined {
  const raw = defines.get(name);
  if (raw === undefined || seen.has(name)) return undefined;
  const inner = new Set(seen).add(name);
  let failed = false;
  const expr = raw
    .replace(/\b(0[xX][0-9a-fA-F]+|\d+)(?:ULL|UL|LL|U|L)?\b/g, (_, n: string) => `${BigInt(n)}n`)
    .replace(/\b(BIT_ULL|BIT|_BITUL|_BITULL|GENMASK_ULL|GENMASK|_UL|_ULL)\s*\(/g, (_, macro: string) =>
      macro.startsWith('GENMASK') ? 'G(' : macro.startsWith('_UL') ? '(' : 'B(',
    )
    .replace(/\b(?!G\b|B\b)([A-Za-z_]\w*)\b(?!n\b)/g, (whole, id: string) => {
      if (/^\d+n$/.test(whole)) return whole;
      const value = evaluateDefine(defines, id, inner);
      if (value === undefined) failed = true;
      return `${value ?? 0n}n`;
    });
  if (failed || !/^[\s\dn|&<>()+\-~GB,]*$/.test(expr)) return undefined;
  const B = (n: bigint): bigint => 1n << n;
  const G = (h: bigint, l: bigint): bigint => ((1n << (h - l + 1n)) - 1n) << l;
  try {
    const value = new Function('B', 'G', `return (${expr});`)(B, G) as unknown;
    return typeof value === 'bigint' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Every integer define whose name matches `pattern`: name -> value. */
export function integerDefines(defines: ReadonlyMap<string, string>, pattern: RegExp): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const name of defines.keys()) {
    if (!pattern.test(name)) continue;
    const value = evaluateDefine(defines, name);
    if (value !== undefined) out.set(name, value);
  }
  return out;
}
