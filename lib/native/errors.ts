// Node-style errors for failed system calls, shaped like Node's own fs errors
// ({ code, errno, syscall, path }) plus the ioctl request's name. The addon receives
// makeSystemError at load time and builds every failure through it.
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { notRetriedMeaning } from '../knowledge/probe-failures.js';

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
  const meaning = notRetriedMeaning(errno, request);
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
