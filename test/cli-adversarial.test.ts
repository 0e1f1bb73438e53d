// The command as an adversarial user would run it, as root: -o onto device nodes, FIFOs,
// sockets, symlinks, directories, read-only and sticky directories; inputs that are endless
// devices, FIFOs nobody writes to, sparse giants, standard input; a --root full of traps;
// snapshots the schema refuses; mistyped command lines. Everything happens in a scratch
// directory (device nodes made there with mknod, FIFOs with mkfifo), and each case asserts the
// file system afterwards, the exit code and the message. A case that could run unbounded runs
// in a child with a time limit; the rest call main() in this process.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
  constants,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { COMMANDS } from '../lib/cli/main.js';
import { usageFor, WIDTH } from '../lib/cli/help.js';
import { buildReport } from '../lib/render/report.js';
import { REPORT_SCHEMA, SNAPSHOT_SCHEMA } from '../lib/render/schemas.js';
import { kernelLogFromFile, MAX_LOG_BYTES } from '../lib/snapshot/kernel-log.js';
import { MAX_SNAPSHOT_BYTES, validateSnapshot } from '../lib/snapshot/load.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { cliEntry, runMain } from './helpers/cli.js';
import { skipUnless } from './helpers/requirements.js';
import { projectRoot } from './helpers/compile.js';
import { fixturePath } from './helpers/fixtures.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
const snapshotSchema = ajv.compile(SNAPSHOT_SCHEMA);
const reportSchema = ajv.compile(REPORT_SCHEMA);

const scratch = mkdtempSync(join(tmpdir(), 'kvm-caps-cli-adversarial-'));
chmodSync(scratch, 0o755); // the unprivileged child must reach its directories
after(() => rmSync(scratch, { recursive: true, force: true }));

// mknod, chown and a second, unprivileged user need root: without it those cases skip with the reason.
const needsRoot = skipUnless('root') || undefined;
const isRoot = needsRoot === undefined;

/** A fixture whose replay exits 0. */
const FIXTURE = fixturePath('tdx-host');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** main() in this process, its output captured. */
const run = (args: string[]): Promise<Result> => runMain(args);

/** tsx by its path: a child may run in a directory of its own. */
const TSX = pathToFileURL(join(projectRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** The command in a child process that must finish within `seconds`. */
function spawnRun(args: string[], options: SpawnSyncOptions = {}, seconds = 30): Result {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', TSX, cliEntry, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: seconds * 1000,
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  assert.notEqual(error?.code, 'ETIMEDOUT', `kvm-caps ${args.join(' ')} did not finish in ${seconds} s`);
  assert.equal(
    result.signal,
    null,
    `kvm-caps ${args.join(' ')} was killed by ${result.signal} after ${Date.now() - started} ms`,
  );
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

let counter = 0;
/** A fresh directory in the scratch directory. */
function freshDir(name: string, mode = 0o755): string {
  const dir = join(scratch, `${name}-${++counter}`);
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}

function mknod(path: string, type: 'c' | 'b', major: number, minor: number): void {
  execFileSync('mknod', [path, type, String(major), String(minor)]);
}

/** Files the -o writer may have left behind. */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

const nobody = isRoot
  ? {
      uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
    }
  : undefined;

const report = run(['--from', FIXTURE]).then((r) => {
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
});

// ------------------------------------------------------------------ -o

describe('-o FILE writes only what it was asked to, the way it was asked', () => {
  test('-o - is standard output; no file named "-" appears', async () => {
    const before = existsSync(join(process.cwd(), '-'));
    const result = await run(['--from', FIXTURE, '-o', '-']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, await report);
    assert.equal(existsSync(join(process.cwd(), '-')), before);
    const cwd = freshDir('dash');
    const child = spawnRun(['--from', FIXTURE, '-o', '-'], { cwd });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, await report);
    assert.deepEqual(readdirSync(cwd), []);
  });

  test('a regular file is replaced atomically, keeping its mode and owner; no temporary file is left', {
    skip: needsRoot,
  }, async () => {
    const dir = freshDir('regular');
    const target = join(dir, 'report.txt');
    writeFileSync(target, 'old');
    chmodSync(target, 0o640);
    chownSync(target, nobody!.uid, nobody!.gid);
    const inode = statSync(target).ino;
    const result = await run(['--from', FIXTURE, '-o', target]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(readFileSync(target, 'utf8'), await report);
    const after = statSync(target);
    assert.notEqual(after.ino, inode, 'a new file was renamed over the old one');
    assert.equal(after.mode & 0o7777, 0o640);
    assert.deepEqual([after.uid, after.gid], [nobody!.uid, nobody!.gid]);
    // A read-only file (0444) is replaced the same way, and stays read-only.
    chmodSync(target, 0o444);
    const check = await run(['check', 'kvm', '--from', FIXTURE, '-o', target]);
    assert.equal(check.stderr, '');
    assert.equal(statSync(target).mode & 0o7777, 0o444);
    assert.match(readFileSync(target, 'utf8'), /KVM/);
    assert.deepEqual(leftovers(dir), []);
  });

  test('a new file is created (0644 less the umask)', async () => {
    const dir = freshDir('new');
    const target = join(dir, 'new.txt');
    const result = await run(['--from', FIXTURE, '-o', target]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(target, 'utf8'), await report);
    assert.equal(statSync(target).mode & 0o7777 & ~0o644, 0);
    assert.deepEqual(readdirSync(dir), ['new.txt']);
  });

  test('a character device is written in place and stays a device (a /dev/null-like node)', {
    skip: needsRoot,
  }, async () => {
    const dir = freshDir('chardev');
    const node = join(dir, 'null');
    mknod(node, 'c', 1, 3);
    const before = lstatSync(node);
    const result = await run(['--from', FIXTURE, '-o', node]);
    assert.equal(result.status, 0, result.stderr);
    const after = lstatSync(node);
    assert.ok(after.isCharacterDevice(), 'still a character device');
    assert.deepEqual([after.ino, after.rdev], [before.ino, before.rdev]);
    assert.deepEqual(readdirSync(dir), ['null']);
  });

  test('a full device (a /dev/full-like node): exit 4 naming the path and ENOSPC, the node untouched', {
    skip: needsRoot,
  }, async () => {
    const dir = freshDir('full');
    const node = join(dir, 'full');
    mknod(node, 'c', 1, 7);
    const result = await run(['--from', FIXTURE, '-o', node]);
    assert.equal(result.status, 4);
    assert.equal(result.stderr, `kvm-caps: cannot write ${node}: ENOSPC: no space left on device\n`);
    assert.ok(lstatSync(node).isCharacterDevice());
    assert.deepEqual(readdirSync(dir), ['full']);
  });

  test('a block device is refused (exit 4), never written or replaced', { skip: needsRoot }, async () => {
    const dir = freshDir('block');
    const node = join(dir, 'ram0');
    mknod(node, 'b', 1, 0);
    const result = await run(['--from', FIXTURE, '-o', node]);
    assert.equal(result.status, 4);
    assert.match(result.stderr, new RegExp(`^kvm-caps: cannot write ${node}: a block device`));
    assert.ok(lstatSync(node).isBlockDevice());
    assert.deepEqual(readdirSync(dir), ['ram0']);
  });

  test('a FIFO with a reader is written in place and stays a FIFO', async () => {
    const dir = freshDir('fifo-read');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // This process is the reader: opened non-blocking, it exists before the writer opens.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const result = await run(['--from', FIXTURE, '-o', fifo]);
      assert.equal(result.status, 0, result.stderr);
      const buffer = Buffer.alloc(1024 * 1024);
      const n = readSync(reader, buffer);
      assert.equal(buffer.toString('utf8', 0, n), await report);
    } finally {
      closeSync(reader);
    }
    assert.ok(lstatSync(fifo).isFIFO());
    assert.deepEqual(readdirSync(dir), ['fifo']);
  });

  test('a FIFO nobody reads: exit 4 at once (ENXIO), not a wait for a reader', () => {
    const dir = freshDir('fifo-noreader');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const result = spawnRun(['--from', FIXTURE, '-o', fifo], {}, 20);
    assert.equal(result.status, 4, result.stderr);
    assert.equal(result.stderr, `kvm-caps: cannot write ${fifo}: a FIFO that no process is reading (ENXIO)\n`);
    assert.ok(lstatSync(fifo).isFIFO());
    assert.deepEqual(readdirSync(dir), ['fifo']);
  });

  test('a socket is not replaced: exit 4 (open(2) refuses sockets)', async () => {
    const dir = freshDir('socket');
    const path = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const result = await run(['--from', FIXTURE, '-o', path]);
      assert.equal(result.status, 4);
      assert.equal(
        result.stderr,
        `kvm-caps: cannot write ${path}: a socket, which cannot be opened as a file (ENXIO)\n`,
      );
      assert.ok(lstatSync(path).isSocket());
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a symlink stays a link; its target is replaced atomically with its mode; a link to a device writes the ' +
    'device', { skip: needsRoot }, async () => {
    const dir = freshDir('symlink');
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'old');
    chmodSync(target, 0o600);
    const link = join(dir, 'link');
    symlinkSync('target.txt', link);
    const result = await run(['--from', FIXTURE, '-o', link]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
    assert.equal(readlinkSync(link), 'target.txt');
    assert.equal(readFileSync(target, 'utf8'), await report);
    assert.equal(statSync(target).mode & 0o7777, 0o600);
    // A chain of links to a character device.
    const node = join(dir, 'null');
    mknod(node, 'c', 1, 3);
    symlinkSync('null', join(dir, 'to-null'));
    symlinkSync('to-null', join(dir, 'to-to-null'));
    assert.equal((await run(['--from', FIXTURE, '-o', join(dir, 'to-to-null')])).status, 0);
    assert.ok(lstatSync(node).isCharacterDevice());
    assert.ok(lstatSync(join(dir, 'to-to-null')).isSymbolicLink());
    assert.deepEqual(leftovers(dir), []);
  });

  test('a link to /proc/self/fd/1 (as /dev/stdout is) writes through to the pipe behind it; the link stays', () => {
    const dir = freshDir('stdout-link');
    const link = join(dir, 'stdout');
    symlinkSync('/proc/self/fd/1', link);
    // A shell pipe (pipe(2)), as in `kvm-caps -o /dev/stdout | less`.
    const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, '--import', TSX, cliEntry, '--from', FIXTURE, '-o', link].map(quote).join(' ');
    const result = spawnSync('sh', ['-c', `${command} | cat`], { cwd: projectRoot, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    return report.then((text) => {
      assert.equal(result.stdout, text);
      assert.equal(readlinkSync(link), '/proc/self/fd/1');
      assert.deepEqual(readdirSync(dir), ['stdout']);
    });
  });

  test("-o /dev/stdout when standard output is a socket (systemd, a parent's socketpair) writes to it", () => {
    const dir = freshDir('stdout-socket');
    const link = join(dir, 'stdout');
    symlinkSync('/proc/self/fd/1', link);
    // Node gives a child's piped stdout as one end of a socketpair(2), as systemd gives a service a socket to
    // journald: open(2) on /proc/self/fd/1 fails there with ENXIO.
    const result = spawnSync(process.execPath, ['--import', TSX, cliEntry, '--from', FIXTURE, '-o', link], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    return report.then((text) => {
      assert.equal(result.stdout, text);
      assert.deepEqual(readdirSync(dir), ['stdout']);
    });
  });

  test('a link to nothing is refused (exit 4): no file is created where it points', async () => {
    const dir = freshDir('dangling');
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'nowhere.txt'), link);
    const result = await run(['--from', FIXTURE, '-o', link]);
    assert.equal(result.status, 4);
    assert.equal(
      result.stderr,
      `kvm-caps: cannot write ${link}: a symbolic link to ${join(dir, 'nowhere.txt')}, which does not exist\n`,
    );
    assert.deepEqual(readdirSync(dir), ['link']);
  });

  test('a directory, and a path in a missing directory: exit 4 naming the path', async () => {
    const dir = freshDir('directory');
    const inner = join(dir, 'inner');
    mkdirSync(inner);
    const result = await run(['--from', FIXTURE, '-o', inner]);
    assert.equal(result.status, 4);
    assert.equal(result.stderr, `kvm-caps: cannot write ${inner}: a directory; -o needs a file name\n`);
    assert.ok(statSync(inner).isDirectory());
    assert.deepEqual(readdirSync(inner), []);
    const missing = join(dir, 'no-such-dir', 'x.txt');
    const second = await run(['--from', FIXTURE, '-o', missing]);
    assert.equal(second.status, 4);
    assert.equal(second.stderr, `kvm-caps: cannot write ${missing}: ENOENT: no such file or directory\n`);
    assert.deepEqual(readdirSync(dir), ['inner']);
  });

  test('a read-only directory, for an unprivileged user: exit 4 (EACCES), nothing created', { skip: needsRoot }, () => {
    const dir = freshDir('readonly', 0o555);
    const target = join(dir, 'out.txt');
    const result = spawnRun(['--from', FIXTURE, '-o', target], { uid: nobody!.uid, gid: nobody!.gid });
    assert.equal(result.status, 4, result.stderr);
    assert.equal(result.stderr, `kvm-caps: cannot write ${target}: EACCES: permission denied\n`);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a sticky shared directory with links an unprivileged user planted: root overwrites nothing of theirs ' +
    'choosing', { skip: needsRoot }, async () => {
    const sticky = freshDir('sticky', 0o1777);
    const vault = freshDir('vault', 0o700);
    const secret = join(vault, 'secret');
    writeFileSync(secret, 'SECRET', { mode: 0o600 });
    // The unprivileged user plants a link under the name the temporary file used to have
    // (.NAME.PID.tmp; this process runs main()), and one under the -o name itself.
    const plant = (name: string): void => {
      const r = spawnSync('ln', ['-s', secret, join(sticky, name)], {
        uid: nobody!.uid,
        gid: nobody!.gid,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
    };
    plant(`.out.txt.${process.pid}.tmp`);
    plant('planted.txt');
    const result = await run(['--from', FIXTURE, '-o', join(sticky, 'out.txt')]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(secret, 'utf8'), 'SECRET');
    assert.equal(statSync(secret).mode & 0o7777, 0o600);
    assert.ok(lstatSync(join(sticky, 'out.txt')).isFile());
    assert.equal(readFileSync(join(sticky, 'out.txt'), 'utf8'), await report);
    assert.ok(
      lstatSync(join(sticky, `.out.txt.${process.pid}.tmp`)).isSymbolicLink(),
      'their link is theirs to remove',
    );
    // -o naming their link: refused, as fs.protected_symlinks=1 would (whatever the sysctl says).
    const planted = join(sticky, 'planted.txt');
    const refused = await run(['--from', FIXTURE, '-o', planted]);
    assert.equal(refused.status, 4);
    assert.equal(
      refused.stderr,
      `kvm-caps: cannot write ${planted}: a symbolic link owned by uid ${nobody!.uid} in the shared ` +
        `directory ${sticky}; kvm-caps does not follow another user's link there\n`,
    );
    assert.equal(readFileSync(secret, 'utf8'), 'SECRET');
    assert.ok(lstatSync(planted).isSymbolicLink());
    assert.deepEqual(readdirSync(sticky).sort(), [`.out.txt.${process.pid}.tmp`, 'out.txt', 'planted.txt'].sort());
  });
});

// ------------------------------------------------------------------ inputs

describe('every input is bounded, regular (or standard input), and never blocks', () => {
  test('--from and --td-config on an endless device (a /dev/zero-like node): exit 4 at once, naming the path', {
    skip: needsRoot,
  }, () => {
    const dir = freshDir('zero');
    const zero = join(dir, 'zero');
    mknod(zero, 'c', 1, 5);
    const from = spawnRun(['--from', zero], {}, 20);
    assert.equal(from.status, 4);
    assert.equal(
      from.stderr,
      `kvm-caps: ${zero}: cannot read the snapshot: a character device, not a regular file: only regular ` +
        `files (or - for standard input) are read\n`,
    );
    const td = spawnRun(['tdx', '--deep', '--td-config', zero], {}, 20);
    assert.equal(td.status, 4);
    assert.match(
      td.stderr,
      new RegExp(`^kvm-caps: ${zero}: cannot read the TD configuration \\(a character device, not a regular file`),
    );
    assert.ok(lstatSync(zero).isCharacterDevice());
  });

  test('--from, --kernel-log and --td-config on a FIFO nobody writes to: exit 4 at once', () => {
    const dir = freshDir('fifo-in');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const from = spawnRun(['--from', fifo], {}, 20);
    assert.equal(from.status, 4);
    assert.match(from.stderr, new RegExp(`^kvm-caps: ${fifo}: cannot read the snapshot: a FIFO, not a regular file`));
    const log = spawnRun(['--from', FIXTURE, '--kernel-log', fifo], {}, 20);
    assert.equal(log.status, 4);
    assert.match(
      log.stderr,
      new RegExp(`^kvm-caps: cannot read the kernel log ${fifo}: EINVAL: a FIFO, not a regular file`),
    );
    const td = spawnRun(['tdx', '--deep', '--td-config', fifo], {}, 20);
    assert.equal(td.status, 4);
    assert.match(td.stderr, /a FIFO, not a regular file/);
    assert.ok(lstatSync(fifo).isFIFO());
  });

  test(
    'a --from file over the bound (300 MiB, sparse) is refused unread: exit 4 with both sizes, in well under a ' +
      'second',
    async () => {
      const file = join(freshDir('huge'), 'huge.json');
      const fd = openSync(file, 'w');
      ftruncateSync(fd, 300 * 1024 * 1024);
      closeSync(fd);
      const started = Date.now();
      const result = await run(['--from', file]);
      assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
      assert.equal(result.status, 4);
      assert.equal(
        result.stderr,
        `kvm-caps: ${file}: cannot read the snapshot: 314572800 bytes (300.0 MiB), over the ` +
          `${MAX_SNAPSHOT_BYTES} bytes (64.0 MiB) kvm-caps reads\n`,
      );
      const td = await run(['tdx', '--deep', '--td-config', file]);
      assert.equal(td.status, 4);
      assert.match(
        td.stderr,
        new RegExp(
          String.raw`cannot read the TD configuration \(314572800 bytes \(300\.0 MiB\), over the ` +
            String.raw`1048576 bytes \(1\.0 MiB\) kvm-caps reads\)`,
        ),
      );
    },
  );

  test('--from - reads standard input; an endless standard input is cut at the bound: exit 4', {
    skip: needsRoot,
  }, () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const piped = spawnRun(['--from', '-'], { input: text });
    assert.equal(piped.status, 0, piped.stderr);
    assert.match(piped.stdout, /host report \(from standard input/);
    const zero = join(freshDir('stdin-zero'), 'zero');
    mknod(zero, 'c', 1, 5);
    const fd = openSync(zero, 'r');
    try {
      const endless = spawnRun(['--from', '-'], { stdio: [fd, 'pipe', 'pipe'] }, 30);
      assert.equal(endless.status, 4);
      assert.equal(
        endless.stderr,
        `kvm-caps: standard input: cannot read the snapshot: more than the ${MAX_SNAPSHOT_BYTES} bytes (64.0 ` +
          `MiB) kvm-caps reads\n`,
      );
    } finally {
      closeSync(fd);
    }
  });

  test('a UTF-8 byte-order mark is accepted (--from, --td-config, --kernel-log)', async () => {
    const dir = freshDir('bom');
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\ufeff${readFileSync(FIXTURE, 'utf8')}`);
    const result = await run(['--from', file]);
    assert.equal(result.status, 0, result.stderr);
    const log = join(dir, 'bom.log');
    writeFileSync(log, '\ufeff[    1.000000] kvm: first line after a BOM\n');
    const fact = kernelLogFromFile(log);
    assert.ok('value' in fact);
    assert.equal(fact.value[0]?.message, 'kvm: first line after a BOM');
    assert.equal(fact.value[0]?.timestampUs, 1_000_000);
  });

  test('--kernel-log: a missing file is exit 4; one over the bound keeps its newest part and says so', async () => {
    const dir = freshDir('kernel-log');
    const missing = join(dir, 'missing.log');
    const absent = await run(['--from', FIXTURE, '--kernel-log', missing]);
    assert.equal(absent.status, 4);
    assert.equal(absent.stderr, `kvm-caps: cannot read the kernel log ${missing}: ENOENT: no such file or directory\n`);
    // The oldest line, 65 MiB of zeros (sparse), then the newest lines.
    const big = join(dir, 'big.log');
    writeFileSync(big, '[    0.100000] kvm: the OLDEST line\n');
    const fd = openSync(big, 'r+');
    ftruncateSync(fd, MAX_LOG_BYTES + 1024 * 1024);
    const tail = Buffer.from('\n[    9.000000] kvm: the NEWEST line\n[    9.500000] tdx: the last line\n');
    writeSync(fd, tail, 0, tail.length, MAX_LOG_BYTES + 1024 * 1024);
    closeSync(fd);
    const size = statSync(big).size;
    const started = Date.now();
    const fact = kernelLogFromFile(big);
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    assert.ok('value' in fact, JSON.stringify(fact));
    assert.deepEqual(
      fact.value.map((r) => r.message),
      ['kvm: the NEWEST line', 'tdx: the last line'],
    );
    assert.deepEqual(fact.cut, { size, kept: tail.length - 1 });
    const result = await run(['--from', FIXTURE, '--kernel-log', big]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stderr,
      `kvm-caps: note: the kernel log ${big} is ${size} bytes (65.0 MiB); only its newest ${tail.length - 1} ` +
        `bytes were read\n`,
    );
    // --kernel-log - : standard input, through a pipe (no size to seek by): the newest part too.
    const filler = `${'x'.repeat(1023)}\n`.repeat(66 * 1024);
    const input =
      `[    0.100000] kvm: the OLDEST line\n${filler}[    9.000000] kvm: the NEWEST line\n[    9.500000] tdx: ` +
      `module initialized\n`;
    const piped = spawnRun(['tdx', '--json', '--from', FIXTURE, '--kernel-log', '-'], { input });
    assert.equal(piped.status, 0, piped.stderr);
    assert.deepEqual(JSON.parse(piped.stdout).kernelLog.value, {
      records: 2,
      tdxLines: 1,
      olderBootRecords: 0,
      guestLines: 0,
    });
    assert.match(
      piped.stderr,
      new RegExp(
        `^kvm-caps: note: the kernel log standard input is ${Buffer.byteLength(input)} bytes \\(66\\.0 ` +
          `MiB\\); only its newest \\d+ bytes \\(64\\.0 MiB\\) were read\n$`,
      ),
    );
  });

  test('a snapshot recording a cut log loads and validates; a v1 snapshot without one still loads', () => {
    const document = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Snapshot;
    assert.equal(document.host.kernelLog?.cut, undefined);
    assert.doesNotThrow(() => validateSnapshot(structuredClone(document)));
    document.host.kernelLog = {
      source: { file: 'big.log' },
      value: [{ priority: null, timestampUs: 1, message: 'kvm: x' }],
      cut: { size: 70_000_000, kept: 12 },
    };
    assert.doesNotThrow(() => validateSnapshot(structuredClone(document)));
    assert.ok(snapshotSchema(document), ajv.errorsText(snapshotSchema.errors));
    (document.host.kernelLog as { cut: unknown }).cut = { size: 'big' };
    assert.throws(
      () => validateSnapshot(structuredClone(document)),
      /snapshot\.host\.kernelLog\.cut\.size: expected an integer/,
    );
    assert.equal(snapshotSchema(document), false);
  });

  test('--root missing or not a directory: a usage error (exit 2)', async () => {
    const dir = freshDir('root');
    const missing = join(dir, 'nonexistent');
    const none = await run(['--root', missing]);
    assert.equal(none.status, 2);
    assert.match(
      none.stderr,
      new RegExp(`^kvm-caps: --root ${missing}: no such directory\nUsage: kvm-caps \\[report\\]`),
    );
    const file = join(dir, 'passwd');
    writeFileSync(file, 'root:x:0:0::/root:/bin/sh\n');
    const notDir = await run(['check', '--root', file]);
    assert.equal(notDir.status, 2);
    assert.match(notDir.stderr, new RegExp(`^kvm-caps: --root ${file}: not a directory\nUsage: kvm-caps check`));
  });

  test('files under --root that are FIFOs, endless devices or too large are recorded failures, and the probe ' +
    'finishes', { skip: needsRoot }, () => {
    const root = freshDir('trap-root');
    mkdirSync(join(root, 'proc', 'sys', 'kernel'), { recursive: true });
    mkdirSync(join(root, 'sys', 'fs', 'cgroup'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'proc', 'cpuinfo')]);
    mknod(join(root, 'proc', 'sys', 'kernel', 'osrelease'), 'c', 1, 5);
    // An endless /dev/kmsg: read up to the log's bound, then the probe goes on.
    mkdirSync(join(root, 'dev'));
    mknod(join(root, 'dev', 'kmsg'), 'c', 1, 5);
    const fd = openSync(join(root, 'sys', 'fs', 'cgroup', 'misc.capacity'), 'w');
    ftruncateSync(fd, 17 * 1024 * 1024);
    closeSync(fd);
    const result = spawnRun(['snapshot', '--root', root, '--device', join(root, 'no-kvm')], {}, 30);
    assert.equal(result.status, 3, result.stderr);
    const snapshot = validateSnapshot(JSON.parse(result.stdout));
    const code = (fact: unknown): string | undefined => (fact as { error?: { code: string } }).error?.code;
    assert.equal(code(snapshot.host.cpuinfo), 'EINVAL');
    assert.match((snapshot.host.cpuinfo as { error: { message: string } }).error.message, /a FIFO, not a regular file/);
    assert.equal(code(snapshot.host.kernelRelease), 'EINVAL');
    assert.equal(code(snapshot.host.miscCapacity), 'EFBIG');
    assert.deepEqual((snapshot.host.kernelLog as { value: unknown[] }).value, []);
    assert.ok(snapshotSchema(JSON.parse(result.stdout)), ajv.errorsText(snapshotSchema.errors));
    assert.ok(lstatSync(join(root, 'proc', 'cpuinfo')).isFIFO());
  });
});

// ------------------------------------------------------------------ the loader is the schema

describe('the snapshot loader accepts exactly what the published schema accepts', () => {
  const base = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, any>;
  const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
    [
      'a fact holding both value and error',
      (d) => (d.host.kernelRelease.error = { code: 'ENOENT', errno: -2, syscall: 'open', message: 'x' }),
      /snapshot\.host\.kernelRelease: a fact holds either "value" or "error", not both/,
    ],
    [
      'createdAt "yesterday"',
      (d) => (d.createdAt = 'yesterday'),
      /snapshot\.createdAt: expected an RFC 3339 date-time/,
    ],
    ['createdAt on a day February does not have', (d) => (d.createdAt = '2026-02-30T10:00:00Z'), /snapshot\.createdAt/],
    ['createdAt without a time zone', (d) => (d.createdAt = '2026-02-01T10:00:00'), /snapshot\.createdAt/],
  ];
  for (const [what, change, message] of cases) {
    test(`refused by both, exit 4 naming the field: ${what}`, async () => {
      const document = structuredClone(base);
      change(document);
      assert.equal(snapshotSchema(document), false, 'the schema refuses it');
      const file = join(freshDir('refused'), 'bad.json');
      writeFileSync(file, JSON.stringify(document));
      const result = await run(['--json', '--from', file]);
      assert.equal(result.status, 4);
      assert.match(result.stderr, message);
    });
  }

  test('what both accept gives a report the report schema accepts', async () => {
    for (const createdAt of ['2026-02-28T23:59:59.999+05:30', '2024-02-29T00:00:00Z', '0000-02-29T00:00:00Z']) {
      const document = { ...structuredClone(base), createdAt };
      assert.ok(snapshotSchema(document), `${createdAt}: ${ajv.errorsText(snapshotSchema.errors)}`);
      const snapshot = validateSnapshot(structuredClone(document));
      assert.ok(reportSchema(JSON.parse(JSON.stringify(buildReport(snapshot)))), ajv.errorsText(reportSchema.errors));
    }
  });
});

// ------------------------------------------------------------------ the command line

describe("usage errors in our own words, with the command's usage", () => {
  const cases: [string[], RegExp, RegExp][] = [
    [['--bogus'], /^kvm-caps: unknown option --bogus$/m, /^Usage: kvm-caps \[report\]/m],
    [['check', '--bogus'], /^kvm-caps: unknown option --bogus$/m, /^Usage: kvm-caps check/m],
    [['check', '-x'], /^kvm-caps: unknown option -x$/m, /^Usage: kvm-caps check/m],
    [
      ['--from'],
      /^kvm-caps: --from needs a snapshot file \(or - for standard input\)$/m,
      /^Usage: kvm-caps \[report\]/m,
    ],
    [
      ['tdx', '--from', '--json'],
      /^kvm-caps: --from needs a snapshot file .*not the option "--json"/m,
      /^Usage: kvm-caps tdx/m,
    ],
    [['check', '-o'], /^kvm-caps: -o needs a file name \(or - for standard output\)$/m, /^Usage: kvm-caps check/m],
    [['--json=yes'], /^kvm-caps: --json takes no value \(given "yes"\)$/m, /^Usage: kvm-caps \[report\]/m],
    [['--from', 'a', '--from', 'b'], /^kvm-caps: --from is given twice \("a" and "b"\)$/m, /^Usage/m],
    [['diff', 'a.json'], /^kvm-caps: "diff" needs 2 arguments, got 1$/m, /^Usage: kvm-caps diff A\.json B\.json/m],
    [
      ['diff', '-', '-'],
      /^kvm-caps: only one of the two snapshots can come from standard input \(-\)$/m,
      /^Usage: kvm-caps diff/m,
    ],
    [['caps', '--deep'], /^kvm-caps: "caps" does not take --deep$/m, /^Usage: kvm-caps caps/m],
    [['frobnicate'], /^kvm-caps: unknown command "frobnicate"/m, /kvm-caps --help/],
    [['help', 'bogus'], /^kvm-caps: no command "bogus" to help with/m, /kvm-caps --help/],
  ];
  for (const [args, message, usage] of cases) {
    test(`kvm-caps ${args.join(' ')}: exit 2`, async () => {
      const result = await run(args);
      assert.equal(result.status, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
      assert.match(result.stderr, usage);
      // Nothing of node's own parseArgs wording.
      assert.doesNotMatch(result.stderr, /To specify a positional argument|ERR_PARSE_ARGS|Unknown option '/);
    });
  }

  test("each command's help lists exactly the options it takes, in one column, within the width", async () => {
    for (const { name } of COMMANDS) {
      const result = await run(['help', name]);
      assert.equal(result.status, 0);
      const lines = result.stdout.split('\n');
      for (const line of lines) assert.ok(line.length <= WIDTH, `${name}: a line of ${line.length} columns: ${line}`);
      const options = lines.filter((line) => /^ {2}-/.test(line));
      const columns = new Set(options.map((line) => /^ {2}\S.*?\s{2,}(?=\S)/.exec(line)![0].length));
      assert.equal(columns.size, 1, `${name}: descriptions start in one column: ${[...columns].join(', ')}`);
      const column = [...columns][0]!;
      // Continuation lines start in the same column.
      const listing = lines.slice(lines.indexOf(options[0]!), lines.indexOf(options.at(-1)!) + 1);
      for (const line of listing)
        if (!/^ {2}-/.test(line)) assert.match(line, new RegExp(`^ {${column}}\\S`), `${name}: ${line}`);
      // Every option the command accepts is listed, and nothing else.
      const listed = options
        .map((line) => /--([a-z-]+)/.exec(line)![1]!)
        .filter((o) => o !== 'help' && o !== 'version');
      const command = COMMANDS.find((c) => c.name === name)!;
      assert.deepEqual([...listed].sort(), [...command.accepts].sort(), name);
      assert.equal(usageFor(name, command.accepts), result.stdout);
    }
  });
});
