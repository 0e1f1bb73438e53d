// -o FILE: writing the one file the user asked for, and nothing else. kvm-caps runs as root,
// so the path may name anything, and the directory it is in may be writable by others:
//   -                       standard output
//   character device, FIFO  opened and written in place (never replaced: -o /dev/null stays
//                           a device); a FIFO nobody reads fails at once instead of waiting
//   socket                  this process's own standard output or error (-o /dev/stdout under
//                           systemd or a parent's socketpair): written to that descriptor;
//                           any other: tried in place, and open(2) refuses sockets (ENXIO)
//   block device, directory refused
//   symbolic link           followed: a file it names is replaced atomically (the link stays),
//                           a device or FIFO is written through it (-o /dev/stdout)
//   regular file, new path  a temporary sibling with an unpredictable name, created with
//                           O_CREAT|O_EXCL|O_NOFOLLOW (never through a planted link), with the
//                           old file's mode (and owner, where allowed), fsync'd, renamed over
//                           the target; removed on every failure
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileKind } from '../snapshot/bounded-read.js';

/** The -o file could not be written; the message names the path and why. */
export class OutputError extends Error {
  constructor(path: string, problem: string) {
    super(`cannot write ${path}: ${problem}`);
    this.name = 'OutputError';
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `data`, waiting out EAGAIN (a FIFO or terminal opened non-blocking). */
function writeAll(fd: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done, data.length - done);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(sleeper, 0, 0, 5);
    }
  }
}

/** "ENOSPC: no space left on device" from Node's "ENOSPC: no space left on device, write". */
function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.code !== 'string') return String((error as Error).message ?? error);
  return e.message.replace(/, \w+(?: '.*')?$/, '');
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** This process's standard output or error when `stats` is that very file (same device and inode), else null. */
function ownDescriptor(stats: Stats): number | null {
  for (const fd of [1, 2]) {
    try {
      const own = fstatSync(fd);
      if (own.dev === stats.dev && own.ino === stats.ino) return fd;
    } catch {
      // Closed: not this one.
    }
  }
  return null;
}

/** A device, FIFO or socket: opened as it is, without O_CREAT or O_TRUNC, and written. */
function writeInPlace(shown: string, path: string, data: Buffer, stats: Stats): void {
  // A socket cannot be opened by its /proc/self/fd path; when it is our own stdout or stderr, the descriptor we
  // already hold is the file that was asked for.
  const own = stats.isSocket() ? ownDescriptor(stats) : null;
  if (own !== null) {
    try {
      writeAll(own, data);
    } catch (error) {
      throw new OutputError(shown, reason(error));
    }
    return;
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of waiting for one.
    fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' && stats.isFIFO()) throw new OutputError(shown, 'a FIFO that no process is reading (ENXIO)');
    if (code === 'ENXIO' && stats.isSocket())
      throw new OutputError(shown, 'a socket, which cannot be opened as a file (ENXIO)');
    throw new OutputError(shown, reason(error));
  }
  try {
    // The node checked is the node opened (it could have been swapped in between).
    const opened = fstatSync(fd);
    if (opened.dev !== stats.dev || opened.ino !== stats.ino)
      throw new OutputError(shown, 'it changed while being opened');
    writeAll(fd, data);
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw new OutputError(shown, reason(error));
  } finally {
    closeSync(fd);
  }
}

/** 16 random hex digits (the Web Crypto global: loaded only when -o writes a file, not at start-up). */
function randomHex(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(8))).toString('hex');
}

const EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes a hidden sibling of `target` and renames it over `target`: a reader sees the old file or the new one. */
function replaceAtomically(shown: string, target: string, data: Buffer, old: Stats | null): void {
  const directory = dirname(target);
  let temporary = '';
  let fd: number | undefined;
  try {
    for (let attempt = 0; fd === undefined; attempt++) {
      temporary = join(directory, `.${basename(target)}.${randomHex()}.tmp`);
      try {
        // Private until written when it replaces a file (whose mode it then takes); a new file is 0644 less the umask.
        fd = openSync(temporary, EXCLUSIVE, old === null ? 0o644 : 0o600);
      } catch (error) {
        // Someone made that name first: take another (16 hex digits make it rare).
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 8) {
          temporary = '';
          throw error;
        }
      }
    }
    writeAll(fd, data);
    // The replaced file's mode and owner.
    if (old !== null) {
      fchmodSync(fd, old.mode & 0o7777);
      const self = fstatSync(fd);
      if (self.uid !== old.uid || self.gid !== old.gid) {
        try {
          fchownSync(fd, old.uid, old.gid);
        } catch {
          // Not root: the new file is this user's, as after any editor's save.
        }
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
    temporary = '';
  } catch (error) {
    throw new OutputError(shown, reason(error));
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (temporary !== '') {
      try {
        unlinkSync(temporary);
      } catch {
        // Already gone; nothing else to undo.
      }
    }
  }
}

/**
 * The kernel's fs.protected_symlinks rule, applied whatever the sysctl says: a link in a
 * sticky, world-writable directory (/tmp) is followed only when it belongs to this user or
 * to the directory's owner. Another user's link there is how root is made to overwrite a
 * file of that user's choosing.
 */
function refusePlantedLink(shown: string, link: string, stats: Stats): void {
  const directory = lstatSync(dirname(link));
  const shared = (directory.mode & 0o1002) === 0o1002;
  const self = process.geteuid?.() ?? -1;
  if (shared && stats.uid !== self && stats.uid !== directory.uid) {
    throw new OutputError(
      shown,
      `a symbolic link owned by uid ${stats.uid} in the shared directory ${dirname(link)}; kvm-caps does not ` +
        `follow another user's link there`,
    );
  }
}

/** Writes `text` to the -o path (not '-': the caller writes that to standard output). */
export function writeOutputFile(path: string, text: string): void {
  const data = Buffer.from(text, 'utf8');
  let target = resolve(path);
  let stats: Stats | null;
  try {
    stats = lstatOrNull(target);
    if (stats?.isSymbolicLink()) {
      refusePlantedLink(path, target, stats);
      // What the link leads to. A link to nothing is refused: creating a file wherever a
      // link points is how a planted link redirects a root process.
      let followed: Stats;
      try {
        followed = statSync(target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new OutputError(path, `a symbolic link to ${readlinkSync(target)}, which does not exist`);
        }
        throw error;
      }
      if (followed.isFile()) {
        // The link stays; the file it names is replaced.
        target = realpathSync(target);
        stats = lstatSync(target);
      } else {
        // A device, FIFO or socket is opened through the link, which also works where no path
        // names the file (/dev/stdout -> /proc/self/fd/1 -> a pipe).
        stats = followed;
      }
    }
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw new OutputError(path, reason(error));
  }
  if (stats === null || stats.isFile()) {
    replaceAtomically(path, target, data, stats);
    return;
  }
  if (stats.isDirectory()) throw new OutputError(path, 'a directory; -o needs a file name');
  if (stats.isBlockDevice()) throw new OutputError(path, 'a block device; kvm-caps does not write to disks');
  if (stats.isCharacterDevice() || stats.isFIFO() || stats.isSocket()) {
    writeInPlace(path, target, data, stats);
    return;
  }
  throw new OutputError(path, `${fileKind(stats)}, which kvm-caps does not write to`);
}
