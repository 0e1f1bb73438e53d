// Lines shared by the technology views (TDX, SEV): a labelled fact with its source.
import type { Style } from './style.js';

export const LABEL_WIDTH = 28;

/** "  Label                       value  [source]"; `width` (label and gap) for a column wider than the usual. */
export function factLine(
  style: Style,
  label: string,
  value: string,
  source?: string | null,
  width = LABEL_WIDTH,
): string {
  const from = source ? `  ${style.dim(`[${source}]`)}` : '';
  // Long labels keep two spaces before the value rather than running into it.
  return `  ${`${label}  `.padEnd(width)}${value}${from}`;
}

/** The label column for these labels: the usual width, or wider so that the longest still leaves a gap. */
export function labelWidth(labels: readonly string[]): number {
  return Math.max(LABEL_WIDTH, ...labels.map((label) => label.length + 2));
}

/** A status word in a column of its own, padded before it is styled so that the values after it align. */
export const STATUS_WIDTH = 'unknown'.length;
