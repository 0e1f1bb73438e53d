// Usage text for the command and each subcommand. Each command's usage line and option list
// are built from the options it accepts (Command.accepts), in one order and one column, so
// the help cannot list an option the command refuses or miss one it takes.
import type { OptionName } from './context.js';
import { FORMATS } from './formats.js';

interface OptionHelp {
  /** As the usage line shows it. */
  usage: string;
  /** As the option list shows it. */
  label: string;
  /** The description, one string per line. */
  text: string[];
}

/** Every option's help; listed alphabetically by long name (ORDER). */
const OPTION_HELP: Record<OptionName, OptionHelp> = {
  json: { usage: '--json', label: '--json', text: ['JSON output'] },
  format: {
    usage: `--format ${FORMATS.join('|')}`,
    label: '--format FORMAT',
    text: [
      'text (default), json, nfd (a node-feature-discovery feature file for',
      '/etc/kubernetes/node-feature-discovery/features.d/kvm-caps) or prometheus',
      '(node_exporter textfile-collector metrics, e.g. -o DIR/kvm-caps.prom)',
    ],
  },
  verbose: {
    usage: '-v',
    label: '-v, --verbose',
    text: ['add why, source, fix, needs, and which failed check skipped each'],
  },
  output: {
    usage: '-o FILE',
    label: '-o, --output FILE',
    text: [
      'write to FILE instead of standard output (- is standard output): a file',
      "is replaced atomically (a symlink's target; the link stays), a device or",
      'FIFO is written in place',
    ],
  },
  emulated: {
    usage: '--emulated',
    label: '--emulated',
    text: ['KVM_GET_EMULATED_CPUID instead: what KVM can emulate beyond the', 'hardware'],
  },
  from: {
    usage: '--from FILE',
    label: '--from FILE',
    text: [
      'replay a snapshot saved by `kvm-caps snapshot` instead of probing this',
      'host; - reads it from standard input',
    ],
  },
  root: {
    usage: '--root DIR',
    label: '--root DIR',
    text: ['read procfs, sysfs and /etc under DIR (the host filesystem mounted', 'elsewhere); default /'],
  },
  device: { usage: '--device PATH', label: '--device PATH', text: ['the KVM device to open; default /dev/kvm'] },
  'sev-device': {
    usage: '--sev-device PATH',
    label: '--sev-device PATH',
    text: ['the SEV device to open read-only (AMD hosts); default /dev/sev'],
  },
  'kernel-log': {
    usage: '--kernel-log FILE',
    label: '--kernel-log FILE',
    text: [
      'read the kernel log from FILE (`dmesg` or `journalctl -k` text, with or',
      'without timestamps; - is standard input) instead of <root>/dev/kmsg; with',
      '--from, analyse FILE against the saved host. Of a larger file than 64 MiB',
      'the newest 64 MiB are read',
    ],
  },
  deep: {
    usage: '--deep',
    label: '--deep',
    text: [
      'also ask the firmware: create a throwaway TD and run KVM_TDX_INIT_VM, and',
      'on AMD run KVM_SEV_INIT2 on a throwaway VM of each SEV type KVM offers;',
      'each holds a TD key or an ASID only until kvm-caps closes it, milliseconds',
    ],
  },
  'snp-platform-status': {
    usage: '--snp-platform-status',
    label: '--snp-platform-status',
    text: [
      'send SNP_PLATFORM_STATUS to /dev/sev even on Linux 6.16 to 6.19 when SNP is',
      'not known to be initialised: those kernels then run SNP_INIT_EX and',
      'SNP_SHUTDOWN_EX around it (the IOMMU leaves SNP mode too); off by default',
    ],
  },
  'td-config': {
    usage: '--td-config FILE',
    label: '--td-config FILE',
    text: [
      'with --deep: the TD to try, as JSON { "attributes": "0x...", "xfam": "0x...",',
      '"cpuid": [ { function, index, flags, eax, ebx, ecx, edx } ] }; default:',
      'SEPT_VE_DISABLE where supported, XFAM the module and KVM both allow',
    ],
  },
  help: { usage: '-h', label: '-h, --help', text: ['this help'] },
  version: { usage: '-V', label: '-V, --version', text: ['print the kvm-caps version'] },
};

/** Options in alphabetical order of their long names, so that one is found where a reader looks for it. */
const ORDER = (Object.keys(OPTION_HELP) as OptionName[]).sort((a, b) => a.localeCompare(b, 'en'));

/** No help line is wider (a terminal of 100 columns shows each on one line). */
export const WIDTH = 100;

interface CommandHelp {
  /** What follows the command's name on the usage line, before the options. */
  args?: string;
  about: string;
  /** Descriptions that differ from OPTION_HELP's for this command. */
  text?: Partial<Record<OptionName, string[]>>;
  /** Printed after the options. */
  after?: string;
}

const COMMAND_HELP: Record<string, CommandHelp> = {
  report: {
    about: `The host report: kernel, CPU, KVM modules, the KVM device, API version, VM types,
the capabilities that matter most, CPUID offered to guests, and what is known of
Intel TDX and AMD SEV on this host. Every line names the ioctl or file it came from.`,
    text: { json: ['the report as JSON (--format json)'] },
  },
  check: {
    args: '[kvm|tdx|sev|sev-es|snp|all]',
    about: `Readiness, hardware to "a guest can start": per technology a tree of checks (CPU, BIOS and
firmware, kernel, KVM, usable now), each PASS, WARN, FAIL, SKIP (a check above it failed) or
UNKNOWN (not readable here; it says what would tell), a verdict (capable / enabled / usable),
and contradictions between facts. "all" (default): KVM plus TDX on Intel, SEV, SEV-ES and
SEV-SNP on AMD.`,
    text: {
      json: ['JSON (format "kvm-caps-check", version 1); also --format json'],
      format: ['text (default), json, nfd or prometheus (as for the report, with the', 'verdicts)'],
    },
    after: 'Exit: 0 every technology asked about is usable, 1 one is not, 3 one could not be told.\n',
  },
  caps: {
    about: `Every KVM capability of Linux 7.2 with KVM_CHECK_EXTENSION's answer on /dev/kvm
("system") and on a throwaway default VM ("vm"), and the meaning of bitmask and limit
values. --json prints [{ "name", "number", "system", "vm" }], null where the check
could not be made.`,
  },
  cpuid: {
    about: `The CPUID entries KVM offers guests (KVM_GET_SUPPORTED_CPUID), decoded: feature names
of every set bit, unknown bits by number, and multi-bit fields.`,
    text: { json: ['JSON: [{ function, index, flags, eax, ebx, ecx, edx, features,', 'unknownBits, fields }]'] },
  },
  tdx: {
    about: `Intel TDX on this host: whether KVM offers the TDX VM type, KVM_TDX_CAPABILITIES from a
throwaway TD (TD attributes, XFAM, TDVMCALL leaves, configurable CPUID), the TDX module's
version and state from sysfs or the kernel log, private KeyIDs and free TD keys, the
kvm_intel parameters TDX depends on, and why a TD cannot be created when it cannot.`,
  },
  sev: {
    about: `AMD SEV, SEV-ES and SEV-SNP on this host: the VM types KVM offers, KVM's SEV attributes,
/dev/sev's platform status (SEV and SNP: firmware version, state, TCB versions, guests),
CPUID 0x8000001F, kvm_amd's parameters, free ASIDs, and the kernel log's SEV lines, each
failure explained.`,
  },
  lifecycle: {
    about: `The confidential-VM launch steps side by side for SEV, SEV-ES, SEV-SNP and TDX (create,
initialise the VM, add and measure memory, initialise vCPUs, finalise, get the measurement,
attestation): the KVM command and sub-command id each uses, the firmware operation behind it,
and which of them this host supports.`,
  },
  diff: {
    args: 'A.json B.json',
    about: `What differs between two host snapshots (from \`kvm-caps snapshot\`), most readiness-relevant
first, each difference with both values and their sources; "!" marks one that matters (VM
types, verdicts, firmware, TCB and module versions, the module parameters TDX and SEV depend
on, a capability one host lacks). --json: format "kvm-caps-diff", version 1.`,
    after: 'Exit: 0 when they agree on everything that matters, 1 when they do not.\n',
  },
  snapshot: {
    about: `Everything kvm-caps collects from this host, raw, as one JSON document (format
"kvm-caps-snapshot", version 1). Replay it anywhere with --from FILE.`,
  },
};

const EXITS = `Exit codes:
  0  done; the KVM device answered (with --from: answered when the snapshot was taken)
  1  check: not ready; diff: the snapshots differ where it matters
  2  usage error (an unknown command or option, a missing value, --root not a directory)
  3  could not tell: output produced, but the KVM device could not be opened or used, or a
     check lacked a privilege or device
  4  an input file (--from, --td-config, --kernel-log) could not be read, is too large or is
     not valid, or -o could not be written
  70 internal error (a bug, or the addon is not built)
`;

/** The options help lists for a command: those it accepts, --help, and -V for the default command. */
function listed(command: string, accepts: readonly OptionName[]): OptionName[] {
  const names = new Set<OptionName>([...accepts, 'help']);
  if (command === 'report') names.add('version');
  return ORDER.filter((name) => names.has(name));
}

/** "Usage: kvm-caps check [kvm|...] [--json | --format ...] [-v] ...", from what the command accepts. */
export function usageLine(command: string, accepts: readonly OptionName[]): string {
  const names = listed(command, accepts).filter((name) => name !== 'help' && name !== 'version');
  const parts: string[] = [];
  for (const name of names) {
    if (name === 'format' && names.includes('json')) continue;
    if (name === 'td-config' && names.includes('deep')) continue;
    if (name === 'json' && names.includes('format')) parts.push(`[--json | ${OPTION_HELP.format.usage}]`);
    else if (name === 'deep' && names.includes('td-config')) parts.push(`[--deep [${OPTION_HELP['td-config'].usage}]]`);
    else parts.push(`[${OPTION_HELP[name].usage}]`);
  }
  const args = COMMAND_HELP[command]?.args;
  const head = command === 'report' ? 'kvm-caps [report]' : `kvm-caps ${command}`;
  // Wrapped at WIDTH columns, continuation lines under the first option.
  const lines = [`Usage: ${head}${args === undefined ? '' : ` ${args}`}`];
  const indent = ' '.repeat(`Usage: ${head} `.length);
  for (const part of parts) {
    const last = lines.length - 1;
    if (lines[last]!.length + 1 + part.length > WIDTH) lines.push(`${indent}${part}`);
    else lines[last] = `${lines[last]!} ${part}`;
  }
  return lines.join('\n');
}

/** Words of `text` in lines of at most `room` columns (a longer word stands alone). */
function wrap(text: string, room: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= room) lines[last] = `${lines[last]!} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The option list, labels in one column, descriptions in the next. */
function optionList(command: string, accepts: readonly OptionName[]): string {
  const names = listed(command, accepts);
  const width = Math.max(...names.map((name) => OPTION_HELP[name].label.length)) + 2;
  return names
    .map((name) => {
      // Re-wrapped to the room the label column leaves, so a long option name never pushes a line past WIDTH.
      const text = wrap((COMMAND_HELP[command]?.text?.[name] ?? OPTION_HELP[name].text).join(' '), WIDTH - 2 - width);
      return text.map((line, i) => `  ${(i === 0 ? OPTION_HELP[name].label : '').padEnd(width)}${line}`).join('\n');
    })
    .join('\n');
}

/** A command's full help. */
export function usageFor(command: string, accepts: readonly OptionName[]): string {
  const help = COMMAND_HELP[command];
  if (help === undefined) throw new Error(`no help for the command "${command}"`);
  const after = help.after === undefined ? '' : `\n${help.after}`;
  return `${usageLine(command, accepts)}\n\n${help.about}\n\n${optionList(command, accepts)}\n${after}\n${EXITS}`;
}

/** `kvm-caps --help`: the commands, then the default command's options. */
export function fullHelp(reportAccepts: readonly OptionName[]): string {
  return `kvm-caps: what this host's kernel can run, asked through /dev/kvm

Usage: kvm-caps [COMMAND] [OPTIONS]

Commands:
  report      the host report (default)
  check       readiness checks: a verdict and an exit code per technology
  caps        every KVM capability, system and VM scope
  cpuid       CPUID offered to guests, decoded
  tdx         Intel TDX: capabilities, TDX module, keys, and why not
  sev         AMD SEV / SEV-ES / SEV-SNP: platform status, firmware, ASIDs, and why not
  lifecycle   the confidential-VM launch steps and which this host supports
  diff A B    what differs between two snapshots, and whether it matters
  snapshot    the raw host snapshot as JSON
  help CMD    help for one command

Options of the report (each command's own: kvm-caps help CMD):
${optionList('report', reportAccepts)}

${EXITS}`;
}

/** After a usage error: the command's usage line and where the rest is. */
export function usageHint(command: string | undefined, accepts: readonly OptionName[] | undefined): string {
  if (command === undefined || accepts === undefined) return 'Run `kvm-caps --help` for usage.\n';
  return `${usageLine(command, accepts)}\nRun \`kvm-caps help ${command}\` for details.\n`;
}
