// `kvm-caps sev` and the report's SEV section: the SEV view for a person.
import type { SevGroup, SevItem, SevView } from '../decode/sev.js';
import { factLine } from './facts.js';
import type { Style } from './style.js';

const GROUPS: readonly (readonly [SevGroup, string])[] = [
  ['kvm', 'KVM'],
  ['cpu', 'CPU'],
  ['module', 'kvm_amd'],
  ['device', '/dev/sev'],
  ['sev-firmware', 'SEV firmware (SEV_PLATFORM_STATUS)'],
  ['snp-firmware', 'SEV-SNP firmware (SNP_PLATFORM_STATUS)'],
  ['capacity', 'ASIDs'],
  ['log', 'Kernel log'],
  ['init2', '--deep: KVM_SEV_INIT2'],
];

function mark(style: Style, item: SevItem): string {
  switch (item.status) {
    case 'pass':
      return style.good('ok  ');
    case 'fail':
      return style.bad('FAIL');
    case 'warn':
      return style.warn('WARN');
    case 'unknown':
      return style.dim('??  ');
    case 'info':
      return '    ';
  }
}

function itemLines(style: Style, item: SevItem): string[] {
  const lines = [factLine(style, item.label, `${mark(style, item)} ${item.value}`, item.source)];
  if (item.meaning && item.status !== 'pass') lines.push(`      ${item.meaning}`);
  if (item.hint) lines.push(`      fix: ${item.hint}`);
  return lines;
}

/** Items shown in the host report: the VM types, firmware versions, ASIDs, and whatever is wrong. */
const SUMMARY_IDS = new Set(['sev.firmware', 'snp.firmware', 'capacity.sev', 'capacity.sev_es']);

export function renderSevSummary(view: SevView, style: Style): string[] {
  return view.items
    .filter((item) => item.id.startsWith('kvm.vmType.') || SUMMARY_IDS.has(item.id) || item.status === 'fail' || item.status === 'warn')
    .flatMap((item) => itemLines(style, item));
}

export function renderSev(view: SevView, style: Style): string {
  const lines: string[] = [style.bold(view.title)];
  for (const [group, title] of GROUPS) {
    const items = view.items.filter((item) => item.group === group);
    if (items.length === 0) continue;
    lines.push('', style.bold(title), ...items.flatMap((item) => itemLines(style, item)));
  }
  if (view.notes.length > 0) {
    lines.push('', style.bold('Notes'));
    for (const note of view.notes) lines.push(`  ${note.text}  ${style.dim(`[${note.source}]`)}`);
  }
  return `${lines.join('\n')}\n`;
}
