// The host report for a person: one screen, every line with where it came from.
import { formatDecoded } from '../decode/capabilities.js';
import { KEY_CAPABILITIES } from '../decode/model.js';
import type { Report } from './report.js';
import { known, type Traced } from '../decode/sourced.js';
import { factLine as line } from './facts.js';
import { sizeText } from '../snapshot/bounded-read.js';
import { escapeControls, terminalSafe } from './escape.js';
import type { Style } from './style.js';
import { renderSevSummary } from './sev.js';
import { renderTdxSummary } from './tdx.js';
import { kvmDiagnosisLines, kvmDiagnosisTitle } from './kvm-diagnosis.js';
import { specificCause } from '../check/kvm-causes.js';
import { failureFix } from '../check/failure-fixes.js';
import { failureText } from './failure.js';
import { SECTION_TITLES } from './section-titles.js';

/** A traced value as a line: the value with its source, or the failure with its meaning. */
function tracedLine<T>(style: Style, label: string, traced: Traced<T>, show: (value: T) => string): string {
  if ('missing' in traced) return line(style, label, style.dim(traced.missing));
  if ('error' in traced)
    return line(style, label, style.bad(`${traced.error.code}: ${failureText(traced.error)}`), traced.source);
  return line(style, label, show(traced.value), traced.source);
}

function section(style: Style, title: string, lines: string[]): string {
  return [style.bold(title), ...lines].join('\n');
}

export function renderReport(unsafe: Report, style: Style, unsafeOrigin: string): string {
  const report = terminalSafe(unsafe);
  const origin = escapeControls(unsafeOrigin);
  const { host, device, kvm } = report;
  const parts: string[] = [];
  parts.push(
    `${style.bold(`kvm-caps ${report.snapshot.tool.version}`)} host report ` +
      `${style.dim(`(${origin}, taken ${report.snapshot.createdAt})`)}`,
  );

  // Why KVM is not usable comes first: the specific cause, the kernel's line, the fix.
  const diagnosis = kvmDiagnosisLines(report.kvmDiagnosis, style);
  if (diagnosis.length > 0) parts.push(section(style, kvmDiagnosisTitle(report.kvmDiagnosis), diagnosis));
  const cause = specificCause(report.kvmDiagnosis);
  const explained = cause?.status === 'FAIL';

  parts.push(
    section(style, 'Host', [
      tracedLine(style, 'Kernel', host.kernelRelease, (v) => v),
      tracedLine(style, 'CPU', host.cpu, (cpu) => {
        const id = cpu.family === null ? '' : ` family ${cpu.family} model ${cpu.model} stepping ${cpu.stepping}`;
        return `${cpu.vendor}${id} (${cpu.modelName})`;
      }),
      tracedLine(style, 'Runs under a hypervisor', host.isGuest, (guest) =>
        guest ? style.warn('yes: this host is itself a virtual machine') : 'no',
      ),
      tracedLine(style, 'Kernel log', host.kernelLog, (log) =>
        log.cut === null
          ? `${log.records} records`
          : `${log.records} records ${style.warn(
              `from the newest ${sizeText(log.cut.kept)} only: the log is ${sizeText(log.cut.size)}, over the ` +
                'bound kvm-caps reads',
            )}`,
      ),
      tracedLine(style, 'KVM modules', host.modules, (modules) => {
        const all = [...(modules.kvm ? [modules.kvm] : []), ...modules.backends];
        if (all.length === 0) return style.bad('none: kvm is not loaded');
        return all
          .map(
            (m) => `${m.name} (${m.state}${m.vendor === 'other' && m.name !== 'kvm' ? ', non-VMX/SVM backend' : ''})`,
          )
          .join(', ');
      }),
    ]),
  );

  parts.push(
    section(style, `KVM device ${device.path}`, [
      tracedLine(
        style,
        'Node',
        device.node,
        (n) => `${n.type} ${n.major}:${n.minor}, mode ${n.mode}, ${n.owner}:${n.group}`,
      ),
      explained && 'error' in device.open
        ? line(
            style,
            'Opened read-write',
            style.bad(`${device.open.error.code}: see "${kvmDiagnosisTitle(report.kvmDiagnosis)}" above`),
            device.open.source,
          )
        : tracedLine(style, 'Opened read-write', device.open, () => style.good('yes')),
      tracedLine(style, 'API version', kvm.apiVersion, (v) => (v === 12 ? String(v) : style.bad(`${v} (expected 12)`))),
      tracedLine(style, 'vCPU mmap size', kvm.vcpuMmapSize, (v) => `${v} bytes`),
      tracedLine(
        style,
        'VM types offered',
        kvm.vmTypes,
        (t) => [...t.offered, ...t.unknownBits.map((b) => `type ${b}`)].join(', ') || 'none',
      ),
      tracedLine(style, 'Default VM', kvm.defaultVm, () => 'created and destroyed'),
    ]),
  );

  if (kvm.capabilities.some((row) => known(row.system) !== undefined || known(row.vm) !== undefined)) {
    parts.push(
      section(
        style,
        `Capabilities (${kvm.capabilitiesPresent} present on the system fd; \`kvm-caps caps\` lists all)`,
        [...kvm.capabilities]
          .sort((a, b) => KEY_CAPABILITIES.indexOf(a.name) - KEY_CAPABILITIES.indexOf(b.name))
          .map((row) => {
            const value = known(row.vm) ?? known(row.system) ?? null;
            const failed = 'error' in row.vm ? row.vm : 'error' in row.system ? row.system : null;
            const shown =
              value === null
                ? style.dim(failed?.error.code ?? 'not checked')
                : value === 0
                  ? style.dim('0 (absent)')
                  : row.decoded
                    ? `${value} (${formatDecoded(row.decoded)})`
                    : String(value);
            return line(style, row.name.replace(/^KVM_CAP_/, ''), shown);
          }),
      ),
    );
  }

  parts.push(
    section(style, 'CPUID offered to guests', [
      tracedLine(style, 'Entries', report.cpuid, (c) => `${c.entries} (\`kvm-caps cpuid\` decodes them)`),
      tracedLine(style, 'Physical address bits', report.cpuid, (c) => String(c.physicalAddressBits ?? 'not reported')),
      tracedLine(style, 'Features', report.cpuid, (c) =>
        c.highlights
          .map((h) =>
            h.supported ? style.good(`+${h.name}`) : h.emulated ? style.warn(`~${h.name}`) : style.dim(`-${h.name}`),
          )
          .join(' '),
      ),
      tracedLine(
        style,
        'XSAVE components',
        kvm.xsaveGuestComponents,
        (x) => [...x.components, ...x.unknownBits.map((b) => `bit ${b}`)].join(', ') || 'none',
      ),
      tracedLine(style, 'Feature MSRs', kvm.featureMsrs, (msrs) =>
        msrs.length === 0 ? 'none' : msrs.map((m) => `${m.name ?? m.index}=${m.value}`).join(', '),
      ),
    ]),
  );

  parts.push(section(style, SECTION_TITLES.tdx, renderTdxSummary(report.confidential.tdx, style)));
  parts.push(section(style, SECTION_TITLES.sev, renderSevSummary(report.confidential.sev, style)));

  if (report.problems.length > 0) {
    parts.push(
      section(
        style,
        'Problems',
        report.problems.map((p) => {
          // The KVM device's own errors are explained by the cause above, not by a generic hint.
          if (explained && (p.fact === 'kvm.open' || p.fact === 'host.device')) {
            return (
              `  ${style.bad(p.error.code)} ${p.fact}: see "${kvmDiagnosisTitle(report.kvmDiagnosis)}" above  ` +
              `${style.dim(`[${p.source}]`)}`
            );
          }
          const fix = failureFix(p.error, report.kvmDiagnosis);
          const hint = fix === undefined ? '' : `\n      fix: ${fix}`;
          return `  ${style.bad(p.error.code)} ${p.fact}: ${failureText(p.error)}  ${style.dim(`[${p.source}]`)}${hint}`;
        }),
      ),
    );
  }
  return `${parts.join('\n\n')}\n`;
}
