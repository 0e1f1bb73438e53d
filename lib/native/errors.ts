// Node-style errors for failed system calls, shaped like Node's own fs errors
// ({ code, errno, syscall, path }) plus the ioctl request's name. The addon receives
// makeSystemError at load time and builds every failure through it.
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

export interface KvmSystemError extends Error {
  /** Symbolic errno name, e.g. 'ENOENT'. */
  code: string;
  /** Negative errno, as in Node's own errors. */
  errno: number;
  syscall: string;
  /** The ioctl request's name, e.g. 'KVM_CHECK_EXTENSION'; absent for open(). */
  request?: string;
  path: string;
  /** TDX requests: kvm_tdx_cmd.hw_error, the TDX module's status. */
  hwError?: bigint;
  /** SEV requests: the firmware status (SEV_RET_*); 0xffffffff when no firmware call was made. */
  firmwareError?: number;
}

/** Fields a request adds to its error: the TDX or SEV firmware status. */
export type SystemErrorExtra = Pick<KvmSystemError, 'hwError' | 'firmwareError'>;

// Looked up on the first error, not at load: most runs of the command never need them.
let uvErrors: ReturnType<typeof getSystemErrorMap> | undefined;
let osNames: Map<number, string> | undefined;

/** The symbolic name of a positive errno ('E2BIG'), or 'Unknown system error N'. */
export function errnoName(errno: number): string {
  uvErrors ??= getSystemErrorMap();
  const name = uvErrors.get(-errno)?.[0];
  if (name !== undefined) return name;
  // libuv's map names most errnos; os.constants has the ones it leaves out (ETIME, ...).
  osNames ??= new Map(Object.entries(constants.errno).map(([n, value]) => [value, n]));
  return osNames.get(errno) ?? `Unknown system error ${errno}`;
}

/** Node's short description of a positive errno ('no such file or directory'). */
export function errnoDescription(errno: number): string {
  uvErrors ??= getSystemErrorMap();
  return uvErrors.get(-errno)?.[1] ?? errnoName(errno);
}

const EINTR = 4;

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

/** Builds the error for a failed system call; `errno` is positive, as the kernel returns it. */
export function makeSystemError(
  errno: number,
  syscall: string,
  request: string | undefined,
  path: string,
  extra?: SystemErrorExtra,
): KvmSystemError {
  const code = errnoName(errno);
  const what = request === undefined ? syscall : `${syscall} ${request}`;
  const meaning = errno === EINTR && request !== undefined ? NOT_RETRIED[request] : undefined;
  const error = new Error(
    `${code}: ${errnoDescription(errno)}, ${what} '${path}'${meaning === undefined ? '' : `: ${meaning}`}`,
  ) as KvmSystemError;
  error.code = code;
  error.errno = -errno;
  error.syscall = syscall;
  if (request !== undefined) error.request = request;
  error.path = path;
  if (extra?.hwError !== undefined) error.hwError = extra.hwError;
  if (extra?.firmwareError !== undefined) error.firmwareError = extra.firmwareError;
  return error;
}

/** True for an error produced by makeSystemError (or Node's own fs errors). */
export function isSystemError(value: unknown): value is KvmSystemError {
  return (
    value instanceof Error &&
    typeof (value as Partial<KvmSystemError>).code === 'string' &&
    typeof (value as Partial<KvmSystemError>).errno === 'number' &&
    typeof (value as Partial<KvmSystemError>).syscall === 'string'
  );
}
