// Usage text for the command and each subcommand.

const COMMON = `  --from FILE      replay a snapshot saved by \`kvm-caps snapshot\` instead of probing this host
  --root DIR       read procfs, sysfs and /etc under DIR (host filesystem mounted elsewhere); default /
  --device PATH    the KVM device to open; default /dev/kvm
  -h, --help       this help`;

const USAGE: Record<string, string> = {
  report: `Usage: kvm-caps [report] [--json] [--from FILE] [--root DIR] [--device PATH]

The host report: kernel, CPU, KVM modules, the KVM device, API version, VM types,
the capabilities that matter most, CPUID offered to guests, and what is known of
Intel TDX and AMD SEV on this host. Every line names the ioctl or file it came from.

  --json           the report as JSON
${COMMON}
  -V, --version    print the kvm-caps version
`,
  caps: `Usage: kvm-caps caps [--json] [--from FILE] [--root DIR] [--device PATH]

Every KVM capability of Linux 7.2 with KVM_CHECK_EXTENSION's answer on /dev/kvm
("system") and on a throwaway default VM ("vm"), and the meaning of bitmask and limit
values. --json prints [{ "name", "number", "system", "vm" }], null where the check
could not be made.

  --json           JSON output
${COMMON}
`,
  cpuid: `Usage: kvm-caps cpuid [--emulated] [--json] [--from FILE] [--root DIR] [--device PATH]

The CPUID entries KVM offers guests (KVM_GET_SUPPORTED_CPUID), decoded: feature names
of every set bit, unknown bits by number, and multi-bit fields.

  --emulated       KVM_GET_EMULATED_CPUID instead: what KVM can emulate beyond the hardware
  --json           JSON: [{ function, index, flags, eax, ebx, ecx, edx, features, unknownBits, fields }]
${COMMON}
`,
  snapshot: `Usage: kvm-caps snapshot [-o FILE] [--root DIR] [--device PATH]

Everything kvm-caps collects from this host, raw, as one JSON document (format
"kvm-caps-snapshot", version 1). Replay it anywhere with --from FILE.

  -o, --output FILE  write to FILE (atomically) instead of standard output
  --root DIR         read procfs, sysfs and /etc under DIR; default /
  --device PATH      the KVM device to open; default /dev/kvm
  -h, --help         this help
`,
};

const EXITS = `Exit codes:
  0  done; the KVM device answered (with --from: answered when the snapshot was taken)
  1  internal error
  2  usage error
  3  output produced, but the KVM device could not be opened or used
  4  the --from file could not be read or is not a valid snapshot, or -o could not be written
`;

export const HELP = {
  full: `kvm-caps: what this host's kernel can run, asked through /dev/kvm

Usage: kvm-caps [COMMAND] [OPTIONS]

Commands:
  report      the host report (default)
  caps        every KVM capability, system and VM scope
  cpuid       CPUID offered to guests, decoded
  snapshot    the raw host snapshot as JSON
  help CMD    help for one command

${USAGE.report?.split('\n\n').slice(2).join('\n\n') ?? ''}
${EXITS}`,
  short: 'Run `kvm-caps --help` for usage.\n',
};

export function usageFor(command: string): string {
  return `${USAGE[command] ?? HELP.full}\n${EXITS}`;
}
