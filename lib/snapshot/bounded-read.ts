// Reading an input file with a bound on its size. kvm-caps runs as root on production hosts,
// and a path it is given may name anything: /dev/zero (endless), a FIFO nobody writes to (a
// read that never returns), a 300 MB file. Every file kvm-caps reads goes through here:
// opened without blocking, checked with fstat on the open fd (so the checked file is the one
// read), and never read past its bound.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { constants as os } from 'node:os';

export const MiB = 1024 * 1024;

/** What to do with more than the bound: refuse the input, or keep its newest (last) bytes. */
export type Overflow = 'refuse' | 'newest';

export interface BoundedRead {
  bytes: Buffer;
  /** The input's size in bytes: fstat's for a regular file, else what was read (at least `bytes.length`). */
  size: number;
  /** True when only the newest part was kept ('newest'). */
  cut: boolean;
}

/**
 * A failure shaped like Node's fs errors ({ code, errno, syscall, path }), so a host file
 * that is not a regular file, or too large, becomes a recorded failure of its fact.
 */
export class InputFileError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path: string;
  /** The message without the code and path: what is wrong with the file. */
  readonly detail: string;
  /** The input's size and the bound, for a file refused as too large. */
  readonly size?: number;
  readonly limit?: number;
  constructor(
    code: 'EFBIG' | 'EINVAL',
    syscall: string,
    path: string,
    message: string,
    sizes?: { size: number; limit: number },
  ) {
    super(`${code}: ${message}, ${syscall} '${path}'`);
    this.name = 'InputFileError';
    this.code = code;
    this.errno = -os.errno[code];
    this.syscall = syscall;
    this.path = path;
    this.detail = message;
    if (sizes !== undefined) {
      this.size = sizes.size;
      this.limit = sizes.limit;
    }
  }
}

/** What kind of file a stat describes, in words for an error message. */
export function fileKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** "1048577 bytes" with MiB where it helps a person read it. */
export function sizeText(bytes: number): string {
  return bytes >= MiB ? `${bytes} bytes (${(bytes / MiB).toFixed(1)} MiB)` : `${bytes} bytes`;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** read(2) that waits out EAGAIN (standard input may be a non-blocking pipe shared with the parent). */
function readSome(fd: number, buffer: Buffer, offset: number, position: number | null): number {
  for (;;) {
    try {
      return readSync(fd, buffer, offset, buffer.length - offset, position);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(sleeper, 0, 0, 5);
    }
  }
}

const CHUNK = MiB;

/**
 * Reads at most `limit` bytes from `fd`, from `position` on (null: the current offset), into
 * buffers of `first` bytes, then CHUNK: most files kvm-caps reads (procfs, sysfs) are a line.
 * With 'refuse', returns `limit + 1` bytes at most, so the caller sees that there was more;
 * with 'newest', at least the last `limit` bytes.
 */
function readFrom(
  fd: number,
  limit: number,
  overflow: Overflow,
  position: number | null,
  first: number,
): { chunks: Buffer[]; total: number } {
  const chunks: Buffer[] = [];
  let buffer = Buffer.allocUnsafe(first);
  let used = 0;
  let kept = 0; // in `chunks`
  let total = 0;
  for (;;) {
    if (used === buffer.length) {
      chunks.push(buffer);
      kept += used;
      // 'newest': drop whole buffers that fall outside the last `limit` bytes.
      while (overflow === 'newest' && chunks.length > 1 && kept - chunks[0]!.length >= limit)
        kept -= chunks.shift()!.length;
      buffer = Buffer.allocUnsafe(CHUNK);
      used = 0;
    }
    const n = readSome(fd, buffer, used, position === null ? null : position + total);
    if (n === 0) break;
    used += n;
    total += n;
    if (overflow === 'refuse' && total > limit) break;
  }
  if (used > 0) chunks.push(buffer.subarray(0, used));
  return { chunks, total };
}

/**
 * Reads `path` (or standard input for '-', when `stdin` is true): only a regular file (any
 * standard input), at most `limit` bytes. Over the bound, 'refuse' throws InputFileError
 * (EFBIG) with both sizes; 'newest' keeps the last `limit` bytes. A FIFO, device, socket or
 * directory throws InputFileError (EINVAL) naming what it is; open(2) failures are Node's.
 */
export function readBounded(
  path: string,
  limit: number,
  overflow: Overflow,
  options: { stdin?: boolean } = {},
): BoundedRead {
  const fromStdin = path === '-' && options.stdin === true;
  // O_NONBLOCK: opening a FIFO for reading then returns at once instead of waiting for a writer.
  const fd = fromStdin ? 0 : openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stats = fstatSync(fd);
    const name = fromStdin ? 'standard input' : path;
    if (stats.isDirectory()) throw new InputFileError('EINVAL', 'read', name, 'a directory, not a file');
    if (!fromStdin && !stats.isFile()) {
      throw new InputFileError(
        'EINVAL',
        'fstat',
        name,
        `${fileKind(stats)}, not a regular file: only regular files (or - for standard input) are read`,
      );
    }
    // A regular file larger than the bound: refused unread, or read from where its last `limit` bytes start.
    if (stats.isFile() && stats.size > limit) {
      if (overflow === 'refuse') throw tooLarge(name, stats.size, limit);
      const { chunks } = readFrom(fd, limit, 'refuse', stats.size - limit, Math.min(limit + 1, CHUNK));
      return { bytes: Buffer.concat(chunks).subarray(0, limit), size: stats.size, cut: true };
    }
    // Otherwise read to the end (procfs files have no size; a file may grow).
    // A regular file's size (plus one byte, to see the end) where it has one; procfs and sysfs files say 0 or 4096.
    const first = stats.isFile() && stats.size > 0 ? Math.min(stats.size + 1, limit + 1, CHUNK) : 64 * 1024;
    const { chunks, total } = readFrom(fd, limit, overflow, null, first);
    const size = Math.max(total, stats.isFile() ? stats.size : 0);
    if (total > limit) {
      if (overflow === 'refuse') throw tooLarge(name, size, limit, !stats.isFile() || total > stats.size);
      const all = Buffer.concat(chunks);
      return { bytes: all.subarray(all.length - limit), size, cut: true };
    }
    return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), size, cut: false };
  } finally {
    if (!fromStdin) closeSync(fd);
  }
}

function tooLarge(name: string, size: number, limit: number, atLeast = false): InputFileError {
  const what = atLeast
    ? `more than the ${sizeText(limit)} kvm-caps reads`
    : `${sizeText(size)}, over the ${sizeText(limit)} kvm-caps reads`;
  return new InputFileError('EFBIG', 'read', name, what, { size, limit });
}

/** UTF-8 text; a leading byte-order mark (which some editors write) is not part of it. */
export function utf8Text(bytes: Buffer): string {
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', bom ? 3 : 0);
}
