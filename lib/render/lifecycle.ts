// `kvm-caps lifecycle`: the confidential-VM launch steps, and which this host supports.
import type { LifecycleReport, LifecycleStepSupport, LifecycleSupport } from '../compare/lifecycle.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';

function mark(style: Style, value: boolean | null): string {
  return value === true ? style.good('yes') : value === false ? style.bad('no') : style.warn('unknown');
}

function callText(step: LifecycleStepSupport): string {
  if (step.calls.length === 0) return '(no KVM command)';
  return step.calls
    .map((c) => {
      if (c.command !== undefined) return `${c.call}(${c.command} = ${c.id})`;
      if (c.vmType !== undefined) return `${c.call}(${c.vmType} = ${c.vmTypeNumber})`;
      return c.fd === 'guest' ? `guest: ${c.call}` : c.call;
    })
    .join(', ');
}

function technologyLines(t: LifecycleSupport, style: Style): string[] {
  const iface =
    t.interface === null
      ? ''
      : t.interface === 'legacy'
        ? ', legacy KVM_SEV_INIT interface'
        : ', KVM_SEV_INIT2 interface';
  const lines = [
    `${style.bold(t.title)}  ${t.vmType.name} (${t.vmType.number})${iface}`,
    `  supported: ${mark(style, t.supported)} - ${t.summary}`,
  ];
  const steps = [...t.steps].sort((a, b) => a.sequence - b.sequence);
  // Steps done at the same point of the sequence (one call doing two things, or two guest-side
  // steps) share one number: the first carries it, the others follow it with "and".
  let number = 0;
  let previous: number | undefined;
  for (const s of steps) {
    const first = s.sequence !== previous;
    previous = s.sequence;
    if (first) number += 1;
    const head = first ? `${number}. ` : `${' '.repeat(`${number}. `.length)}and `;
    lines.push(`  ${head}${s.title}${s.by === 'guest' ? ' (guest)' : ''}: ${callText(s)}`);
    if (s.firmware.length > 0) lines.push(`       firmware: ${s.firmware.join('; ')}`);
    lines.push(`       ${style.dim(s.note)}`);
    if (t.supported !== false && (s.available !== t.supported || s.why !== t.summary))
      lines.push(`       here: ${mark(style, s.available)} - ${s.why}`);
  }
  return lines;
}

export function renderLifecycle(unsafe: LifecycleReport, style: Style): string {
  const report = terminalSafe(unsafe);
  const lines: string[] = [];
  for (const t of report.technologies) lines.push(...technologyLines(t, style), '');
  lines.push(
    style.dim(
      'Sources: Documentation/virt/kvm/x86/amd-memory-encryption.rst, intel-tdx.rst; ' +
        'ids from the Linux 7.2 UAPI headers.',
    ),
  );
  return `${lines.join('\n')}\n`;
}
