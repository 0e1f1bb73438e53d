// The read-only promise, checked from outside the process with strace(1), whose own
// tables name each ioctl: every native entry point reaches only the allowlisted requests;
// the command writes nothing but the file given to -o; a replayed snapshot opens no device
// and reads no host file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEntry } from '../helpers/cli.js';
import { projectRoot } from '../helpers/compile.js';
import { kvmSkipReason } from '../helpers/kvm-device.js';
import { fixturePath } from '../helpers/fixtures.js';
import { skipUnless } from '../helpers/requirements.js';
import { REQUEST_FUNCTIONS } from '../helpers/addon-surface.js';

const needsStrace = skipUnless('strace') || undefined;
const strace = needsStrace === undefined ? 'strace' : undefined;
const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-readonly-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs node with the arguments under strace -ff and returns every traced line of every thread. */
function traced(
  trace: string,
  nodeArgs: string[],
  name: string,
): { lines: string[]; status: number | null; stderr: string } {
  const out = join(dir, name);
  const result = spawnSync(
    strace!,
    ['-ff', '-qq', '-y', '-e', `trace=${trace}`, '-o', out, process.execPath, '--import', 'tsx', ...nodeArgs],
    {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const lines = readdirSync(dir)
    .filter((file) => file.startsWith(`${name}.`))
    .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n'));
  return { lines, status: result.status, stderr: result.stderr };
}

/** The requests the addon may issue, as strace (and the kernel headers) name them. */
const ALLOWED = new Set([
  'KVM_GET_API_VERSION',
  'KVM_CHECK_EXTENSION',
  'KVM_GET_VCPU_MMAP_SIZE',
  'KVM_GET_SUPPORTED_CPUID',
  'KVM_GET_EMULATED_CPUID',
  'KVM_GET_MSR_INDEX_LIST',
  'KVM_GET_MSR_FEATURE_INDEX_LIST',
  'KVM_GET_MSRS',
  'KVM_HAS_DEVICE_ATTR',
  'KVM_GET_DEVICE_ATTR',
  'KVM_CREATE_VM',
  'KVM_MEMORY_ENCRYPT_OP',
  'SEV_ISSUE_CMD',
]);

/** strace prints requests it has no name for as _IOC(...): SEV_ISSUE_CMD is _IOWR('S', 0, 16 bytes). */
function requestName(raw: string): string {
  return raw.replace(/^_IOC\(_IOC_READ\|_IOC_WRITE, 0x53, 0(?:x0)?, 0x10\)$/, 'SEV_ISSUE_CMD');
}

/**
 * Every native entry point, called on every kind of handle it could be called on: each
 * function of the binding on each kind of External, and each method of DeviceHandle on
 * each kind of handle.
 */
const EXERCISE =
  `
import { binding } from './lib/native/binding.ts';
import { DeviceHandle, openSevHandle, openSystemHandle ` +
  `} from './lib/native/handle.ts';
const b = binding();
const functions = Object.keys(b).sort();
const ` +
  'methods = Object.getOwnPropertyNames(DeviceHandle.prototype).filter((m) => m !== ' +
  `'constructor').sort();
console.log(JSON.stringify({ functions, methods }));
const args = {
  ` +
  'checkExtension: [1], checkExtensions: [[0, 1, 235]], supportedCpuid: [], emulatedCpuid: [], getMsrs: ' +
  `[[0x10a]],
  hasDeviceAttr: [0, 0], getDeviceAttr: [0, 0], createVm: [0], tdxCapabilities: [],
  tdxInitVm: ` +
  '[{ attributes: 0n, xfam: 3n, cpuid: [] }], sevInit2: [{ vmsaFeatures: 0n, flags: 0, ghcbVersion: 0 ' +
  `}],
};
const settle = async (f) => { try { const r = f(); if (typeof r?.then !== 'function') return r; ` +
  `await r.catch(() => {}); } catch {} };
const externals = [b.openKvm('/dev/kvm'), null, ` +
  `b.openSev('/dev/null')];
externals[1] = b.createVm(externals[0], 0);
for (const external of externals) {
  ` +
  `for (const fn of functions) {
    if (fn === 'close' || fn === 'openKvm' || fn === 'openSev') continue;
    ` +
  `const r = await settle(() => b[fn](external, ...(args[fn] ?? [])));
    if (fn === 'createVm' && r !== ` +
  `undefined) b.close(r);
  }
}
for (const external of externals) b.close(external);
const handles = ` +
  `[openSystemHandle('/dev/kvm'), null, openSevHandle('/dev/null')];
handles[1] = handles[0].createVm(0);
for ` +
  `(const handle of handles) {
  for (const method of methods) {
    if (method === 'close') continue;
    ` +
  `const r = await settle(() => handle[method](...(args[method] ?? [])));
    if (r instanceof DeviceHandle) ` +
  `r.close();
  }
}
for (const handle of handles) handle.close();
`;

test('every native entry point reaches only allowlisted ioctls', { skip: needsStrace ?? kvmSkipReason }, () => {
  const run = traced('ioctl', ['--input-type=module', '-e', EXERCISE], 'exercise');
  assert.equal(run.status, 0, run.stderr);
  const requests = run.lines
    .map((line) => /ioctl\(\d+<(\/dev\/kvm|\/dev\/null|anon_inode:kvm-vm)>, ([^,]+(?:\([^)]*\))?),/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ device: m[1]!, request: requestName(m[2]!) }));
  // The exercise reached the kernel on each kind of handle.
  for (const device of ['/dev/kvm', 'anon_inode:kvm-vm', '/dev/null']) {
    assert.ok(
      requests.some((r) => r.device === device),
      `no ioctl on ${device}`,
    );
  }
  const outside = requests.filter((r) => !ALLOWED.has(r.request));
  assert.deepEqual(outside, [], 'ioctls outside the allowlist');
  // And the native surface is exactly what this test exercised: a new function or method must be added here.
  const listed = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', EXERCISE.split('const args')[0]!],
    {
      cwd: projectRoot,
      encoding: 'utf8',
    },
  );
  const requestFunctions = [...REQUEST_FUNCTIONS];
  assert.deepEqual(JSON.parse(listed.stdout), {
    functions: [...requestFunctions, 'openKvm', 'openSev'].sort(),
    methods: requestFunctions,
  });
});

const WRITES =
  'openat,open,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,truncate,ftruncate,symlink,link';

/** File-changing calls: opens for writing or creation, renames, removals, new directories. */
function writes(lines: string[]): string[] {
  return lines.filter(
    (line) =>
      (/^(open|openat)\(/.test(line) && /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(line)) ||
      /^(creat|rename|renameat2?|unlink|unlinkat|mkdir|mkdirat|truncate|ftruncate|symlink|link)\(/.test(line),
  );
}

test('the command writes nothing but the file given to -o', { skip: needsStrace ?? kvmSkipReason }, () => {
  for (const args of [[], ['--json'], ['caps'], ['cpuid', '--json'], ['tdx'], ['sev', '--json'], ['snapshot']]) {
    const run = traced(WRITES, [cliEntry, ...args], `cli-${args.join('_') || 'report'}`);
    assert.equal(run.status, 0, run.stderr);
    // /dev/kvm is opened read-write because KVM requires it; nothing else is opened for writing.
    const changed = writes(run.lines).filter((line) => !/"\/dev\/kvm", O_RDWR\|O_CLOEXEC\) = \d+</.test(line));
    assert.deepEqual(changed, [], `kvm-caps ${args.join(' ')}`);
  }
  const output = join(dir, 'snapshot.json');
  const run = traced(WRITES, [cliEntry, 'snapshot', '-o', output], 'cli-output');
  assert.equal(run.status, 0, run.stderr);
  const changed = writes(run.lines).filter((line) => !/"\/dev\/kvm", O_RDWR\|O_CLOEXEC\) = \d+</.test(line));
  assert.equal(changed.length, 2, changed.join('\n'));
  // A temporary sibling with an unpredictable name, created exclusively and never through a link, then renamed.
  assert.match(
    changed[0]!,
    new RegExp(`"${dir}/\\.snapshot\\.json\\.[0-9a-f]{16}\\.tmp", O_WRONLY\\|O_CREAT\\|O_EXCL\\|O_NOFOLLOW`),
  );
  assert.match(changed[1]!, new RegExp(`^rename\\("${dir}/\\.snapshot\\.json\\.[0-9a-f]{16}\\.tmp", "${output}"\\)`));
});

test('a replayed snapshot opens no device, loads no addon, reads no host file', { skip: needsStrace }, () => {
  const fixture = fixturePath('sev-snp-genoa-6.11');
  for (const args of [
    ['--from', fixture],
    ['sev', '--json', '--from', fixture],
    ['tdx', '--from', fixture],
    ['caps', '--json', '--from', fixture],
  ]) {
    const run = traced('openat,open', [cliEntry, ...args], `replay-${args[0]}`);
    assert.equal(run.status, 0, run.stderr);
    const opened = run.lines
      .map((line) => /^open(?:at)?\([^"]*"([^"]+)"/.exec(line)?.[1])
      .filter((path): path is string => path !== undefined);
    // What kvm-caps reads on a live host. (Node itself reads its cgroup's memory limits.)
    const host = opened.filter((path) =>
      new RegExp(
        String.raw`^\/dev\/(kvm|sev|kmsg)$|kvm_caps\.node$|^\/proc\/(cpuinfo|sys\/kernel)|` +
          String.raw`^\/sys\/(module|devices)|\/misc\.(capacity|current)$`,
      ).test(path),
    );
    assert.deepEqual(host, [], `kvm-caps ${args.join(' ')}`);
    assert.ok(opened.includes(fixture), 'the snapshot itself was read');
  }
});
