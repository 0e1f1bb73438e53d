// What the kernel means by an error from a given request, device or file: ENXIO from
// KVM_GET_DEVICE_ATTR is "this kernel does not offer that attribute", ENOENT from open(/dev/kvm) is
// "no KVM device node". A table of kernel behaviour, like the errno tables beside it, so it lives
// here rather than in render: check's findings, compare's diff and render's outputs all word a
// failed probe the same way, and check and compare sit below render. The classification also says
// which errors are the kernel's way of saying "this host does not have it" (`absence`): decode marks
// those failures from it. What to do about a failure is kvm-caps' advice, not kernel behaviour: that
// is lib/check/failure-fixes.ts, keyed by the situation named here.

/** A failed probe, as the lookup needs it (lib/decode/failure.ts ProbeFailure has these fields). */
export interface FailureKey {
  code: string;
  /** The call the probe made: 'ioctl', 'open', 'stat', 'read', 'pread', ... */
  syscall: string;
  /** The ioctl request, for ioctls. */
  request?: string;
  /** What was read or asked: a file's or directory's contents, or a device node (open, stat, ioctl). */
  target: 'file' | 'directory' | 'device';
  path: string;
}

/**
 * Which row of the tables below a failure falls under: `situation` names the table ('kvm-device-open',
 * 'request:KVM_CREATE_VM', 'errno' for the per-code fallback, ...), `code` the row in it.
 */
export interface FailureRow {
  situation: string;
  code: string;
  meaning: string;
  /** The error is the kernel's way of saying "this host does not have it": a fact, not a failed probe. */
  absence?: true;
  /** A signal interrupted a request the addon does not repeat (NOT_RETRIED): asking again is all it takes. */
  interrupted?: true;
}

type Rows = Readonly<Record<string, string | { meaning: string; absence: true }>>;

const EINTR_ERRNO = 4;

/**
 * The requests the addon makes exactly once because they change a VM's state, so that EINTR
 * (a signal arrived while the kernel worked on it) reaches the caller instead of a repeat:
 * what EINTR means for each. The VM is a throwaway one; closing it undoes the attempt.
 */
export const NOT_RETRIED: Readonly<Record<string, string>> = {
  KVM_TDX_INIT_VM:
    "a signal interrupted the TD's initialisation, which kvm-caps does not repeat because it changes the TD; " +
    'the throwaway TD is released when it is closed, and running kvm-caps again asks again',
  KVM_SEV_INIT2:
    "a signal interrupted the SEV VM's initialisation, which kvm-caps does not repeat because it changes the VM; " +
    'the throwaway VM and its ASID are released when it is closed, and running kvm-caps again asks again',
};

/** What EINTR from a request means, where the addon does not repeat it (else undefined). */
export function notRetriedMeaning(errno: number, request: string | undefined): string | undefined {
  return Math.abs(errno) === EINTR_ERRNO && request !== undefined ? NOT_RETRIED[request] : undefined;
}

const NO_KVM_DRIVER = 'the device node exists but no driver answers it: the kvm module is not loaded';

const KVM_DEVICE_OPEN: Rows = {
  ENOENT: 'there is no KVM device node: KVM is not loaded, or this machine cannot virtualize',
  EACCES: 'the KVM device exists but this user may not open it',
  EPERM: 'opening the KVM device was refused by a security policy (seccomp, LSM or device cgroup)',
  ENXIO: NO_KVM_DRIVER,
  ENODEV: NO_KVM_DRIVER,
};

const NO_SEV_DEVICE =
  'there is no SEV device: the ccp driver found no SEV-capable PSP (SEV off in firmware, or ccp not loaded)';

const SEV_DEVICE_OPEN: Rows = {
  ENOENT: NO_SEV_DEVICE,
  EACCES: 'the SEV device exists but this user may not open it (it is usually root-only)',
  EPERM: 'opening the SEV device was refused by a security policy',
};

/** Files, by what they are. Their read errors say something about the host, not about kvm-caps. */
const FILES: readonly { situation: string; pattern: RegExp; rows: Rows }[] = [
  {
    situation: 'kernel-log',
    pattern: /\/dev\/kmsg$/,
    rows: {
      EPERM: 'reading the kernel log needs root or CAP_SYSLOG (kernel.dmesg_restrict is 1)',
      EACCES: 'this user may not read the kernel log',
      ENOENT: 'there is no /dev/kmsg under this root',
    },
  },
  {
    situation: 'misc-cgroup',
    pattern: /\/misc\.(capacity|current)$/,
    rows: {
      ENOENT: {
        meaning:
          'no misc cgroup controller here (kernel without ' +
          'CONFIG_CGROUP_MISC, or cgroup v1 without misc mounted): free TD ' +
          'keys and SEV ASIDs cannot be counted',
        absence: true,
      },
    },
  },
  {
    situation: 'tdx-host-version',
    pattern: /\/tdx_host\/version$/,
    rows: {
      ENOENT: {
        meaning: 'this kernel has no TDX host device (before Linux 7.2, or TDX not initialised)',
        absence: true,
      },
      ENXIO: 'the TDX module is not initialised',
    },
  },
];

const NO_SYS_ATTRIBUTES = 'this kernel has no device attributes on /dev/kvm (KVM_CAP_SYS_ATTRIBUTES)';
const NO_ATTRIBUTE = { meaning: 'this kernel does not offer that attribute', absence: true } as const;
const NO_MSR_FEATURES = 'this kernel does not report feature MSRs (KVM_CAP_GET_MSR_FEATURES)';
const NO_EMULATED_CPUID = 'this kernel does not report emulated CPUID (KVM_CAP_EXT_EMUL_CPUID)';
const NO_VM_CHECKS = 'this kernel does not answer capability checks on a VM fd (KVM_CAP_CHECK_EXTENSION_VM)';

/** By ioctl request (or, for other calls on a device, the call). */
const REQUESTS: Readonly<Record<string, Rows>> = {
  stat: {
    ENOENT: 'the path does not exist',
    EACCES: 'a directory on the path may not be searched by this user',
  },
  KVM_CREATE_VM: {
    EINVAL: 'this kernel does not offer that VM type',
    ENOMEM: 'the kernel could not allocate a VM',
    EMFILE: 'this process has no free file descriptors',
  },
  KVM_GET_DEVICE_ATTR: { ENXIO: NO_ATTRIBUTE, ENOTTY: NO_SYS_ATTRIBUTES, EINVAL: NO_SYS_ATTRIBUTES },
  KVM_HAS_DEVICE_ATTR: { ENXIO: NO_ATTRIBUTE },
  KVM_GET_MSR_FEATURE_INDEX_LIST: { EINVAL: NO_MSR_FEATURES, ENOTTY: NO_MSR_FEATURES },
  KVM_GET_EMULATED_CPUID: { EINVAL: NO_EMULATED_CPUID, ENOTTY: NO_EMULATED_CPUID },
  KVM_CHECK_EXTENSION: { EINVAL: NO_VM_CHECKS, ENOTTY: NO_VM_CHECKS },
};

/** What an errno means wherever no row above names the request or file. */
const BY_CODE: Rows = {
  ENOENT: 'not present on this host',
  EACCES: 'this user may not read it',
  EPERM: 'the operation was refused by the kernel or a security policy',
  ENOTTY: 'the kernel does not implement this request on this file descriptor',
  EINVAL: 'the kernel rejected the request as invalid for this host or kernel version',
  ENXIO: 'not offered by this kernel',
  E2BIG: 'the kernel kept asking for a larger buffer than kvm-caps allows',
  EBADF: 'the handle was already closed',
  EFAULT: 'the kernel could not access the request buffer',
  EIO: 'the device reported an I/O error',
  EOVERFLOW: 'the kernel answered with more entries than the buffer holds; the answer was refused',
  EINTR: 'a signal interrupted the request',
};

function row(situation: string, rows: Rows | undefined, code: string): FailureRow | undefined {
  const found = rows?.[code];
  if (found === undefined) return undefined;
  return typeof found === 'string' ? { situation, code, meaning: found } : { situation, code, ...found };
}

const SEV_DEVICE = /\/sev$/;

function specific(key: FailureKey): FailureRow | undefined {
  if (key.target !== 'device') {
    const file = FILES.find((f) => f.pattern.test(key.path));
    return file === undefined ? undefined : row(file.situation, file.rows, key.code);
  }
  // The KVM device may be anywhere (--device); the SEV device is the one named sev.
  if (key.syscall === 'open') {
    return SEV_DEVICE.test(key.path)
      ? row('sev-device-open', SEV_DEVICE_OPEN, key.code)
      : row('kvm-device-open', KVM_DEVICE_OPEN, key.code);
  }
  if (key.syscall === 'stat' && SEV_DEVICE.test(key.path) && key.code === 'ENOENT') {
    // The SEV section says what a missing /dev/sev means for this host.
    return { situation: 'sev-device-stat', code: key.code, meaning: NO_SEV_DEVICE, absence: true };
  }
  const request = key.request ?? key.syscall;
  // The requests that change kernel state are not repeated after a signal: NOT_RETRIED says what that leaves.
  const interrupted = key.code === 'EINTR' ? NOT_RETRIED[request] : undefined;
  if (interrupted !== undefined)
    return { situation: `interrupted:${request}`, code: key.code, meaning: interrupted, interrupted: true };
  return row(`request:${request}`, REQUESTS[request], key.code);
}

/** The row a failure falls under: the request's or file's own, else the errno's, else "unexpected error". */
export function failureRow(key: FailureKey): FailureRow {
  return (
    specific(key) ??
    row('errno', BY_CODE, key.code) ?? { situation: 'unexpected', code: key.code, meaning: 'unexpected error' }
  );
}

/** What a failure says about the host, in the kernel's terms. */
export function failureMeaning(key: FailureKey): string {
  return failureRow(key).meaning;
}
