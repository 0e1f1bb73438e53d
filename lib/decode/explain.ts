// What a failed probe means, for a person: one table, keyed by request (or syscall) and
// error code, with a fallback per code. Pure data and lookup.
import { NOT_RETRIED } from '../native/errors.js';
import type { ProbeError, Source } from '../snapshot/types.js';

export interface Explained {
  code: string;
  errno: number;
  message: string;
  /** What this failure says about the host. */
  meaning: string;
  /** What to do about it, where something can be done. */
  hint?: string;
  /**
   * True when the error is the kernel's way of saying "this host does not have it" (an
   * attribute not offered, a controller not configured): a fact, not a failed probe.
   */
  absence?: true;
}

type Explanation = { meaning: string; hint?: string; absence?: true };

const DEVICE_OPEN: Record<string, Explanation> = {
  ENOENT: {
    meaning: 'there is no KVM device node: KVM is not loaded, or this machine cannot virtualize',
    hint:
      'load kvm and the vendor module (`modprobe kvm_intel` or `modprobe kvm_amd`); in a VM, enable nested ' +
      'virtualization on the outer host; in a container, pass the device in (--device /dev/kvm)',
  },
  EACCES: {
    meaning: 'the KVM device exists but this user may not open it',
    hint:
      'add the user to the group that owns the device (usually `kvm`: ' +
      '`usermod -aG kvm $USER`, then log in again) or run as root',
  },
  EPERM: {
    meaning: 'opening the KVM device was refused by a security policy (seccomp, LSM or device cgroup)',
    hint: 'allow the device for this container or service (e.g. docker --device /dev/kvm)',
  },
  ENXIO: {
    meaning: 'the device node exists but no driver answers it: the kvm module is not loaded',
    hint: 'load kvm and the vendor module (`modprobe kvm_intel` or `modprobe kvm_amd`)',
  },
  ENODEV: {
    meaning: 'the device node exists but no driver answers it: the kvm module is not loaded',
    hint: 'load kvm and the vendor module (`modprobe kvm_intel` or `modprobe kvm_amd`)',
  },
};

const SEV_OPEN: Record<string, Explanation> = {
  ENOENT: {
    meaning: 'there is no SEV device: the ccp driver found no SEV-capable PSP (SEV off in firmware, or ccp not loaded)',
    hint: 'enable SEV (and SNP) in the BIOS, then load ccp (`modprobe ccp`)',
  },
  EACCES: {
    meaning: 'the SEV device exists but this user may not open it (it is usually root-only)',
    hint: 'run as root, or give the user read access to /dev/sev',
  },
  EPERM: {
    meaning: 'opening the SEV device was refused by a security policy',
    hint: 'run as root, or allow the device for this container or service',
  },
};

/** Files, by what they are. Their read errors say something about the host, not about kvm-caps. */
const FILE_RULES: { pattern: RegExp; codes: Record<string, Explanation> }[] = [
  {
    pattern: /\/dev\/kmsg$/,
    codes: {
      EPERM: {
        meaning: 'reading the kernel log needs root or CAP_SYSLOG (kernel.dmesg_restrict is 1)',
        hint:
          'run as root, pass a saved log with --kernel-log FILE (`dmesg > ' +
          'log.txt`), or set kernel.dmesg_restrict=0',
      },
      EACCES: {
        meaning: 'this user may not read the kernel log',
        hint: 'run as root, or pass a saved log with --kernel-log FILE (`dmesg > log.txt`)',
      },
      ENOENT: { meaning: 'there is no /dev/kmsg under this root', hint: 'pass a saved log with --kernel-log FILE' },
    },
  },
  {
    pattern: /\/misc\.(capacity|current)$/,
    codes: {
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
    pattern: /\/tdx_host\/version$/,
    codes: {
      ENOENT: {
        meaning: 'this kernel has no TDX host device (before Linux 7.2, or TDX not initialised)',
        absence: true,
      },
      ENXIO: { meaning: 'the TDX module is not initialised' },
    },
  },
];

const BY_REQUEST: Record<string, Record<string, Explanation>> = {
  stat: {
    ENOENT: { meaning: 'the path does not exist' },
    EACCES: { meaning: 'a directory on the path may not be searched by this user' },
  },
  KVM_CREATE_VM: {
    EINVAL: { meaning: 'this kernel does not offer that VM type' },
    ENOMEM: { meaning: 'the kernel could not allocate a VM' },
    EMFILE: { meaning: 'this process has no free file descriptors', hint: 'raise `ulimit -n`' },
  },
  KVM_GET_DEVICE_ATTR: {
    ENXIO: { meaning: 'this kernel does not offer that attribute', absence: true },
    ENOTTY: { meaning: 'this kernel has no device attributes on /dev/kvm (KVM_CAP_SYS_ATTRIBUTES)' },
    EINVAL: { meaning: 'this kernel has no device attributes on /dev/kvm (KVM_CAP_SYS_ATTRIBUTES)' },
  },
  KVM_HAS_DEVICE_ATTR: {
    ENXIO: { meaning: 'this kernel does not offer that attribute', absence: true },
  },
  KVM_GET_MSR_FEATURE_INDEX_LIST: {
    EINVAL: { meaning: 'this kernel does not report feature MSRs (KVM_CAP_GET_MSR_FEATURES)' },
    ENOTTY: { meaning: 'this kernel does not report feature MSRs (KVM_CAP_GET_MSR_FEATURES)' },
  },
  KVM_GET_EMULATED_CPUID: {
    EINVAL: { meaning: 'this kernel does not report emulated CPUID (KVM_CAP_EXT_EMUL_CPUID)' },
    ENOTTY: { meaning: 'this kernel does not report emulated CPUID (KVM_CAP_EXT_EMUL_CPUID)' },
  },
  KVM_CHECK_EXTENSION: {
    EINVAL: { meaning: 'this kernel does not answer capability checks on a VM fd (KVM_CAP_CHECK_EXTENSION_VM)' },
    ENOTTY: { meaning: 'this kernel does not answer capability checks on a VM fd (KVM_CAP_CHECK_EXTENSION_VM)' },
  },
};

const BY_CODE: Record<string, Explanation> = {
  ENOENT: { meaning: 'not present on this host' },
  EACCES: { meaning: 'this user may not read it', hint: 'run as root' },
  EPERM: { meaning: 'the operation was refused by the kernel or a security policy', hint: 'run as root' },
  ENOTTY: { meaning: 'the kernel does not implement this request on this file descriptor' },
  EINVAL: { meaning: 'the kernel rejected the request as invalid for this host or kernel version' },
  ENXIO: { meaning: 'not offered by this kernel' },
  E2BIG: { meaning: 'the kernel kept asking for a larger buffer than kvm-caps allows' },
  EBADF: { meaning: 'the handle was already closed' },
  EFAULT: { meaning: 'the kernel could not access the request buffer' },
  EIO: { meaning: 'the device reported an I/O error' },
  EOVERFLOW: { meaning: 'the kernel answered with more entries than the buffer holds; the answer was refused' },
  EINTR: { meaning: 'a signal interrupted the request' },
};

function lookup(source: Source, error: ProbeError): Explanation | undefined {
  if ('file' in source || 'directory' in source) {
    const path = 'file' in source ? source.file : source.directory;
    return FILE_RULES.find((rule) => rule.pattern.test(path))?.codes[error.code];
  }
  if ('syscall' in source && source.syscall === 'open') {
    // The KVM device may be anywhere (--device); the SEV device is the one named sev.
    return (/\/sev$/.test(source.path) ? SEV_OPEN : DEVICE_OPEN)[error.code];
  }
  if ('syscall' in source && source.syscall === 'stat' && /\/sev$/.test(source.path) && error.code === 'ENOENT') {
    // The SEV section says what a missing /dev/sev means for this host.
    return { ...SEV_OPEN.ENOENT!, absence: true };
  }
  const key = error.request ?? ('syscall' in source ? source.syscall : error.syscall);
  // The requests that change kernel state are not repeated after a signal: native/errors.ts says what that leaves.
  const notRetried = NOT_RETRIED[key];
  if (error.code === 'EINTR' && notRetried !== undefined) return { meaning: notRetried, hint: 'run kvm-caps again' };
  return BY_REQUEST[key]?.[error.code];
}

export function explain(source: Source, error: ProbeError): Explained {
  const found = lookup(source, error) ?? BY_CODE[error.code];
  const explained: Explained = {
    code: error.code,
    errno: error.errno,
    message: error.message,
    meaning: found?.meaning ?? 'unexpected error',
  };
  if (found?.hint !== undefined) explained.hint = found.hint;
  if (found?.absence) explained.absence = true;
  return explained;
}

/** How a source is shown to a person: 'ioctl KVM_CHECK_EXTENSION on /dev/kvm', 'file /proc/cpuinfo'. */
export function describeSource(source: Source): string {
  if ('ioctl' in source) {
    const arg = source.arg === undefined ? '' : `(${source.arg})`;
    return `ioctl ${source.ioctl}${arg} on ${source.fd === 'vm' ? `a VM fd from ${source.path}` : source.path}`;
  }
  if ('file' in source) return `file ${source.file}`;
  if ('directory' in source) return `directory ${source.directory}`;
  return `${source.syscall} ${source.path}`;
}
