// A failed probe as decode hands it on: the error as the snapshot recorded it, typed, plus whether
// it is the kernel's way of saying "this host does not have it" (lib/knowledge/probe-failures.ts).
// No words: render says what it means (render/failure.ts), check what to do (check/failure-fixes.ts).
import { failureRow } from '../knowledge/probe-failures.js';
import type { ProbeError, Source } from '../snapshot/types.js';

export interface ProbeFailure {
  code: string;
  /** Negative errno, as in Node's errors. */
  errno: number;
  message: string;
  /**
   * The call the probe made: the source's own call for open, stat, pread, access and spawn sources
   * (the snapshot's `source.syscall`), else the error's ('ioctl', 'open' or 'read' of a file).
   */
  syscall: string;
  /** The ioctl request ('KVM_GET_DEVICE_ATTR'), for ioctls. */
  request?: string;
  /** What was read or asked: a file's or directory's contents, or a device node (open, stat, ioctl). */
  target: 'file' | 'directory' | 'device';
  /** The file, directory or device, as the snapshot names it. */
  path: string;
  /** TDX: kvm_tdx_cmd.hw_error as hex, where KVM returned one. */
  hwError?: string;
  /** SEV: the firmware status (SEV_RET_*); 0xffffffff: no firmware call. */
  firmwareError?: number;
  /** The kernel's way of saying "this host does not have it" (an attribute not offered, no misc cgroup): a fact. */
  absence?: true;
}

export function probeFailure(source: Source, error: ProbeError): ProbeFailure {
  const target = 'file' in source ? 'file' : 'directory' in source ? 'directory' : 'device';
  const path = 'file' in source ? source.file : 'directory' in source ? source.directory : source.path;
  const failure: ProbeFailure = {
    code: error.code,
    errno: error.errno,
    message: error.message,
    syscall: 'syscall' in source ? source.syscall : error.syscall,
    target,
    path,
  };
  if (error.request !== undefined) failure.request = error.request;
  if (error.hwError !== undefined) failure.hwError = error.hwError;
  if (error.firmwareError !== undefined) failure.firmwareError = error.firmwareError;
  if (failureRow(failure).absence) failure.absence = true;
  return failure;
}
