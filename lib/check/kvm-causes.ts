// Why KVM is (or is not) usable on this host, judged from the decoded bring-up facts
// (lib/decode/kvm-bringup.ts): what the kernel logged when KVM and its vendor or backend module
// came up (newest boot only), whether each module is built in or loadable, what the command
// line forbids, the firmware's switch read from its MSR, the CPU flags, the device node and
// container evidence. The causes are tried in a fixed order; the first failing one is "the
// specific cause" every output shows first. Every cause quotes its evidence (the kernel's
// line with its source and the kernels that print it) and carries the fix that applies here:
// a module load is suggested only where it can work (canModprobe).
import {
  FIX_FIRMWARE_AMD,
  FIX_FIRMWARE_INTEL,
  FIX_NO_EXTENSION,
  KVM_BRINGUP_MESSAGES,
  type KvmBringupCause,
} from '../knowledge/kvm-bringup.js';
import { cpuVendor, vendorModule as moduleFor } from '../knowledge/cpu-vendors.js';
import { kernelHas } from '../knowledge/kernel-versions.js';
import { describeSource, known, type Traced, type TracedFailure } from '../decode/sourced.js';
import {
  decodeKvmBringup,
  type BringupLogMatch,
  type FirmwareSwitch,
  type KvmBringupModel,
  type ModuleFacts,
} from '../decode/kvm-bringup.js';
import type { Snapshot } from '../snapshot/types.js';

/**
 * One piece of evidence: the kernel's line as logged (or a register's value), where it was read, and which kernels
 * print it.
 */
export interface KvmEvidence {
  /** The kernel's line, as the log holds it (or "IA32_FEATURE_CONTROL = 0x1 ..."). */
  quote: string;
  /** Where it was read: the kernel log, /proc/cpuinfo, /dev/cpu/0/msr. */
  source: string;
  /** The kernel source that prints it and the kernels it holds for (log lines only). */
  kernelSource?: string;
  /** For a log line: seconds since boot, where the log gives them. */
  seconds?: number;
}

/** Every cause the diagnosis can find, in the order tried (the report schema lists them). */
export const KVM_CAUSE_IDS = [
  'kvm.backend-not-bound',
  'kvm.sev-guest',
  'kvm.firmware-disabled',
  'kvm.guest-without-nested',
  'kvm.cpu-lacks-extension',
  'kvm.wrong-vendor-module',
  'kvm.vendor-module-conflict',
  'kvm.backend-bound',
  'kvm.enable-failed',
  'kvm.cpus-differ',
  'kvm.nx-disabled',
  'kvm.module-blacklisted',
  'kvm.parameter-rejected',
  'kvm.parameter-ignored',
  'kvm.nomodule',
  'kvm.module-not-loaded',
  'kvm.device-not-in-container',
  'kvm.device-node-missing',
  'kvm.device-permission',
] as const;
export type KvmCauseId = (typeof KVM_CAUSE_IDS)[number];

/** The check that reports a cause (lib/check/rules/kvm.ts). */
export type KvmCauseRule = 'kvm.cpu.virtualization' | 'kvm.kernel.modules' | 'kvm.device.present' | 'kvm.device.access';

export interface KvmCause {
  id: KvmCauseId;
  status: 'FAIL' | 'WARN' | 'PASS';
  /** The verdict this cause decides when it fails: capable (and so everything after), enabled, usable. */
  effect: 'capable' | 'enabled' | 'usable' | null;
  rule: KvmCauseRule;
  /** What the facts say, in a sentence. */
  found: string;
  evidence: KvmEvidence[];
  fix?: string;
}

export interface KvmNested {
  module: 'kvm_intel' | 'kvm_amd';
  /** The parameter as the module shows it: Y/N (kvm_intel), 1/0 (kvm_amd). */
  value: string;
  /** Whether guests here can run their own VMs. */
  enabled: boolean;
}

export interface KvmDiagnosis {
  /** The vendor module this CPU needs, and the CPU flag it needs; null off x86 or for an unknown vendor. */
  vendorModule: 'kvm_intel' | 'kvm_amd' | null;
  flag: 'vmx' | 'svm' | null;
  /** Every cause that holds, in the order tried; the first FAIL is the specific cause. */
  causes: KvmCause[];
  /** Whether `modprobe NAME` can load it here (a loadable module, modules allowed, not blacklisted by the kernel). */
  modprobe: Record<'kvm' | 'kvm_intel' | 'kvm_amd', boolean>;
  /** `nomodule` on the kernel command line: no module at all can be loaded this boot. */
  nomodule: boolean;
  /** The loaded vendor module's nested parameter (bare metal too). */
  nested: KvmNested | null;
  /** When this kernel is a guest: which hypervisor it logged, and whether it shows us VMX/SVM. */
  hypervisor: { logged: string | null; exposesExtension: boolean } | null;
  /** Bring-up lines of earlier boots in a saved log: shown as such, never judged. */
  olderBoots: KvmEvidence[];
  /** The kernel log could not be read: the log-only causes could not be told. */
  logUnread: { code: string; source: string } | null;
}

const isUnread = (x: Traced<unknown>): x is TracedFailure => 'error' in x;

function kernelSourceOf(id: string): string | undefined {
  const row = KVM_BRINGUP_MESSAGES.find((r) => r.id === id);
  return row?.sources.map((s) => `${s.file}; ${s.kernels}`).join(' / ');
}

function lineEvidence(match: BringupLogMatch): KvmEvidence {
  const evidence: KvmEvidence = { quote: match.record.message.trimEnd(), source: match.source };
  const kernels = kernelSourceOf(match.id);
  if (kernels !== undefined) evidence.kernelSource = kernels;
  if (match.record.timestampUs !== null) evidence.seconds = match.record.timestampUs / 1e6;
  return evidence;
}

function rowOf(match: BringupLogMatch): (typeof KVM_BRINGUP_MESSAGES)[number] {
  const row = KVM_BRINGUP_MESSAGES.find((r) => r.id === match.id);
  if (row === undefined) throw new Error(`no bring-up row ${match.id}`);
  return row;
}

/** IA32_FEATURE_CONTROL's bits as words (msr-index.h FEAT_CTL_LOCKED, _VMX_ENABLED_INSIDE_SMX, _OUTSIDE_SMX). */
function featCtlWords(value: bigint): string {
  const bit = (n: number): boolean => ((value >> BigInt(n)) & 1n) === 1n;
  return (
    `${bit(0) ? 'locked' : 'not locked'}, VMX inside SMX ${bit(1) ? 'on' : 'off'}, VMX outside SMX ` +
    `${bit(2) ? 'on' : 'off'}`
  );
}

function switchEvidence(fw: FirmwareSwitch, source: string): KvmEvidence {
  const words =
    fw.msr === 'IA32_FEATURE_CONTROL'
      ? featCtlWords(BigInt(fw.value))
      : `${fw.locked ? 'locked' : 'not locked'}, SVMDIS ${fw.svmDisabled ? 'set: SVM disabled' : 'clear'}`;
  return {
    quote: `${fw.msr} = ${fw.value} (${words})`,
    source,
  };
}

/** kvm-ok's test: Intel (msr & 0x5) == 0x1 (locked, VMX outside SMX off); AMD VM_CR.SVMDIS. */
function firmwareSwitchOff(fw: FirmwareSwitch, insideTxt: boolean): boolean {
  if (fw.msr === 'VM_CR') return fw.svmDisabled;
  return fw.locked && !(insideTxt ? fw.vmxInsideSmx : fw.vmxOutsideSmx);
}

export function kvmDiagnosis(snapshot: Snapshot, bringup: KvmBringupModel = decodeKvmBringup(snapshot)): KvmDiagnosis {
  const x86 = snapshot.context.arch === 'x64' || snapshot.context.arch === 'ia32';
  const cpu = known(bringup.cpu) ?? null;
  const vendor = cpu?.vendor ?? null;
  const flag = x86 ? (cpuVendor(vendor)?.flag ?? null) : null;
  const vendorModule = flag === null ? null : moduleFor(flag);
  const log = known(bringup.log) ?? null;
  const M = log?.matches ?? [];
  const having = (cause: KvmBringupCause): BringupLogMatch[] => M.filter((m) => m.cause === cause);
  const modules = known(bringup.modules) ?? null;
  const state = (name: string): ModuleFacts['state'] | null => modules?.[name]?.state ?? null;
  const cmdline = known(bringup.cmdline) ?? null;
  const cmdlineSource = bringup.cmdline.source ?? 'not read';
  const fw = known(bringup.firmwareSwitch) ?? null;
  const open = snapshot.kvm.open;
  const opened = 'value' in open;
  const openCode = 'error' in open ? open.error.code : null;
  const devAbsent = openCode === 'ENOENT' || openCode === 'ENXIO' || openCode === 'ENODEV';
  const devDenied = openCode === 'EACCES' || openCode === 'EPERM';
  const release = 'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value.trim() : undefined;

  const canModprobe = (name: string): boolean => {
    const s = state(name);
    // Modules unread (null): as likely loadable as not; the kernel says so if not.
    return (
      (s === null || s === 'loadable' || s === 'not-loaded') &&
      !(cmdline?.nomodule ?? false) &&
      !(cmdline?.moduleBlacklist.includes(name) ?? false)
    );
  };
  const registered = (name: string): boolean => state(name) === 'built-in' || state(name) === 'loaded';
  const firmwareFix =
    flag === 'svm'
      ? FIX_FIRMWARE_AMD
      : flag === 'vmx'
        ? FIX_FIRMWARE_INTEL
        : `On Intel: ${FIX_FIRMWARE_INTEL} On AMD: ${FIX_FIRMWARE_AMD}`;
  const extension = flag === 'svm' ? 'AMD-V (SVM)' : flag === 'vmx' ? 'VT-x (VMX)' : 'VT-x/AMD-V';

  const causes: KvmCause[] = [];
  const add = (cause: KvmCause): void => {
    causes.push(cause);
  };
  const fromRows = (matches: BringupLogMatch[]): KvmEvidence[] => matches.map(lineEvidence);

  // 1. A software backend that refused to bind: not capable here, whatever else is true.
  const notBound = having('backend-not-bound');
  if (notBound.length > 0) {
    const first = notBound[0] as BringupLogMatch;
    add({
      id: 'kvm.backend-not-bound',
      status: 'FAIL',
      effect: 'capable',
      rule: 'kvm.cpu.virtualization',
      found:
        `the kvm_pvm backend did not bind to KVM${first.groups.reason ? ` (${first.groups.reason})` : ''}, so ` +
        `there is no ${snapshot.context.device}`,
      evidence: fromRows(notBound),
      fix: rowOf(first).fix,
    });
  }
  // 2. This kernel is an SEV guest.
  const sevGuest = having('sev-guest');
  if (sevGuest.length > 0) {
    const first = sevGuest[0] as BringupLogMatch;
    add({
      id: 'kvm.sev-guest',
      status: 'FAIL',
      effect: 'capable',
      rule: 'kvm.cpu.virtualization',
      found: rowOf(first).meaning,
      evidence: fromRows(sevGuest),
      fix: rowOf(first).fix,
    });
  }
  // 7 (tried before 3, as it decides capability: a bound software backend needs no VMX/SVM). A software backend that
  // bound: capable through it.
  const boundLines = having('backend-bound');
  const otherBound =
    modules === null
      ? []
      : Object.entries(modules).filter(
          ([name, m]) =>
            name !== 'kvm' &&
            name !== 'kvm_intel' &&
            name !== 'kvm_amd' &&
            name.startsWith('kvm_') &&
            (m.state === 'built-in' || m.state === 'loaded'),
        );
  const bound = notBound.length === 0 && (boundLines.length > 0 || (opened && otherBound.length > 0));
  // 3. The firmware disabled VT-x / AMD-V: the kernel's line, or the MSR itself (kvm-ok's test).
  const fwLines = having('firmware-disabled');
  const insideTxt = fwLines.some((m) => m.groups.txt === 'inside');
  // The MSR alone counts while KVM is not answering: where /dev/kvm works, VMX/SVM is on.
  const fwOff = fw !== null && !opened && firmwareSwitchOff(fw, insideTxt);
  if (!bound && (fwLines.length > 0 || fwOff)) {
    const evidence = fromRows(fwLines);
    if (fw !== null) evidence.push(switchEvidence(fw, bringup.firmwareSwitch.source ?? 'not read'));
    const first = fwLines[0];
    add({
      id: 'kvm.firmware-disabled',
      status: 'FAIL',
      effect: 'capable',
      rule: 'kvm.cpu.virtualization',
      found: `${extension} is disabled in the firmware (BIOS/UEFI): ${
        first
          ? rowOf(first).meaning
          : fw?.msr === 'VM_CR'
            ? 'VM_CR.SVMDIS is set, so the ' + 'CPU refuses SVM.'
            : 'IA32_FEATURE_CONTROL is locked with VMX ' + 'off, so the CPU refuses VMXON.'
      }`,
      evidence,
      fix: firmwareFix,
    });
  }
  // 4. No VMX/SVM flag (the kernel's own line, or /proc/cpuinfo): the outer hypervisor hides it, or the CPU has none.
  const lacking = having('cpu-lacks-extension');
  const flagMissing = cpu !== null && flag !== null && !cpu[flag];
  const capableCauseSoFar = causes.some((c) => c.effect === 'capable');
  if (!capableCauseSoFar && !bound && (lacking.length > 0 || (flagMissing && !opened))) {
    const evidence = fromRows(lacking);
    if (flagMissing)
      evidence.push({ quote: `flags: no ${flag}`, source: describeSource(snapshot.host.cpuinfo.source) });
    const guest = cpu !== null && (cpu.hypervisorFlag || cpu.hypervisorLogged !== null);
    if (guest) {
      const hvLine = M.filter((m) => m.cause === 'hypervisor-detected');
      evidence.push(...fromRows(hvLine));
      if (cpu.hypervisorFlag)
        evidence.push({ quote: 'flags: hypervisor', source: describeSource(snapshot.host.cpuinfo.source) });
      const outer = cpu.hypervisorLogged ?? 'the outer hypervisor';
      const nestedParameter =
        flag === 'svm'
          ? 'kvm_amd.nested=1'
          : flag === 'vmx'
            ? 'kvm_intel.nested=1'
            : 'kvm_intel.nested=1 / kvm_amd.nested=1';
      add({
        id: 'kvm.guest-without-nested',
        status: 'FAIL',
        effect: 'capable',
        rule: 'kvm.cpu.virtualization',
        found:
          `this kernel runs as a guest of ${outer}, which does not expose ` +
          `${flag === null ? 'VMX/SVM' : flag.toUpperCase()} to it: there is no nested virtualization here`,
        evidence,
        fix:
          `On the outer host, enable nested virtualization and give this VM the ${flag ?? 'vmx/svm'} CPU ` +
          `feature: ${nestedParameter} there, QEMU \`-cpu host\` (or \`-cpu ...,+${flag ?? 'vmx'}\`), ` +
          "or the cloud's nested-virtualization option; then reboot this guest.",
      });
    } else {
      // Since 5.6 the boot code clears vmx when the firmware left VMX off: without its line
      // and without the MSR, a missing vmx flag cannot be told from a CPU without VMX.
      const ambiguous =
        flag === 'vmx' &&
        lacking.length === 0 &&
        fw === null &&
        kernelHas('x86.feat-ctl-clears-vmx', release) !== false;
      const msrError = isUnread(bringup.firmwareSwitch) ? bringup.firmwareSwitch.error.code : null;
      const why =
        msrError === 'ENOENT'
          ? 'ENOENT: the msr driver is not loaded'
          : msrError === 'EACCES' || msrError === 'EPERM'
            ? `${msrError}: reading it needs root (CAP_SYS_RAWIO)`
            : (msrError ?? 'not read');
      add({
        id: 'kvm.cpu-lacks-extension',
        status: 'FAIL',
        effect: 'capable',
        rule: 'kvm.cpu.virtualization',
        found: ambiguous
          ? 'vmx is missing: the CPU lacks VT-x, or the firmware disabled it ' +
            '(since Linux 5.6 the kernel hides vmx then); ' +
            `${
              isUnread(bringup.log)
                ? `the kernel log, which would say, could not be read (${bringup.log.error.code})`
                : 'the kernel log has no line ' + 'saying which'
            } and IA32_FEATURE_CONTROL could not be read (${why})`
          : `the CPU has no ${extension}: ` +
            `${lacking[0] ? rowOf(lacking[0]).meaning : `/proc/cpuinfo shows no ${flag} flag`}`,
        evidence,
        fix: ambiguous
          ? `${FIX_FIRMWARE_INTEL} If the firmware has no such setting, this CPU has no VT-x: use one that has ` +
            `it. (Run kvm-caps as root with the msr driver loaded to read the firmware's switch, or pass the ` +
            'boot log with --kernel-log FILE.)'
          : FIX_NO_EXTENSION,
      });
    }
  }
  // 5. The other vendor's module was loaded.
  const wrongVendor = having('wrong-vendor-module');
  if (wrongVendor.length > 0) {
    const first = wrongVendor[0] as BringupLogMatch;
    add({
      id: 'kvm.wrong-vendor-module',
      status: 'WARN',
      effect: null,
      rule: 'kvm.kernel.modules',
      found: rowOf(first).meaning,
      evidence: fromRows(wrongVendor),
      fix:
        vendorModule !== null && canModprobe(vendorModule)
          ? `load the module for this CPU: \`modprobe ${vendorModule}\``
          : rowOf(first).fix,
    });
  }
  // 6. Another vendor module already registered.
  const conflict = having('vendor-module-conflict');
  if (conflict.length > 0) {
    const first = conflict[0] as BringupLogMatch;
    const loaded = first.groups.module?.replace(/-/g, '_');
    const builtIn = loaded !== undefined && state(loaded) === 'built-in';
    add({
      id: 'kvm.vendor-module-conflict',
      status: devAbsent ? 'FAIL' : 'WARN',
      effect: devAbsent ? 'enabled' : null,
      rule: 'kvm.kernel.modules',
      found: rowOf(first).meaning,
      evidence: fromRows(conflict),
      fix: builtIn
        ? `${loaded} is built into this kernel and cannot be unloaded: use it, or boot a kernel that has the ` +
          'other as a module.'
        : rowOf(first).fix,
    });
  }
  if (bound) {
    add({
      id: 'kvm.backend-bound',
      status: 'PASS',
      effect: null,
      rule: 'kvm.cpu.virtualization',
      found:
        `${flag === null || cpu === null || cpu[flag] ? '' : `${flag} absent, but `}a software backend bound ` +
        `to KVM (${otherBound.map(([name, m]) => `${name}, ${m.state}`).join('; ') || 'kvm_pvm'}): it runs ` +
        'guests without VMX/SVM',
      evidence: fromRows(boundLines),
    });
  }
  // 8. Turning virtualization on failed; 8b. the CPUs differ; 8c. NX is off.
  const enableFailed = having('enable-failed');
  if (enableFailed.length > 0) {
    const first = enableFailed[0] as BringupLogMatch;
    const value = enableFailed.find((m) => m.groups.value !== undefined)?.groups.value;
    add({
      id: 'kvm.enable-failed',
      status: 'FAIL',
      effect: 'enabled',
      rule: 'kvm.kernel.modules',
      found: `${rowOf(first).meaning}${
        value === undefined ? '' : ` IA32_FEATURE_CONTROL = 0x${value}: ` + `${featCtlWords(BigInt(`0x${value}`))}.`
      }`,
      evidence: fromRows(enableFailed),
      fix: rowOf(first).fix,
    });
  }
  for (const [cause, id] of [
    ['cpus-differ', 'kvm.cpus-differ'],
    ['nx-disabled', 'kvm.nx-disabled'],
  ] as const) {
    const lines = having(cause);
    const first = lines[0];
    if (first === undefined) continue;
    add({
      id,
      status: 'FAIL',
      effect: cause === 'nx-disabled' ? 'capable' : 'enabled',
      rule: cause === 'nx-disabled' ? 'kvm.cpu.virtualization' : 'kvm.kernel.modules',
      found: rowOf(first).meaning,
      evidence: fromRows(lines),
      fix: rowOf(first).fix,
    });
  }
  // 9. The kernel refuses the module (module_blacklist=).
  const blacklistedLines = having('module-blacklisted').filter((m) =>
    ['kvm', vendorModule].includes(m.groups.module?.replace(/-/g, '_') ?? ''),
  );
  const blacklistedNames = opened
    ? []
    : ['kvm', vendorModule].filter(
        (n): n is string => n !== null && !registered(n) && (cmdline?.moduleBlacklist.includes(n) ?? false),
      );
  if (blacklistedLines.length > 0 || blacklistedNames.length > 0) {
    const names = [
      ...new Set([...blacklistedLines.map((m) => (m.groups.module ?? '').replace(/-/g, '_')), ...blacklistedNames]),
    ];
    const evidence = fromRows(blacklistedLines);
    if (cmdline !== null && blacklistedNames.length > 0)
      evidence.push({
        quote: `module_blacklist=${cmdline.moduleBlacklist.join(',')}`,
        source: cmdlineSource,
      });
    add({
      id: 'kvm.module-blacklisted',
      status: 'FAIL',
      effect: 'enabled',
      rule: 'kvm.kernel.modules',
      found:
        `${names.join(' and ')} ${names.length === 1 ? 'is' : 'are'} listed in module_blacklist= on the kernel ` +
        `command line: the kernel refuses to load ${names.length === 1 ? 'it' : 'them'} (modprobe fails with ` +
        'EPERM)',
      evidence,
      fix:
        `Remove ${names.join(', ')} from module_blacklist= in the boot loader configuration (e.g. ` +
        'GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot.',
    });
  }
  // 10. A module parameter was rejected; 11. one was ignored.
  for (const [cause, id] of [
    ['parameter-rejected', 'kvm.parameter-rejected'],
    ['parameter-ignored', 'kvm.parameter-ignored'],
  ] as const) {
    const lines = having(cause);
    const first = lines[0];
    if (first === undefined) continue;
    const module = (first.groups.module ?? '').replace(/-/g, '_');
    const parameter = first.groups.parameter ?? '';
    const onCmdline = cmdline?.moduleParameters[module]?.[parameter];
    add({
      id,
      status: cause === 'parameter-rejected' && !registered(module) ? 'FAIL' : 'WARN',
      effect: cause === 'parameter-rejected' && !registered(module) ? 'enabled' : null,
      rule: 'kvm.kernel.modules',
      found:
        `${module}.${parameter}${first.groups.value === undefined ? '' : ` = ${first.groups.value}`}: ` +
        `${rowOf(first).meaning}`,
      evidence: fromRows(lines),
      fix:
        onCmdline !== undefined && cmdline !== null
          ? `Remove or correct ${module}.${parameter}=${onCmdline} on the kernel command line ` +
            `(${cmdlineSource}; the boot loader configuration), then reboot.`
          : `Remove or correct \`options ${module} ${parameter}=...\` in /etc/modprobe.d/*.conf (or ` +
            `${module}.${parameter}= on the kernel command ` +
            `line)${registered(module) ? '' : ', then load the module again'}.`,
    });
  }
  const enabledCause = (): boolean => causes.some((c) => c.status === 'FAIL');
  // 12. No module can be loaded this boot.
  if (cmdline?.nomodule && vendorModule !== null && !registered(vendorModule) && !opened && !bound && !enabledCause()) {
    add({
      id: 'kvm.nomodule',
      status: 'FAIL',
      effect: 'enabled',
      rule: 'kvm.kernel.modules',
      found:
        `${vendorModule} is not in this kernel and modules cannot be loaded this boot: the kernel command line ` +
        'has nomodule',
      evidence: [{ quote: 'nomodule', source: cmdlineSource }],
      fix:
        'Remove nomodule from the kernel command line (the boot loader configuration) and reboot, or use a ' +
        `kernel with ${vendorModule} built in.`,
    });
  }
  // 14. In a container without the device; 13. the module did not load.
  const container = known(bringup.container) ?? null;
  if (devAbsent && !enabledCause()) {
    const hostLacks = !bound && vendorModule !== null && !registered(vendorModule);
    const containerSource = snapshot.host.container
      ? describeSource(snapshot.host.container.source)
      : 'container markers';
    if (container?.inContainer) {
      add({
        id: 'kvm.device-not-in-container',
        status: 'FAIL',
        effect: 'enabled',
        rule: 'kvm.device.present',
        found: `this runs in a container, and ${snapshot.context.device} was not passed into it${
          hostLacks ? ` (nor is ${vendorModule} loaded, as /sys/module shows it)` : ''
        }`,
        evidence: container.evidence.map((quote) => ({ quote, source: containerSource })),
        fix:
          `Pass the device in: \`docker run --device /dev/kvm\`, \`podman run --device /dev/kvm\`, ` +
          `or a Kubernetes KVM device plugin${hostLacks ? `; on the host, KVM must be loaded (${vendorModule})` : ''}.`,
      });
    } else if (bound || (vendorModule !== null && registered(vendorModule))) {
      // KVM came up, yet there is no node at the path asked for (another --device path, no devtmpfs, a udev rule).
      add({
        id: 'kvm.device-node-missing',
        status: 'FAIL',
        effect: 'enabled',
        rule: 'kvm.device.present',
        found: `KVM is loaded (${
          bound ? 'a software backend bound' : `${vendorModule} ` + `${state(vendorModule ?? '')}`
        }), but there is no KVM device node at ${snapshot.context.device}`,
        evidence: [
          { quote: `${snapshot.context.device}: ${openCode}`, source: describeSource(open.source) },
          ...fromRows(boundLines),
        ],
        fix:
          `Use the node the kernel made (/dev/kvm; is devtmpfs mounted on /dev?), or create it: \`mknod ` +
          `${snapshot.context.device} c 10 232\` (KVM_MINOR, include/linux/miscdevice.h).`,
      });
    } else {
      const name = vendorModule ?? 'kvm';
      const s = state(name);
      const evidence: KvmEvidence[] = [
        { quote: `${snapshot.context.device}: ${openCode}`, source: describeSource(open.source) },
      ];
      let found: string;
      let fix: string;
      if (s === 'built-in' || s === 'built-in-not-registered') {
        const unreadLog = isUnread(bringup.log);
        found = `${name} is built into this kernel but did not register with KVM: ${
          unreadLog
            ? 'the kernel log, which says why, ' + 'could not be read'
            : 'the kernel log has no line ' + 'kvm-caps knows saying why'
        }`;
        fix = unreadLog
          ? 'Read the kernel log as root (`dmesg | grep -i -e kvm -e vmx -e svm`), or pass it with ' +
            '--kernel-log FILE; a built-in module cannot be loaded with modprobe.'
          : 'Look for its line with `dmesg | grep -i -e kvm -e vmx -e svm`; a built-in module cannot be loaded ' +
            'with modprobe.';
      } else if (s === 'absent') {
        found = `this kernel was built without ${name}`;
        fix =
          `Install a kernel that has ${name} (CONFIG_KVM and ` +
          `CONFIG_${name === 'kvm_amd' ? 'KVM_AMD' : name === 'kvm_intel' ? 'KVM_INTEL' : 'KVM'}).`;
      } else if (canModprobe(name)) {
        found = `${name} is not loaded`;
        const blacklisted = cmdline?.modprobeBlacklist.includes(name)
          ? ' (modprobe.blacklist= on the command line stops only its automatic loading; an explicit ' +
            `\`modprobe ${name}\` still loads it)`
          : '';
        const unchecked =
          s === 'not-loaded'
            ? ` (whether its module file exists could not be checked${
                snapshot.host.moduleFiles && 'error' in snapshot.host.moduleFiles
                  ? `: ${snapshot.host.moduleFiles.error.code}`
                  : ''
              })`
            : '';
        fix =
          `\`modprobe ${name}\`${blacklisted}${unchecked}; if it refuses, the kernel log says why (\`dmesg | ` +
          `grep -i -e kvm -e vmx -e svm\`).`;
      } else {
        found = `${name} is not loaded, and it cannot be loaded this boot`;
        fix = 'Boot without nomodule / module_blacklist= for it, or use a kernel with it built in.';
      }
      add({
        id: 'kvm.module-not-loaded',
        status: 'FAIL',
        effect: 'enabled',
        rule: 'kvm.kernel.modules',
        found,
        evidence,
        fix,
      });
    }
  }
  // 15. The node is there, but this user may not open it.
  if (devDenied) {
    const device = bringup.device;
    const who = `uid ${snapshot.context.uid}`;
    const evidence: KvmEvidence[] = [
      { quote: `open ${snapshot.context.device}: ${openCode}`, source: describeSource(open.source) },
    ];
    const node = known(device.node);
    if (node !== undefined)
      evidence.push({
        quote: `mode 0${node.mode.toString(8)}, group ${node.group ?? '?'}`,
        source: device.node.source ?? 'stat',
      });
    const acl = known(device.acl);
    if (acl && acl.length > 0) evidence.push({ quote: `ACL: ${acl.join(',')}`, source: 'getfacl' });
    const access = known(device.access) ?? null;
    let found: string;
    let fix: string;
    if (openCode === 'EPERM' || (access?.read && access.write)) {
      found =
        `${who} has read-write permission on ${snapshot.context.device}, yet opening it was refused ` +
        `(${openCode}): a security policy (device cgroup, seccomp, SELinux/AppArmor) denies it`;
      fix =
        'Allow the device for this container or service (e.g. `docker run --device /dev/kvm`, systemd ' +
        'DeviceAllow=/dev/kvm rw), or adjust the LSM policy.';
    } else if (node?.group != null && !node.inDeviceGroup) {
      found = `${who} is not in the group ${node.group} that owns ${snapshot.context.device}${
        device.aclEntriesForUs?.length ? ' (an ACL entry names it, but the ACL ' + 'mask removes its access)' : ''
      }`;
      fix = `\`usermod -aG ${node.group} $USER\`, then log in again (or run as root).`;
    } else {
      found = `${who} may not open ${snapshot.context.device} (${openCode})${
        isUnread(device.acl) ? '; its ACL could not be read ' + '(getfacl not installed?)' : ''
      }`;
      fix =
        'Give the group that owns the device read-write access (mode 0660), or an ACL entry for this user ' +
        '(`setfacl -m u:$USER:rw /dev/kvm`).';
    }
    add({
      id: 'kvm.device-permission',
      status: 'FAIL',
      effect: 'usable',
      rule: 'kvm.device.access',
      found,
      evidence,
      fix,
    });
  }

  // KVM answered on its device: whatever the log says went wrong this boot did not stop it
  // (a CPU brought up later, an earlier failed load); shown as warnings, never as the verdict.
  if (opened) {
    for (const cause of causes) {
      if (cause.status !== 'FAIL') continue;
      cause.status = 'WARN';
      cause.effect = null;
    }
  }

  const nestedModule: KvmNested['module'] | null =
    vendorModule ??
    (modules?.kvm_intel?.nested !== undefined
      ? 'kvm_intel'
      : modules?.kvm_amd?.nested !== undefined
        ? 'kvm_amd'
        : null);
  const nestedValue = nestedModule === null ? undefined : modules?.[nestedModule]?.nested;
  const nested =
    nestedModule !== null && nestedValue !== undefined
      ? { module: nestedModule, value: nestedValue.trim(), enabled: /^(?:y|1)$/i.test(nestedValue.trim()) }
      : null;
  const hypervisor =
    cpu !== null && (cpu.hypervisorFlag || cpu.hypervisorLogged !== null)
      ? { logged: cpu.hypervisorLogged, exposesExtension: flag !== null && cpu[flag] }
      : null;
  const logUnread = isUnread(bringup.log) ? { code: bringup.log.error.code, source: bringup.log.source } : null;
  return {
    vendorModule,
    flag,
    causes,
    modprobe: { kvm: canModprobe('kvm'), kvm_intel: canModprobe('kvm_intel'), kvm_amd: canModprobe('kvm_amd') },
    nomodule: cmdline?.nomodule ?? false,
    nested,
    hypervisor,
    olderBoots: log?.olderBoots.map(lineEvidence) ?? [],
    logUnread,
  };
}

/** The specific cause: the first that fails (or warns), in the order tried. */
export function specificCause(diagnosis: KvmDiagnosis): KvmCause | undefined {
  return diagnosis.causes.find((c) => c.status === 'FAIL') ?? diagnosis.causes.find((c) => c.status === 'WARN');
}

/**
 * The causes that make every confidential technology moot here: KVM itself cannot run (capable), or cannot load this
 * boot.
 */
export function kvmBlocker(diagnosis: KvmDiagnosis): KvmCause | undefined {
  return diagnosis.causes.find(
    (c) =>
      c.status === 'FAIL' && (c.effect === 'capable' || c.id === 'kvm.module-blacklisted' || c.id === 'kvm.nomodule'),
  );
}

/**
 * Why a fix leaves a module load out: said once, in the fix that would otherwise suggest it (`modprobe[name]` is
 * false for a module that is built in, not in this kernel, already loaded, or blacklisted, and for all under nomodule).
 */
export function noModuleLoadReason(diagnosis: KvmDiagnosis): string {
  return diagnosis.nomodule
    ? 'nomodule is on the kernel command line'
    : 'modprobe cannot load it here: built in, not in this kernel, or in module_blacklist=';
}
