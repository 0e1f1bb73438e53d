// Usage text for the command and each subcommand.

const COMMON = `  --from FILE      replay a snapshot saved by \`kvm-caps snapshot\` instead of probing this host
  --root DIR       read procfs, sysfs and /etc under DIR (host filesystem mounted elsewhere); default /
  --device PATH    the KVM device to open; default /dev/kvm
  -h, --help       this help`;

const PROBE = `  --sev-device PATH  the SEV device to open read-only (AMD hosts); default /dev/sev
  --kernel-log FILE  read the kernel log from FILE (\`dmesg\` or \`journalctl -k\` text, with or
                     without timestamps) instead of <root>/dev/kmsg; with --from, analyse FILE
                     against the saved host
  --deep             also ask the firmware: create a throwaway TD and run KVM_TDX_INIT_VM, and
                     on AMD run KVM_SEV_INIT2 on a throwaway VM of each SEV type KVM offers;
                     each holds a TD key or an ASID only until kvm-caps closes it, milliseconds
  --snp-platform-status  send SNP_PLATFORM_STATUS to /dev/sev even on Linux 6.16 to 6.19 when SNP
                     is not known to be initialised: those kernels then run SNP_INIT_EX and
                     SNP_SHUTDOWN_EX around it (the IOMMU leaves SNP mode too); off by default
  --td-config FILE   with --deep: the TD to try, as JSON { "attributes": "0x...", "xfam": "0x...",
                     "cpuid": [ { function, index, flags, eax, ebx, ecx, edx } ] }; default:
                     SEPT_VE_DISABLE where supported, XFAM the module and KVM both allow`;

const USAGE: Record<string, string> = {
  report: `Usage: kvm-caps [report] [--json | --format text|json|nfd|prometheus] [-o FILE] [--from FILE] [--root DIR] [--device PATH]

The host report: kernel, CPU, KVM modules, the KVM device, API version, VM types,
the capabilities that matter most, CPUID offered to guests, and what is known of
Intel TDX and AMD SEV on this host. Every line names the ioctl or file it came from.

  --json           the report as JSON (--format json)
  --format FORMAT  text (default), json, nfd (a node-feature-discovery feature file for
                   /etc/kubernetes/node-feature-discovery/features.d/kvm-caps) or prometheus
                   (node_exporter textfile-collector metrics, e.g. -o DIR/kvm-caps.prom)
  -o, --output FILE  write to FILE atomically (a dot file, then renamed) instead of stdout
${COMMON}
${PROBE}
  -V, --version    print the kvm-caps version
`,
  diff: `Usage: kvm-caps diff A.json B.json [--json]

What differs between two host snapshots (from \`kvm-caps snapshot\`), most readiness-relevant
first, each difference with both values and their sources; "!" marks one that matters (VM
types, verdicts, firmware, TCB and module versions, the module parameters TDX and SEV depend
on, a capability one host lacks). --json: format "kvm-caps-diff", version 1.

Exit: 0 when they agree on everything that matters, 1 when they do not.
`,
  lifecycle: `Usage: kvm-caps lifecycle [--json] [--from FILE] [--root DIR] [--device PATH] [--sev-device PATH]

The confidential-VM launch steps side by side for SEV, SEV-ES, SEV-SNP and TDX (create,
initialise the VM, add and measure memory, initialise vCPUs, finalise, get the measurement,
attestation): the KVM command and sub-command id each uses, the firmware operation behind it,
and which of them this host supports.

  --json           JSON output
${COMMON}
`,
  tdx: `Usage: kvm-caps tdx [--json] [--deep [--td-config FILE]] [--kernel-log FILE] [--from FILE] [--root DIR] [--device PATH]

Intel TDX on this host: whether KVM offers the TDX VM type, KVM_TDX_CAPABILITIES from a
throwaway TD (TD attributes, XFAM, TDVMCALL leaves, configurable CPUID), the TDX module's
version and state from sysfs or the kernel log, private KeyIDs and free TD keys, the
kvm_intel parameters TDX depends on, and why a TD cannot be created when it cannot.

  --json           JSON output
${COMMON}
${PROBE}
`,
  sev: `Usage: kvm-caps sev [--json] [--deep] [--kernel-log FILE] [--from FILE] [--root DIR] [--device PATH] [--sev-device PATH]

AMD SEV, SEV-ES and SEV-SNP on this host: the VM types KVM offers, KVM's SEV attributes,
/dev/sev's platform status (SEV and SNP: firmware version, state, TCB versions, guests),
CPUID 0x8000001F, kvm_amd's parameters, free ASIDs, and the kernel log's SEV lines, each
failure explained.

  --json           JSON output
${COMMON}
${PROBE}
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
  check: `Usage: kvm-caps check [kvm|tdx|sev|sev-es|snp|all] [--json | --format text|json|nfd|prometheus] [-v] [-o FILE] [--deep] [--kernel-log FILE] [--from FILE] [--root DIR] [--device PATH] [--sev-device PATH]

Readiness, hardware to "a guest can start": per technology a tree of checks (CPU, BIOS and
firmware, kernel, KVM, usable now), each PASS, WARN, FAIL, SKIP (a check above it failed) or
UNKNOWN (not readable here; it says what would tell), a verdict (capable / enabled / usable),
and contradictions between facts. "all" (default): KVM plus TDX on Intel, SEV, SEV-ES and
SEV-SNP on AMD.

  --json             JSON (format "kvm-caps-check", version 1); also --format json
  --format FORMAT    text (default), json, nfd or prometheus (as for the report, with the verdicts)
  -v, --verbose      add why, source, fix, needs, and which failed check skipped each one
  -o, --output FILE  write to FILE (atomically) instead of standard output
${COMMON}
${PROBE}

Exit: 0 every technology asked about is usable, 1 one is not, 3 one could not be told.
`,
  snapshot: `Usage: kvm-caps snapshot [-o FILE] [--deep] [--kernel-log FILE] [--root DIR] [--device PATH] [--sev-device PATH]

Everything kvm-caps collects from this host, raw, as one JSON document (format
"kvm-caps-snapshot", version 1). Replay it anywhere with --from FILE.

  -o, --output FILE  write to FILE (atomically) instead of standard output
  --root DIR         read procfs, sysfs and /etc under DIR; default /
  --device PATH      the KVM device to open; default /dev/kvm
${PROBE}
  -h, --help         this help
`,
};

const EXITS = `Exit codes:
  0  done; the KVM device answered (with --from: answered when the snapshot was taken)
  1  check: not ready; diff: the snapshots differ where it matters
  2  usage error
  3  could not tell: output produced, but the KVM device could not be opened or used, or a
     check lacked a privilege or device
  4  the --from file could not be read or is not a valid snapshot, the --td-config file is not
     valid, or -o could not be written
  70 internal error (a bug, or the addon is not built)
`;

export const HELP = {
  full: `kvm-caps: what this host's kernel can run, asked through /dev/kvm

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

${USAGE.report?.split('\n\n').slice(2).join('\n\n') ?? ''}
${EXITS}`,
  short: 'Run `kvm-caps --help` for usage.\n',
};

export function usageFor(command: string): string {
  return `${USAGE[command] ?? HELP.full}\n${EXITS}`;
}
