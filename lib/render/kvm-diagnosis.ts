// Why KVM is (not) usable, for a person: the specific cause first, the kernel's own line quoted
// with where it was read and which kernels print it, then the fix; the other causes after it;
// then nested virtualization, the outer hypervisor, earlier boots of a saved log and a log
// that could not be read. Used by the host report and by the stderr note of every command.
import { specificCause, type KvmCause, type KvmDiagnosis, type KvmEvidence } from '../check/kvm-causes.js';
import { factLine } from './facts.js';
import type { Style } from './style.js';

const INDENT = ' '.repeat(30);

function evidenceLines(style: Style, evidence: readonly KvmEvidence[]): string[] {
  return evidence.flatMap((e) =>
    e.kernelSource === undefined
      ? [`${INDENT}${e.quote}  ${style.dim(`[${e.source}]`)}`]
      : [
          `${INDENT}the kernel logged: "${e.quote}"  ${style.dim(`[${e.source}]`)}`,
          `${INDENT}  ${style.dim(`printed by ${e.kernelSource}`)}`,
        ],
  );
}

function causeLines(style: Style, label: string, cause: KvmCause): string[] {
  const word =
    cause.status === 'FAIL' ? style.bad(cause.found) : cause.status === 'WARN' ? style.warn(cause.found) : cause.found;
  const lines = [factLine(style, label, word), ...evidenceLines(style, cause.evidence)];
  if (cause.fix !== undefined && cause.status !== 'PASS') lines.push(factLine(style, '  fix', cause.fix));
  return lines;
}

const LOG_UNREAD =
  'what only the kernel says (a backend that would not bind, an SEV guest, a clash of vendor ' +
  'modules, a failed enable, a rejected parameter) could not be told; run as root or pass it with ' +
  '--kernel-log FILE';

/** The title of the report's KVM section: the question it answers. */
export function kvmDiagnosisTitle(diagnosis: KvmDiagnosis): string {
  const first = specificCause(diagnosis);
  return first?.status === 'FAIL' ? 'Why KVM is not usable here' : 'KVM bring-up';
}

/** The report's KVM section; empty when there is nothing to say. */
export function kvmDiagnosisLines(diagnosis: KvmDiagnosis, style: Style): string[] {
  const lines: string[] = [];
  const first = specificCause(diagnosis);
  if (first !== undefined) lines.push(...causeLines(style, 'Cause', first));
  for (const other of diagnosis.causes)
    if (other !== first && other.status !== 'PASS') lines.push(...causeLines(style, 'Also', other));
  const bound = diagnosis.causes.find((c) => c.id === 'kvm.backend-bound');
  if (bound !== undefined) lines.push(...causeLines(style, 'Backend', bound));
  if (diagnosis.hypervisor !== null) {
    const outer = diagnosis.hypervisor.logged ?? 'a hypervisor (CPUID hypervisor bit)';
    const exposes =
      diagnosis.flag === null
        ? ''
        : `; it ${diagnosis.hypervisor.exposesExtension ? 'exposes' : 'does not expose'}` +
          ` ${diagnosis.flag} to this guest`;
    lines.push(factLine(style, 'Outer hypervisor', `${outer}${exposes}`));
  }
  if (diagnosis.nested !== null) {
    const n = diagnosis.nested;
    lines.push(
      factLine(
        style,
        'Nested virtualization',
        n.enabled
          ? `${n.module}.nested = ${n.value}: guests here can run their own VMs`
          : `${n.module}.nested = ${n.value}: guests here cannot run their own VMs (${n.module}.nested=1 turns it on)`,
      ),
    );
  }
  if (diagnosis.logUnread !== null) {
    lines.push(
      factLine(
        style,
        'Kernel log',
        style.warn(`could not be read (${diagnosis.logUnread.code}): ${LOG_UNREAD}`),
        diagnosis.logUnread.source,
      ),
    );
  }
  if (diagnosis.olderBoots.length > 0) {
    lines.push(factLine(style, 'In an earlier boot', style.dim('(not judged: the newest boot decides)')));
    for (const e of diagnosis.olderBoots)
      lines.push(`${INDENT}${style.dim(`"${e.quote}"`)}  ${style.dim(`[${e.source}]`)}`);
  }
  return lines;
}

/** The stderr note's cause: the specific cause first, its quoted line and source, then the fix. */
export function kvmCauseNote(diagnosis: KvmDiagnosis): string | undefined {
  const first = specificCause(diagnosis);
  if (first === undefined || first.status !== 'FAIL') return undefined;
  const lines = [`  cause: ${first.found}`];
  for (const e of first.evidence) {
    lines.push(
      e.kernelSource === undefined
        ? `  evidence: ${e.quote} [${e.source}]`
        : `  the kernel logged: "${e.quote}" [${e.source}; printed by ${e.kernelSource}]`,
    );
  }
  if (first.fix !== undefined) lines.push(`  fix: ${first.fix}`);
  return lines.join('\n');
}
