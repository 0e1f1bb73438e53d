// `kvm-caps tdx` and the report's TDX section: the TDX model and the TDX checks for a person.
import { isKnown, type Traced } from '../decode/sourced.js';
import { factText, parameterOk, parameterText, seamcallText, TDX_WORDS } from '../check/tdx-text.js';
import { hex } from '../knowledge/hex.js';
import type { TechnologyChecks } from '../check/types.js';
import type { NotConfigurableKind, NotConfigurableForTd } from '../decode/tdx-fields.js';
import { releaseRangeText } from '../knowledge/kernel-versions.js';
import { checkTreeLines, verdictText } from './check.js';
import { factLine, STATUS_WIDTH } from './facts.js';
import type { TdxSection } from './report.js';
import { terminalSafe } from './escape.js';
import type { Style } from './style.js';
import { SECTION_TITLES } from './section-titles.js';

/** The check run's TDX verdict as one line: the same words `kvm-caps check tdx` uses. */
export function verdictLine(t: TechnologyChecks | undefined, style: Style): string {
  if (t === undefined) return factLine(style, 'Verdict', style.dim('not checked'));
  return factLine(style, 'Verdict', verdictText(t, style));
}

/** One TDX fact: its value in words, or "unknown" with why. */
function tracedLine<T>(style: Style, label: string, fact: Traced<T>, words: (value: T) => string): string {
  return factLine(
    style,
    label,
    isKnown(fact) ? words(fact.value) : style.dim(`unknown: ${factText(fact, words)}`),
    fact.source ?? null,
  );
}

/** The short form for the host report: one line when TDX does not apply to this host. */
export function renderTdxSummary(view: TdxSection, style: Style): string[] {
  const tdx = view.technologies[0];
  if (tdx !== undefined && !tdx.applicable) return [verdictLine(tdx, style)];
  return [
    verdictLine(tdx, style),
    tracedLine(style, 'TDX VM type', view.vmType, TDX_WORDS.vmType),
    tracedLine(style, 'TDX module', view.moduleVersion, TDX_WORDS.moduleVersion),
    tracedLine(style, 'Module state', view.moduleState, TDX_WORDS.moduleState),
    tracedLine(style, 'Free TD keys', view.tdKeys, TDX_WORDS.tdKeys),
    ...view.explanations.filter((e) => e.weight !== 'note').map((e) => factLine(style, 'Why', e.message)),
  ];
}

/** The kernels with KVM's TDX support, for the text of bits KVM removes. */
const TDX_KERNELS = releaseRangeText('tdx.kvm-uapi');

/** What each kind of non-configurable CPUID bit means for a TD (lib/decode/tdx-fields.ts notConfigurableKind()). */
const KIND_TEXT: Readonly<Record<NotConfigurableKind, string>> = {
  'qemu-fixed1': "fixed to 1 for every TD (QEMU's fixed-1 table)",
  'kvm-removed': `removed by KVM (tdx_clear_unsupported_cpuid(), Linux ${TDX_KERNELS}): a TD never has it`,
  native: "native: follows the CPU where the module allows it (per TDX module 1.5.01's CPUID_CONFIG ALLOW_DIRECT)",
  'not-configurable': 'not configurable through KVM (the TDX module sets or derives it)',
};

function notConfigurableGroups(rows: readonly NotConfigurableForTd[]): [NotConfigurableKind, string[]][] {
  const byKind = new Map<NotConfigurableKind, string[]>();
  for (const row of rows) {
    for (const bit of row.bits) {
      const name = bit.name ?? `${hex(row.function, 8)}.${row.index} ${row.register} bit ${bit.bit}`;
      byKind.set(bit.kind, [...(byKind.get(bit.kind) ?? []), name]);
    }
  }
  return (['qemu-fixed1', 'kvm-removed', 'native', 'not-configurable'] as const).flatMap((kind) =>
    byKind.has(kind) ? [[kind, byKind.get(kind) ?? []] as [NotConfigurableKind, string[]]] : [],
  );
}

export function renderTdx(unsafe: TdxSection, style: Style): string {
  const view = terminalSafe(unsafe);
  const lines: string[] = [style.bold(SECTION_TITLES.tdx)];
  const tdx = view.technologies[0];
  lines.push(verdictLine(tdx, style));
  if (tdx !== undefined && !tdx.applicable) return `${lines.join('\n')}\n`;
  lines.push(tracedLine(style, 'Kernel', view.kernelRelease, TDX_WORDS.kernelRelease));
  lines.push(tracedLine(style, 'TDX VM type', view.vmType, TDX_WORDS.vmType));
  lines.push(tracedLine(style, 'Create a TD', view.createVm, TDX_WORDS.createVm));
  lines.push(tracedLine(style, 'TD vCPU limit', view.maxVcpus, TDX_WORDS.maxVcpus));
  lines.push(tracedLine(style, 'CPU flag tdx_host_platform', view.cpuFlag, TDX_WORDS.cpuFlag));
  lines.push(tracedLine(style, 'TDX module version', view.moduleVersion, TDX_WORDS.moduleVersion));
  if (isKnown(view.moduleVersion) && view.moduleVersion.value.format === 'tdsysinfo') {
    // get_tdx_sysinfo() of Intel's pre-merge series (Ubuntu 6.8 -intel); no mainline kernel prints it.
    lines.push(
      factLine(
        style,
        '',
        style.dim('(from the "TDX module: attributes ..." line of a pre-merge/vendor kernel, not a mainline one)'),
      ),
    );
  }
  if (view.moduleRelease !== null)
    lines.push(
      factLine(
        style,
        'TDX_FEATURES0',
        `${view.moduleRelease.features0} (published module ${view.moduleRelease.version})`,
      ),
    );
  const runtime = view.runtimeUpdate;
  if (isKnown(runtime.seamldrVersion) || isKnown(runtime.numRemainingUpdates)) {
    lines.push(tracedLine(style, 'P-SEAMLDR version', runtime.seamldrVersion, TDX_WORDS.seamldrVersion));
    lines.push(tracedLine(style, 'Module updates left', runtime.numRemainingUpdates, TDX_WORDS.numRemainingUpdates));
  } else {
    lines.push(
      factLine(
        style,
        'Module runtime update',
        style.dim(
          `not read (tdx_host seamldr_version and num_remaining_updates: Linux ` +
            `${releaseRangeText('tdx.runtime-update-sysfs')}, a module with runtime update, read as root)`,
        ),
      ),
    );
  }
  lines.push(tracedLine(style, 'TDX module state', view.moduleState, TDX_WORDS.moduleState));
  lines.push(tracedLine(style, 'Private KeyIDs', view.privateKeyIds, TDX_WORDS.privateKeyIds));
  lines.push(tracedLine(style, 'PAMT memory', view.pamt, TDX_WORDS.pamt));
  lines.push(tracedLine(style, 'TD keys (misc cgroup)', view.tdKeys, TDX_WORDS.tdKeys));
  lines.push(tracedLine(style, 'Kernel log', view.kernelLog, TDX_WORDS.kernelLog));

  lines.push('', style.bold('KVM_TDX_CAPABILITIES'));
  const caps = view.capabilities;
  if (!isKnown(caps) || !caps.value.ok) {
    lines.push(tracedLine(style, 'Answer', caps, TDX_WORDS.capabilities));
  } else {
    const c = caps.value.value;
    const attrs = c.supportedAttributes;
    const attrNames = [...attrs.attributes.map((a) => a.name), ...attrs.unknownBits.map((b) => `bit ${b}`)];
    lines.push(factLine(style, 'TD attributes', `${attrs.mask}: ${attrNames.join(', ') || 'none'}`, caps.source));
    lines.push(
      factLine(
        style,
        'XFAM',
        `${c.supportedXfam.mask}: ` +
          `${[...c.supportedXfam.components, ...c.supportedXfam.unknownBits.map((b) => `bit ${b}`)].join(', ')}`,
      ),
    );
    for (const handler of ['kernel', 'user space', 'kernel and user space'] as const) {
      const leaves = c.tdvmcall.leaves.filter((leaf) => leaf.handledBy === handler);
      if (leaves.length === 0) continue;
      lines.push(
        factLine(style, `TDVMCALLs (${handler})`, leaves.map((l) => l.name ?? `${l.register} bit ${l.bit}`).join(', ')),
      );
    }
    lines.push(factLine(style, 'Configurable CPUID', `${c.cpuidConfigCount} entries`));
    for (const entry of c.cpuidConfigs) {
      const names = Object.entries(entry.configurable).flatMap(([register, bits]) =>
        bits.length ? [`${register}: ${bits.join(' ')}`] : [],
      );
      const unknown = Object.entries(entry.unknownBits).flatMap(([register, bits]) =>
        bits.length ? [`${register} bits ${bits.join(',')}`] : [],
      );
      const leaf = `${hex(entry.function, 8)}.${entry.index}`;
      lines.push(
        `    ${leaf}  ${[...names, ...unknown.map((u) => style.dim(u))].join('; ') || style.dim('no named bits')}`,
      );
    }
    if (isKnown(c.notConfigurable)) {
      const groups = notConfigurableGroups(c.notConfigurable.value);
      if (groups.length === 0)
        lines.push(factLine(style, 'Not configurable in a TD', 'none', c.notConfigurable.source));
      else {
        lines.push(
          factLine(
            style,
            'Not configurable in a TD',
            'bits KVM offers ordinary VMs that a TD cannot set through KVM:',
            c.notConfigurable.source,
          ),
        );
        for (const [kind, names] of groups) lines.push(`    ${KIND_TEXT[kind]}: ${names.join(' ')}`);
      }
    } else {
      lines.push(tracedLine(style, 'Not configurable in a TD', c.notConfigurable, TDX_WORDS.notConfigurable));
    }
  }
  if (view.initVm !== null) {
    lines.push('', style.bold('--deep: KVM_TDX_INIT_VM'));
    lines.push(tracedLine(style, 'Result', view.initVm, TDX_WORDS.initVm));
  }

  lines.push('', style.bold('Module parameters TDX depends on'));
  for (const row of view.parameters) {
    const ok = parameterOk(row);
    const mark =
      ok === true
        ? style.good('ok'.padEnd(STATUS_WIDTH))
        : ok === false
          ? style.bad('NO'.padEnd(STATUS_WIDTH))
          : style.warn('unknown');
    lines.push(factLine(style, `${row.module}.${row.parameter}`, `${mark} ${parameterText(row)}`, row.source));
  }
  if (view.seamcallFailures.length > 0) {
    lines.push('', style.bold('SEAMCALL failures in the kernel log'));
    for (const failure of view.seamcallFailures)
      lines.push(`  ${seamcallText(failure)}  ${style.dim(`[${failure.source}]`)}`);
  }
  if (view.kvmMessages.length > 0) {
    lines.push('', style.bold('KVM TDX messages'));
    for (const message of view.kvmMessages)
      lines.push(`  ${message.message.text}  ${style.dim(`[${message.source}]`)}`);
  }
  if (tdx !== undefined && tdx.checks.length > 0)
    lines.push(
      '',
      style.bold('Checks (`kvm-caps check tdx --verbose` says why, where and how to fix)'),
      ...checkTreeLines(tdx, style, false),
    );
  if (view.explanations.length > 0) {
    lines.push('', style.bold('Why'));
    for (const e of view.explanations) {
      const tag =
        e.weight === 'cause'
          ? style.bad('cause')
          : e.weight === 'likely-cause'
            ? style.warn('likely')
            : style.dim('note');
      lines.push(`  ${tag} ${e.message}`);
      for (const evidence of e.evidence)
        lines.push(`      ${evidence.fact}: ${evidence.value}  ${style.dim(`[${evidence.source}]`)}`);
      if (e.hint) lines.push(`      fix: ${e.hint}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
