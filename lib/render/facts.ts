// Lines shared by the technology views (TDX, SEV): a labelled fact with its source.
import type { Style } from './style.js';

export const LABEL_WIDTH = 28;

/** "  Label                       value  [source]" */
export function factLine(style: Style, label: string, value: string, source?: string | null): string {
  const from = source ? `  ${style.dim(`[${source}]`)}` : '';
  // Long labels keep two spaces before the value rather than running into it.
  return `  ${`${label}  `.padEnd(LABEL_WIDTH)}${value}${from}`;
}

/** A view fact: known (its text) or unknown (its reason, dimmed). */
export function viewFactLine(
  style: Style,
  label: string,
  fact: { known: boolean; text: string; source: string | null },
): string {
  return factLine(style, label, fact.known ? fact.text : style.dim(fact.text), fact.source);
}
