// The host snapshot: everything kvm-caps collected from one host, raw, as JSON. Every
// fact records where it came from and either its value or the error that stopped it;
// interpretation (lib/report) works from this document alone, so a saved snapshot
// replays on any machine.

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
}

export type Fact<T> = { source: Source; value: T } | { source: Source; error: ProbeError };

/** A single KVM_CHECK_EXTENSION answer: the value, or the error of that one check. */
export type CheckResult = number | { code: string; errno: number };

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
  /** The user and groups the probe ran as. */
  uid: number;
  gid: number;
  groups: number[];
  arch: string;
  platform: string;
}

export interface HostFacts {
  kernelRelease: Fact<string>;
  /** The first processor block of /proc/cpuinfo, key to raw value. */
  cpuinfo: Fact<Record<string, string>>;
  /** kvm and every kvm_* module present under /sys/module. */
  modules: Fact<Record<string, KernelModule>>;
  device: Fact<DeviceNode>;
}

export interface KvmFacts {
  /** Opening the device; when this failed, no other KVM fact was probed. */
  open: Fact<true>;
  apiVersion?: Fact<number>;
  vcpuMmapSize?: Fact<number>;
  /** Capability number (as a string key) to its KVM_CHECK_EXTENSION answer. */
  capabilities?: {
    system: Fact<Record<string, CheckResult>>;
    /** On a throwaway default VM; absent when none could be created. */
    vm?: Fact<Record<string, CheckResult>>;
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
}

export interface CpuidEntryRecord {
  function: number;
  index: number;
  flags: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  createdAt: string;
  tool: { name: string; version: string };
  context: ProbeContext;
  host: HostFacts;
  kvm: KvmFacts;
}
