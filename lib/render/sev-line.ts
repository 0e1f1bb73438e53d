// One fact line of the SEV view, as the render/sev-*.ts modules build it from the SEV model:
// what was found, in words, and where. Fact lines carry no status: the SEV, SEV-ES and SEV-SNP
// checks under them are the judgement.
import { factLine } from './facts.js';
import type { Style } from './style.js';

export interface SevLine {
  /** Stable key, e.g. "kvm.vmType.SNP", "snp.tcb.match": what tests and the summary pick lines by. */
  id: string;
  label: string;
  value: string;
  /** Where the value came from: the ioctl, file, log line. */
  source: string;
  /** What the value says about the host, where that needs saying. */
  meaning?: string;
  /** Shown in the host report's short SEV section too (VM types, firmware versions, ASIDs). */
  summary?: true;
}

/** A note under the SEV view: a kernel or CPU behaviour the facts above depend on, with where it is written. */
export interface SevNote {
  text: string;
  source: string;
}

/** `width`: the label column of the whole view, so that long labels do not break it. */
export function sevLineText(style: Style, line: SevLine, width: number): string[] {
  const lines = [factLine(style, line.label, line.value, line.source, width)];
  if (line.meaning !== undefined) lines.push(`      ${line.meaning}`);
  return lines;
}
