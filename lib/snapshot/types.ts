// The host snapshot: everything kvm-caps collected from one host, raw, as JSON. Every
// fact records where it came from and either its value or the error that stopped it;
// interpretation (lib/decode and above) works from this document alone, so a saved snapshot
// replays on any machine.
import type { CpuidEntry, SevPlatformStatus, SnpPlatformStatus } from '../native/binding.js';

export const SNAPSHOT_FORMAT = 'kvm-caps-snapshot';
export const SNAPSHOT_VERSION = 1;

/** Where a fact came from. */
export type Source =
  /** An ioctl on the KVM device ('system') or on a throwaway VM fd ('vm'). */
  | { ioctl: string; path: string; fd: 'system' | 'vm'; arg?: string }
  /** A file read, as the path that was opened (under the probe's root). */
  | { file: string }
  /** A directory listing. */
  | { directory: string }
  /** A system call other than ioctl or read: open, stat. */
  | { syscall: string; path: string };

/** A failed probe: the error as the kernel reported it. */
export interface ProbeError {
  code: string;
  /** Negative errno, as in Node's errors. */
  errno: number;
  syscall: string;
  request?: string;
  path?: string;
  message: string;
  /** TDX: the SEAMCALL status KVM returned in kvm_tdx_cmd.hw_error, as hex. */
  hwError?: string;
  /** SEV: the firmware status (SEV_RET_*) from the command's error field; 0xffffffff: no firmware call. */
  firmwareError?: number;
}

export type Fact<T> = { source: Source; value: T } | { source: Source; error: ProbeError };

/** A single KVM_CHECK_EXTENSION answer: the value, or the error of that one check. */
export type ExtensionAnswer = number | { code: string; errno: number };

export interface KernelModule {
  /** /sys/module/<name>/initstate: 'live' for a loaded module; absent when built in. */
  initstate: string | null;
  /** Each parameter's raw text, or the error reading it (some are write-only). */
  parameters: Record<string, string | ProbeError>;
}

export interface DeviceNode {
  /** 'character', 'block', 'file', 'directory', 'other'. */
  type: string;
  /** Permission bits, e.g. 0o660. */
  mode: number;
  uid: number;
  gid: number;
  /** Names from <root>/etc/passwd and <root>/etc/group, where found. */
  owner: string | null;
  group: string | null;
  major: number;
  minor: number;
}

export interface ProbeContext {
  /** Root of the host filesystem the files were read under. */
  root: string;
  /** KVM device path that was opened. */
  device: string;
  /** SEV device path (stat'ed and opened only on AMD hosts). */
  sevDevice?: string;
  /** The user and groups the probe ran as. */
  uid: number;
  gid: number;
  groups: number[];
  arch: string;
  platform: string;
}

/** One kernel log record: from /dev/kmsg, or a line of `dmesg` output given with --kernel-log. */
export interface KernelLogRecord {
  /** Syslog priority (0-7), where the source gives it. */
  priority: number | null;
  /** Microseconds since boot, where the source gives it. */
  timestampUs: number | null;
  message: string;
  /**
   * In a saved log of several boots: 0 for the newest boot, 1 for the one before, and so on.
   * Absent where the log is one boot's by construction (/dev/kmsg, a kmsg dump).
   */
  boot?: number;
}

/**
 * A --kernel-log file larger than kvm-caps reads is read from where its newest `kept` bytes
 * start (the oldest lines are dropped); `size` is the whole file's. Absent: read whole.
 */
export interface KernelLogCut {
  size: number;
  kept: number;
}

export type KernelLogFact = Fact<KernelLogRecord[]> & { cut?: KernelLogCut };

export interface HostFacts {
  kernelRelease: Fact<string>;
  /** The first processor block of /proc/cpuinfo, key to raw value. */
  cpuinfo: Fact<Record<string, string>>;
  /** kvm and every kvm_* module present under /sys/module. */
  modules: Fact<Record<string, KernelModule>>;
  device: Fact<DeviceNode>;
  /**
   * Kernel log records about KVM, TDX, SEV and their prerequisites (the rest of the log is
   * not kept: it is large and may be private). Absent when not read.
   */
  kernelLog?: KernelLogFact;
  /** The misc cgroup controller's totals (root cgroup): resource name -> count, e.g. tdx, sev, sev_es. */
  miscCapacity?: Fact<Record<string, number>>;
  miscCurrent?: Fact<Record<string, number>>;
  /** /sys/devices/faux/tdx_host/version (Linux 7.2+): the TDX module version. */
  tdxModuleVersion?: Fact<string>;
  /** /sys/devices/faux/tdx_host/seamldr_version (Linux 7.2+, root, runtime-update capable module): raw text. */
  tdxSeamldrVersion?: Fact<string>;
  /** /sys/devices/faux/tdx_host/num_remaining_updates (same conditions): raw text, a decimal count. */
  tdxNumRemainingUpdates?: Fact<string>;
  /** The SEV device node (/dev/sev), as stat(2) shows it. */
  sevDevice?: Fact<DeviceNode>;
  /** /proc/cmdline. */
  cmdline?: Fact<string>;
  /** The KVM modules this kernel build has built in or as loadable files (/lib/modules/<release>). */
  moduleFiles?: Fact<ModuleFiles>;
  /** CPU 0's firmware virtualization switch: IA32_FEATURE_CONTROL (Intel) or VM_CR (AMD). */
  firmwareMsr?: Fact<FirmwareMsr>;
  /** What access(2) allows this process on the KVM device node. */
  deviceAccess?: Fact<DeviceAccess>;
  /** The KVM device node's POSIX ACL. */
  deviceAcl?: Fact<DeviceAcl>;
  /** Signs of running inside a container. */
  container?: Fact<ContainerMarkers>;
  /**
   * What access(2) allows this process on /dev/sev (it applies the
   * mode, the groups and any POSIX ACL); QEMU opens it O_RDWR. Absent where /dev/sev was not
   * looked at.
   */
  sevDeviceAccess?: Fact<DeviceAccess>;
  /** RLIMIT_MEMLOCK of this process (/proc/self/limits, never under --root): bytes, or null for unlimited. */
  memlockLimit?: Fact<{ soft: number | null; hard: number | null }>;
  /**
   * MSRs read with pread(2) on /dev/cpu/0/msr (under --root; never loads the msr module):
   * SYSCFG 0xc0010010, RMP_BASE 0xc0010132, RMP_END 0xc0010133, each a value or its error.
   */
  msrs?: Record<string, Fact<string>>;
  /**
   * The host's raw CPUID 0x8000001F (subleaf 0) read with pread(2) on /dev/cpu/0/cpuid (under
   * --root; never loads the cpuid module): VMPL support, the number of VMPLs and the page-flush
   * MSR, which KVM_GET_SUPPORTED_CPUID does not pass on.
   */
  hostCpuid8000001f?: Fact<CpuidRegisters>;
  /** /dev/sev's POSIX ACL, read like the KVM device's (getfacl). */
  sevDeviceAcl?: Fact<DeviceAcl>;
  /** The PSP's sysfs attributes under /sys/bus/pci/drivers/ccp/<device>/: name -> raw text or its error. */
  pspSysfs?: Fact<{ device: string; attributes: Record<string, string | ProbeError> }>;
}

export interface ModuleFiles {
  /** /sys/module names (kvm, kvm_intel, ...) listed in modules.builtin. */
  builtin: string[];
  /** Names with a .ko file in modules.dep. */
  loadable: string[];
}

export interface FirmwareMsr {
  /** The MSR index, hex: 0x3a or 0xc0010114. */
  index: string;
  /** Its 64-bit value, hex; null when the file ended before 8 bytes (a regular file, never the driver). */
  value: string | null;
}

/** One CPUID answer, each register as a hex string. */
export interface CpuidRegisters {
  eax: string;
  ebx: string;
  ecx: string;
  edx: string;
}

export interface DeviceAccess {
  read: boolean;
  write: boolean;
}

export interface DeviceAcl {
  /** getfacl's numeric entries (user::rw-, user:1000:rw-, mask::rw-, ...); null when getfacl failed. */
  entries: string[] | null;
  /** getfacl's message when it failed. */
  stderr?: string;
}

export interface ContainerMarkers {
  /** Runtime marker files found: /.dockerenv, /run/.containerenv. */
  markers: string[];
  /** /run/systemd/container (docker, podman, lxc, systemd-nspawn, ...), when present. */
  systemdContainer: string | null;
  /** /proc/1/cgroup's lines. */
  pid1Cgroup: string[];
}

export interface TdxCapabilitiesRecord {
  supportedAttrs: string;
  supportedXfam: string;
  kernelTdvmcallinfo1R11: string;
  userTdvmcallinfo1R11: string;
  kernelTdvmcallinfo1R12: string;
  userTdvmcallinfo1R12: string;
  cpuid: CpuidEntryRecord[];
}

export interface TdxFacts {
  /** KVM_CREATE_VM(KVM_X86_TDX_VM): a throwaway TD, closed after the questions below. */
  vm: Fact<true>;
  /** KVM_MEMORY_ENCRYPT_OP(KVM_TDX_CAPABILITIES) on that TD. */
  capabilities?: Fact<TdxCapabilitiesRecord>;
  /** KVM_CHECK_EXTENSION(KVM_CAP_MAX_VCPUS) on that TD: the TD's own vCPU limit. */
  maxVcpus?: Fact<number>;
  /** --deep: KVM_TDX_INIT_VM with `config` on a second throwaway TD. */
  initVm?: { config: { attributes: string; xfam: string; cpuidEntries: number }; result: Fact<{ hwError: string }> };
}

export interface SevAttributes {
  /** KVM_GET_DEVICE_ATTR(KVM_X86_GRP_SEV, KVM_X86_SEV_VMSA_FEATURES) as hex. */
  vmsaFeatures: Fact<string>;
  /** KVM_X86_SNP_POLICY_BITS. */
  snpPolicyBits: Fact<string>;
  /** KVM_X86_SEV_SNP_REQ_CERTS. */
  snpReqCerts: Fact<string>;
}

/** struct sev_user_data_status, as the addon returns it (its firmware status goes with errors). */
export type SevPlatformStatusRecord = Omit<SevPlatformStatus, 'firmwareError'>;

/** struct sev_user_data_snp_status, with its u64 TCB versions as hex strings (JSON has no u64). */
export type SnpPlatformStatusRecord = Omit<
  SnpPlatformStatus,
  'firmwareError' | 'currentTcbVersion' | 'reportedTcbVersion'
> & {
  currentTcbVersion: string;
  reportedTcbVersion: string;
};

/** A /dev/sev command kvm-caps chose not to send, and why. */
export interface WithheldCommand {
  /** Why, in a sentence. */
  reason: string;
  /** The kernel-version row (lib/knowledge/kernel-versions.ts) that makes the command change the firmware's state. */
  kernelChange: string;
  /** What could be told about SNP firmware being initialised already: 'no', or 'unknown' (cannot be told). */
  snpInitialized: 'no' | 'unknown';
  /** The option that sends it anyway. */
  override: string;
}

/** What /dev/sev (the ccp driver) answered to read-only commands. */
export interface SevDeviceFacts {
  open: Fact<true>;
  platformStatus?: Fact<SevPlatformStatusRecord>;
  snpPlatformStatus?: Fact<SnpPlatformStatusRecord>;
  /** Commands deliberately not sent (by name, e.g. SNP_PLATFORM_STATUS), each with its reason. */
  withheld?: Record<string, WithheldCommand>;
  /** SEV_GET_ID2: the chip id, hex. */
  chipId?: Fact<string>;
}

export interface KvmFacts {
  /** Opening the device; when this failed, no other KVM fact was probed. */
  open: Fact<true>;
  apiVersion?: Fact<number>;
  vcpuMmapSize?: Fact<number>;
  /** Capability number (as a string key) to its KVM_CHECK_EXTENSION answer. */
  capabilities?: {
    system: Fact<Record<string, ExtensionAnswer>>;
    /** On a throwaway default VM; absent when none could be created. */
    vm?: Fact<Record<string, ExtensionAnswer>>;
  };
  /** KVM_CREATE_VM(KVM_X86_DEFAULT_VM), made to ask VM-scope questions and closed at once. */
  defaultVm?: Fact<true>;
  supportedCpuid?: Fact<CpuidEntryRecord[]>;
  emulatedCpuid?: Fact<CpuidEntryRecord[]>;
  msrIndexList?: Fact<number[]>;
  msrFeatureIndexList?: Fact<number[]>;
  /** Feature MSR values (KVM_GET_MSRS on /dev/kvm) by index in hex; `unreadable` lists the ones KVM refused. */
  featureMsrs?: Fact<{ values: Record<string, string>; unreadable: string[] }>;
  /** KVM_GET_DEVICE_ATTR(KVM_X86_GRP_SYSTEM, KVM_X86_XCOMP_GUEST_SUPP) as a hex u64. */
  xcompGuestSupp?: Fact<string>;
  /** Probed when KVM_CAP_VM_TYPES offers KVM_X86_TDX_VM. */
  tdx?: TdxFacts;
  /** Probed when KVM_CAP_SYS_ATTRIBUTES is present. */
  sevAttributes?: SevAttributes;
  /** --deep: KVM_SEV_INIT2 with default parameters on a throwaway VM of each SEV type KVM offers. */
  sevInit2?: Record<string, { vmsaFeatures: string; result: Fact<true> }>;
}

/** A CPUID entry as the addon returns it (struct kvm_cpuid_entry2 without its padding). */
export type CpuidEntryRecord = CpuidEntry;

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  createdAt: string;
  tool: { name: string; version: string };
  context: ProbeContext;
  host: HostFacts;
  kvm: KvmFacts;
  /** Absent when /dev/sev was not probed (only attempted where the node exists or kvm_amd is present). */
  sev?: SevDeviceFacts;
}
