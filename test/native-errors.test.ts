// The addon's error model and resource handling, mostly without a KVM device: system
// errors shaped like Node's fs errors, argument errors, the handle's lifecycle, the
// binding's functions refusing anything but one of their own live handles, fd accounting
// under close, GC and worker termination, and use from a worker_thread.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { NativeBinding, NativeExternal } from '../lib/native/binding.js';
import { addonPath, binding } from '../lib/native/binding.js';
import type { KvmSystemError } from '../lib/native/errors.js';
import { makeSystemError } from '../lib/native/errors.js';
import { DeviceHandle, openSystemHandle } from '../lib/native/handle.js';
import { compileProgram, projectRoot } from './helpers/compile.js';
import { kvmDevicePath, kvmSkipReason } from './helpers/kvm-device.js';
import { skipUnless } from './helpers/requirements.js';
import { REQUEST_FUNCTIONS } from './helpers/addon-surface.js';

const bindingUrl = new URL('../lib/native/binding.ts', import.meta.url).href;
const handleUrl = new URL('../lib/native/handle.ts', import.meta.url).href;
const tsxEsmApiUrl = import.meta.resolve('tsx/esm/api');
const NOBODY = 65534;

/** A handle's methods with their argument types erased, to pass what TS would refuse. */
type Loose = Record<string, (...args: unknown[]) => unknown>;
const loose = (handle: unknown): Loose => handle as Loose;

const openHandles: DeviceHandle[] = [];
function openNull(): DeviceHandle {
  const handle = openSystemHandle('/dev/null');
  openHandles.push(handle);
  return handle;
}
after(() => {
  for (const handle of openHandles) handle.close();
});

/** Catches what `fn` throws (failing if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to throw');
}

/** The own enumerable properties of an error, i.e. everything but message and stack. */
function fields(error: unknown): Record<string, unknown> {
  assert.ok(error instanceof Error, `not an Error: ${String(error)}`);
  return { ...error };
}

function nodeOpenError(path: string, flags: string): NodeJS.ErrnoException {
  return thrown(() => openSync(path, flags)) as NodeJS.ErrnoException;
}

function fdEntries(): string[] {
  return readdirSync('/proc/self/fd');
}

/** How many of this process's fds point at each of `targets`. */
function fdsOn(targets: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(targets.map((t) => [t, 0]));
  for (const name of fdEntries()) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // The directory fd readdir used, already closed.
    }
    if (target in counts) counts[target] = (counts[target] ?? 0) + 1;
  }
  return counts;
}

const watchedFds = ['/dev/null', kvmDevicePath, 'anon_inode:kvm-vm'] as const;

describe('system errors', () => {
  test('ENOENT for a missing path is exactly Node fs-shaped', () => {
    const path = join(tmpdir(), `kvm-caps-missing-${process.pid}-${Date.now()}`);
    const error = thrown(() => openSystemHandle(path)) as KvmSystemError;
    assert.deepEqual(fields(error), { code: 'ENOENT', errno: -2, syscall: 'open', path });
    assert.equal(error.message, `ENOENT: no such file or directory, open '${path}'`);
    assert.equal(error.name, 'Error');
    // The same fields and message as Node's own fs error for the same open.
    const node = nodeOpenError(path, 'r+');
    assert.deepEqual(fields(error), fields(node));
    assert.equal(error.message, node.message);
  });

  test('other open errors keep their errno (EISDIR on a directory)', () => {
    const error = thrown(() => openSystemHandle('/')) as KvmSystemError;
    const node = nodeOpenError('/', 'r+');
    assert.deepEqual(fields(error), { code: 'EISDIR', errno: -21, syscall: 'open', path: '/' });
    assert.deepEqual(fields(error), fields(node));
    assert.equal(error.message, node.message);
  });

  test('ENOTTY from KVM ioctls on /dev/null names the request and path', () => {
    const handle = openNull();
    assert.equal(handle.kind, 'system');
    assert.equal(handle.path, '/dev/null');
    const cases: Array<[string, () => unknown]> = [
      ['KVM_GET_API_VERSION', () => handle.apiVersion()],
      ['KVM_CHECK_EXTENSION', () => handle.checkExtension(0)],
      ['KVM_GET_VCPU_MMAP_SIZE', () => handle.vcpuMmapSize()],
      ['KVM_GET_SUPPORTED_CPUID', () => handle.supportedCpuid(1)],
      ['KVM_GET_MSR_INDEX_LIST', () => handle.msrIndexList()],
      ['KVM_GET_MSRS', () => handle.getMsrs([0x10a])],
      ['KVM_GET_DEVICE_ATTR', () => handle.getDeviceAttr(0, 0n)],
      ['KVM_CREATE_VM', () => handle.createVm(0)],
    ];
    for (const [request, call] of cases) {
      const error = thrown(call) as KvmSystemError;
      assert.deepEqual(fields(error), { code: 'ENOTTY', errno: -25, syscall: 'ioctl', request, path: '/dev/null' });
      assert.equal(error.message, `ENOTTY: inappropriate ioctl for device, ioctl ${request} '/dev/null'`);
    }
    // checkExtensions reports each failed check in its slot instead of throwing.
    assert.deepEqual(handle.checkExtensions([0, 1, 235]), Int32Array.from([-25, -25, -25]));
  });

  test('EACCES for an unprivileged user (child process as nobody)', {
    skip: skipUnless('root'),
  }, (t) => {
    // A root-owned 0600 file in a directory nobody may traverse but not list.
    const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-eacces-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o711);
    const file = join(dir, 'root-only');
    writeFileSync(file, '', { mode: 0o600 });
    chmodSync(file, 0o600);
    const paths = [file];
    // /dev/kvm too, when it is root-only here (it is 0600 root on the development machines).
    if (existsSync(kvmDevicePath)) {
      const stat = statSync(kvmDevicePath);
      if (stat.uid === 0 && (stat.mode & 0o077) === 0) paths.push(kvmDevicePath);
    }
    const script = `
      import { openSync } from 'node:fs';
      import { openSystemHandle } from ${JSON.stringify(handleUrl)};
      const pick = (e) => ({ fields: { ...e }, message: e.message, isError: e instanceof Error });
      const out = { uid: process.getuid(), gid: process.getgid(), results: {} };
      for (const path of ${JSON.stringify(paths)}) {
        const result = {};
        try { openSystemHandle(path).close(); result.ours = 'opened'; } catch (e) { result.ours = pick(e); }
        try { openSync(path, 'r+'); result.node = 'opened'; } catch (e) { result.node = pick(e); }
        out.results[path] = result;
      }
      console.log(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      uid: NOBODY,
      gid: NOBODY,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.status, 0, `child failed: ${child.stderr}`);
    const out = JSON.parse(child.stdout) as {
      uid: number;
      gid: number;
      results: Record<string, { ours: unknown; node: unknown }>;
    };
    assert.equal(out.uid, NOBODY);
    assert.equal(out.gid, NOBODY);
    for (const path of paths) {
      const result = out.results[path];
      assert.ok(result !== undefined, path);
      assert.deepEqual(result.ours, {
        fields: { code: 'EACCES', errno: -13, syscall: 'open', path },
        message: `EACCES: permission denied, open '${path}'`,
        isError: true,
      });
      assert.deepEqual(result.ours, result.node, `same as Node's fs error for ${path}`);
    }
  });
});

describe('argument errors', () => {
  type Expect = 'type' | 'range';
  function expectArgError(fn: () => unknown, kind: Expect, what: string): void {
    const error = thrown(fn);
    if (kind === 'type') {
      assert.ok(error instanceof TypeError, `${what}: expected TypeError, got ${String(error)}`);
      assert.equal((error as { code?: unknown }).code, 'ERR_INVALID_ARG_TYPE', what);
    } else {
      assert.ok(error instanceof RangeError, `${what}: expected RangeError, got ${String(error)}`);
      assert.equal((error as { code?: unknown }).code, 'ERR_OUT_OF_RANGE', what);
    }
  }

  test('openKvm(path)', () => {
    const openKvm = binding().openKvm as unknown as (...args: unknown[]) => unknown;
    expectArgError(() => openKvm(), 'type', 'no path');
    expectArgError(() => openKvm(42), 'type', 'number path');
    expectArgError(() => openKvm(Buffer.from('/dev/null')), 'type', 'Buffer path');
    expectArgError(() => openKvm('/dev/null\0/etc/passwd'), 'type', 'path with NUL');
    const error = thrown(() => openKvm('/dev/\0null')) as Error;
    assert.match(error.message, /null bytes/);
  });

  test('u32 arguments (checkExtension cap, createVm type, cpuid capacity)', () => {
    const h = loose(openNull());
    const bad: Array<[unknown, Expect]> = [
      ['1', 'type'],
      [1n, 'type'],
      [undefined, 'type'],
      [null, 'type'],
      [{}, 'type'],
      [-1, 'range'],
      [1.5, 'range'],
      [2 ** 32, 'range'],
      [NaN, 'range'],
      [Infinity, 'range'],
      [-Infinity, 'range'],
    ];
    for (const [value, kind] of bad) {
      expectArgError(() => h.checkExtension!(value), kind, `checkExtension(${String(value)})`);
      expectArgError(() => h.createVm!(value), kind, `createVm(${String(value)})`);
      if (value !== undefined) {
        expectArgError(() => h.supportedCpuid!(value), kind, `supportedCpuid(${String(value)})`);
      }
    }
    // The bounds themselves pass validation and reach the ioctl (ENOTTY on /dev/null).
    for (const cap of [0, 2 ** 32 - 1, -0]) {
      assert.equal((thrown(() => h.checkExtension!(cap)) as KvmSystemError).code, 'ENOTTY');
    }
  });

  test('u64 attribute and u32 group of the device-attribute calls', () => {
    const h = loose(openNull());
    const bad: Array<[unknown, unknown, Expect]> = [
      [0, 2n ** 64n, 'range'],
      [0, -1n, 'range'],
      [0, -(2n ** 64n), 'range'],
      [0, 2n ** 128n, 'range'],
      [0, -1, 'range'],
      [0, 0.5, 'range'],
      [0, 2 ** 53, 'range'],
      [0, NaN, 'range'],
      [0, '0', 'type'],
      [0, undefined, 'type'],
      ['0', 0, 'type'],
      [-1, 0, 'range'],
      [2 ** 32, 0n, 'range'],
    ];
    for (const [group, attr, kind] of bad) {
      const what = `(${String(group)}, ${String(attr)})`;
      expectArgError(() => h.getDeviceAttr!(group, attr), kind, `getDeviceAttr${what}`);
      expectArgError(() => h.hasDeviceAttr!(group, attr), kind, `hasDeviceAttr${what}`);
    }
    for (const attr of [2n ** 64n - 1n, 2 ** 53 - 1, 0n]) {
      assert.equal((thrown(() => h.getDeviceAttr!(0, attr)) as KvmSystemError).code, 'ENOTTY');
    }
  });

  test('u32 lists (checkExtensions caps, getMsrs indices)', () => {
    const h = loose(openNull());
    for (const method of ['checkExtensions', 'getMsrs'] as const) {
      const call = (...args: unknown[]): unknown => h[method]!(...args);
      expectArgError(() => call(5), 'type', `${method}(5)`);
      expectArgError(() => call('0,1'), 'type', `${method}('0,1')`);
      expectArgError(() => call(undefined), 'type', `${method}()`);
      expectArgError(() => call({ length: 1, 0: 1 }), 'type', `${method}(array-like)`);
      expectArgError(() => call(new Int32Array(2)), 'type', `${method}(Int32Array)`);
      expectArgError(() => call(new Float64Array(2)), 'type', `${method}(Float64Array)`);
      expectArgError(() => call([1, '2']), 'type', `${method}([1, '2'])`);
      expectArgError(() => call([1, 2n]), 'type', `${method}([1, 2n])`);
      expectArgError(() => call([1, -1]), 'range', `${method}([1, -1])`);
      expectArgError(() => call([0.5]), 'range', `${method}([0.5])`);
      expectArgError(() => call([2 ** 32]), 'range', `${method}([2 ** 32])`);
      expectArgError(() => call(new Array(65537).fill(0)), 'range', `${method}(65537 elements)`);
    }
    const error = thrown(() => h.checkExtensions!([1, 2, 'x'])) as Error;
    assert.match(error.message, /"caps\[2\]"/, 'the message names the bad element');
  });
});

describe('handle lifecycle', () => {
  test('use after close gives EBADF naming the request; close() is idempotent', () => {
    const h = openSystemHandle('/dev/null');
    assert.equal(h.isClosed(), false);
    h.close();
    assert.equal(h.isClosed(), true);
    const cases: Array<[string, () => unknown]> = [
      ['KVM_GET_API_VERSION', () => h.apiVersion()],
      ['KVM_CHECK_EXTENSION', () => h.checkExtension(0)],
      ['KVM_CHECK_EXTENSION', () => h.checkExtensions([0])],
      ['KVM_GET_EMULATED_CPUID', () => h.emulatedCpuid()],
      ['KVM_GET_MSR_FEATURE_INDEX_LIST', () => h.msrFeatureIndexList()],
      ['KVM_HAS_DEVICE_ATTR', () => h.hasDeviceAttr(0, 0)],
      ['KVM_CREATE_VM', () => h.createVm(0)],
    ];
    for (const [request, call] of cases) {
      const error = thrown(call) as KvmSystemError;
      assert.deepEqual(fields(error), { code: 'EBADF', errno: -9, syscall: 'ioctl', request, path: '/dev/null' });
      assert.equal(error.message, `EBADF: bad file descriptor, ioctl ${request} '/dev/null'`);
    }
    h.close();
    h.close();
    assert.equal(h.isClosed(), true);
    // The descriptive properties survive the close.
    assert.deepEqual({ ...h }, { path: '/dev/null', kind: 'system', vmType: null });
  });

  test('DeviceHandle cannot be constructed from JavaScript', () => {
    const Ctor = DeviceHandle as unknown as new (...args: unknown[]) => object;
    const external = binding().openKvm('/dev/null');
    const forged = [
      [],
      [{}],
      [3],
      ['/dev/null'],
      [undefined, undefined],
      [Symbol('DeviceHandle'), external, '/dev/null', 'system', null],
    ];
    for (const args of forged) {
      const error = thrown(() => new Ctor(...args));
      assert.ok(error instanceof TypeError, String(error));
      assert.equal((error as { code?: unknown }).code, 'ERR_ILLEGAL_CONSTRUCTOR');
    }
    binding().close(external);
    const error = thrown(() => Reflect.construct(Ctor, []));
    assert.equal((error as { code?: unknown }).code, 'ERR_ILLEGAL_CONSTRUCTOR');
    class Sub extends Ctor {}
    assert.equal((thrown(() => new Sub()) as { code?: unknown }).code, 'ERR_ILLEGAL_CONSTRUCTOR');
    // V8 refuses a class constructor called without new before the constructor's own check.
    assert.throws(() => (Ctor as unknown as () => unknown)(), TypeError);
  });

  test('methods called on a foreign this throw ERR_INVALID_THIS', () => {
    const proto = DeviceHandle.prototype as unknown as Loose;
    const names = Object.getOwnPropertyNames(proto).filter((name) => name !== 'constructor');
    assert.deepEqual(names.sort(), [...REQUEST_FUNCTIONS]);
    const real = openNull();
    const external = binding().openKvm('/dev/null');
    const foreign: unknown[] = [
      undefined,
      null,
      0,
      'handle',
      {},
      [],
      () => {},
      Object.create(proto),
      new Proxy(real, {}),
      { ...real },
      Object.create(real as object),
      external,
    ];
    for (const name of names) {
      const method = proto[name]!;
      for (const self of foreign) {
        const error = thrown(() => method.call(self, 0, 0));
        assert.ok(error instanceof TypeError, `${name} on ${typeof self}: ${String(error)}`);
        assert.equal((error as { code?: unknown }).code, 'ERR_INVALID_THIS', name);
      }
    }
    // A method taken off a handle and called unbound is refused too.
    const unbound = real.checkExtension;
    assert.equal((thrown(() => unbound(0)) as { code?: unknown }).code, 'ERR_INVALID_THIS');
    // ...and the real handle still works.
    assert.equal((thrown(() => real.checkExtension(0)) as KvmSystemError).code, 'ENOTTY');
    binding().close(external);
  });
});

/**
 * Every request function of the binding: the request its errors name, valid arguments, and the kinds of handle it
 * serves.
 */
const REQUESTS: ReadonlyArray<{
  fn: string;
  request: string;
  args: unknown[];
  kinds: ReadonlyArray<'system' | 'vm' | 'sev'>;
}> = [
  { fn: 'apiVersion', request: 'KVM_GET_API_VERSION', args: [], kinds: ['system'] },
  { fn: 'checkExtension', request: 'KVM_CHECK_EXTENSION', args: [1], kinds: ['system', 'vm'] },
  { fn: 'checkExtensions', request: 'KVM_CHECK_EXTENSION', args: [[1]], kinds: ['system', 'vm'] },
  { fn: 'vcpuMmapSize', request: 'KVM_GET_VCPU_MMAP_SIZE', args: [], kinds: ['system'] },
  { fn: 'supportedCpuid', request: 'KVM_GET_SUPPORTED_CPUID', args: [], kinds: ['system'] },
  { fn: 'emulatedCpuid', request: 'KVM_GET_EMULATED_CPUID', args: [], kinds: ['system'] },
  { fn: 'msrIndexList', request: 'KVM_GET_MSR_INDEX_LIST', args: [], kinds: ['system'] },
  { fn: 'msrFeatureIndexList', request: 'KVM_GET_MSR_FEATURE_INDEX_LIST', args: [], kinds: ['system'] },
  { fn: 'getMsrs', request: 'KVM_GET_MSRS', args: [[0x10a]], kinds: ['system'] },
  { fn: 'hasDeviceAttr', request: 'KVM_HAS_DEVICE_ATTR', args: [0, 0], kinds: ['system'] },
  { fn: 'getDeviceAttr', request: 'KVM_GET_DEVICE_ATTR', args: [0, 0], kinds: ['system'] },
  { fn: 'createVm', request: 'KVM_CREATE_VM', args: [0], kinds: ['system'] },
  { fn: 'tdxCapabilities', request: 'KVM_TDX_CAPABILITIES', args: [], kinds: ['vm'] },
  { fn: 'tdxInitVm', request: 'KVM_TDX_INIT_VM', args: [{ attributes: 0n, xfam: 3n, cpuid: [] }], kinds: ['vm'] },
  { fn: 'sevInit2', request: 'KVM_SEV_INIT2', args: [{ vmsaFeatures: 0n, flags: 0, ghcbVersion: 0 }], kinds: ['vm'] },
  { fn: 'sevPlatformStatus', request: 'SEV_PLATFORM_STATUS', args: [], kinds: ['sev'] },
  { fn: 'snpPlatformStatus', request: 'SNP_PLATFORM_STATUS', args: [], kinds: ['sev'] },
  { fn: 'sevGetId2', request: 'SEV_GET_ID2', args: [], kinds: ['sev'] },
];

describe('the binding called directly', () => {
  /** The binding's functions that take a handle: all but the two that open one. */
  const handleFunctions = (b: NativeBinding): Array<[string, (...args: unknown[]) => unknown]> =>
    Object.entries(b as unknown as Loose).filter(([name]) => name !== 'openKvm' && name !== 'openSev');

  function expectInvalidThis(call: () => unknown, what: string, message: RegExp): void {
    const error = thrown(call);
    assert.ok(error instanceof TypeError, `${what}: ${String(error)}`);
    assert.equal((error as { code?: unknown }).code, 'ERR_INVALID_THIS', what);
    assert.match(error.message, message, what);
  }
  const notOurs = /^Illegal invocation: not a kvm-caps device handle$/;

  test('the table above covers every function that takes a handle', () => {
    assert.deepEqual(
      handleFunctions(binding())
        .map(([name]) => name)
        .sort(),
      [...REQUESTS.map((r) => r.fn), 'close', 'isClosed'].sort(),
    );
  });

  test('every function refuses a first argument that is not an External', () => {
    const notExternals: unknown[] = [
      undefined,
      null,
      0,
      -1,
      1.5,
      NaN,
      'handle',
      Symbol('handle'),
      1n,
      true,
      {},
      [],
      () => {},
      Object.create(null),
      new Proxy({}, {}),
      new Uint8Array(8),
      openNull(),
    ];
    for (const [name, fn] of handleFunctions(binding())) {
      expectInvalidThis(() => fn(), `${name}()`, notOurs);
      for (const value of notExternals) expectInvalidThis(() => fn(value, 0, 0), `${name}(${typeof value})`, notOurs);
    }
  });

  test('handles of another loaded copy of the addon are refused, both ways', () => {
    // process.dlopen of the same file again gives a second, independent instance, with
    // its own live handles: the situation of a program that loads the addon itself.
    const path = addonPath();
    const copy = { exports: {} as { init(makeError: typeof makeSystemError): NativeBinding } };
    process.dlopen(copy, path);
    const ours = binding();
    const theirs = copy.exports.init(makeSystemError);
    assert.notEqual(theirs.checkExtension, ours.checkExtension);
    const ourHandle = ours.openKvm('/dev/null');
    const theirHandle = theirs.openKvm('/dev/null');
    const theirFunctions = new Map(handleFunctions(theirs));
    for (const [name, fn] of handleFunctions(ours)) {
      expectInvalidThis(() => fn(theirHandle, 0, 0), `ours.${name}(theirs)`, notOurs);
      expectInvalidThis(() => theirFunctions.get(name)!(ourHandle, 0, 0), `theirs.${name}(ours)`, notOurs);
    }
    // Each instance still serves its own handles.
    assert.equal((thrown(() => ours.checkExtension(ourHandle, 1)) as KvmSystemError).code, 'ENOTTY');
    assert.equal((thrown(() => theirs.checkExtension(theirHandle, 1)) as KvmSystemError).code, 'ENOTTY');
    ours.close(ourHandle);
    theirs.close(theirHandle);
    assert.equal(ours.isClosed(ourHandle) && theirs.isClosed(theirHandle), true);
  });

  test('Externals made by another addon are refused without being read (child process)', (t) => {
    // No public Node API we know of hands JavaScript an External, so a tiny addon of ours makes
    // them, holding pointers that would crash the process if dereferenced.
    const include = join(dirname(process.execPath), '..', 'include', 'node');
    if (!existsSync(join(include, 'node_api.h'))) {
      t.skip(`no Node-API headers at ${include}`);
      return;
    }
    const foreign = compileProgram(join(projectRoot, 'test', 'foreign', 'foreign_external.c'), {
      language: 'c',
      includeDirs: [include],
      flags: ['-shared', '-fPIC'],
    });
    const addresses = [0, 8, 0x1000, 0xdead0000, 2 ** 47 - 8];
    const script = `
      import { binding } from ${JSON.stringify(bindingUrl)};
      const foreign = { exports: {} };
      process.dlopen(foreign, ${JSON.stringify(foreign)});
      const b = binding();
      const out = {};
      for (const address of ${JSON.stringify(addresses)}) {
        const external = foreign.exports.external(address);
        for (const name of Object.keys(b).filter((n) => n !== 'openKvm' && n !== 'openSev')) {
          try { b[name](external, 0, 0); out[name + '@' + address] = 'returned'; }
          catch (e) { out[name + '@' + address] = e instanceof TypeError ? e.code + ': ' + e.message : String(e); }
        }
      }
      console.log(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.signal, null, `the child was killed by ${String(child.signal)}:\n${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout) as Record<string, string>;
    assert.equal(Object.keys(out).length, addresses.length * (REQUESTS.length + 2));
    for (const [call, result] of Object.entries(out)) {
      assert.equal(result, 'ERR_INVALID_THIS: Illegal invocation: not a kvm-caps device handle', call);
    }
  });

  function expectKindRefused(handle: NativeExternal, kind: 'system' | 'vm' | 'sev'): void {
    const b = binding() as unknown as Loose;
    const refused = REQUESTS.filter((r) => !r.kinds.includes(kind));
    assert.ok(refused.length > 0);
    for (const { fn, request, args } of refused) {
      expectInvalidThis(
        () => b[fn]!(handle, ...args),
        `${fn} on a ${kind} handle`,
        new RegExp(`^${request} is not a request for a ${kind} handle$`),
      );
    }
  }

  test('a system or SEV handle given to a request of another kind is refused', () => {
    const b = binding();
    const system = b.openKvm('/dev/null');
    const sev = b.openSev('/dev/null');
    try {
      expectKindRefused(system, 'system');
      expectKindRefused(sev, 'sev');
    } finally {
      b.close(system);
      b.close(sev);
    }
  });

  test('a VM handle given to a system request is refused', { skip: kvmSkipReason }, () => {
    const b = binding();
    const kvm = b.openKvm(kvmDevicePath);
    const vm = b.createVm(kvm, 0);
    try {
      expectKindRefused(vm, 'vm');
      assert.equal(typeof b.checkExtension(vm, 1), 'number', 'and it still serves VM requests');
    } finally {
      b.close(vm);
      b.close(kvm);
    }
  });
});

describe('fd accounting', () => {
  test('10,000 open/close cycles leave the fd count unchanged', () => {
    const before = fdsOn(watchedFds);
    const total = fdEntries().length;
    for (let i = 0; i < 10_000; i++) {
      const h = openSystemHandle('/dev/null');
      if (i % 2 === 0) {
        assert.equal((thrown(() => h.apiVersion()) as KvmSystemError).code, 'ENOTTY');
      }
      h.close();
    }
    assert.deepEqual(fdsOn(watchedFds), before);
    assert.ok(fdEntries().length <= total, 'no fd left behind');
  });

  test('10,000 handles dropped without close() are closed by GC (child with --expose-gc)', () => {
    // Half are DeviceHandles, half the bare Externals the binding returns: the External's
    // finalizer closes the fd either way.
    const script = `
      import { readdirSync, readlinkSync } from 'node:fs';
      import { binding } from ${JSON.stringify(bindingUrl)};
      import { openSystemHandle } from ${JSON.stringify(handleUrl)};
      const nullFds = () => readdirSync('/proc/self/fd').filter((fd) => {
        try { return readlinkSync('/proc/self/fd/' + fd) === '/dev/null'; } catch { return false; }
      }).length;
      const b = binding();
      const before = nullFds();
      const held = [];
      for (let i = 0; i < 10000; i++) held.push(i % 2 === 0 ? openSystemHandle('/dev/null') : b.openKvm('/dev/null'));
      const peak = nullFds();
      held.length = 0;
      const start = Date.now();
      let after = nullFds();
      while (after > before && Date.now() - start < 15000) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
        after = nullFds();
      }
      console.log(JSON.stringify({ before, peak, after, ms: Date.now() - start }));`;
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.status, 0, `child failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout) as { before: number; peak: number; after: number; ms: number };
    assert.equal(result.peak, result.before + 10_000, 'all 10,000 handles were open at once');
    assert.equal(result.after, result.before, `fds left after GC: ${JSON.stringify(result)}`);
  });
});

/** What the probe below uses: handles as the library opens them, and the bare binding. */
interface ProbeApi {
  openKvm: typeof openSystemHandle;
  DeviceHandle: typeof DeviceHandle;
  native: NativeBinding;
}
const probeApi = (): ProbeApi => ({ openKvm: openSystemHandle, DeviceHandle, native: binding() });

// The same probe, as JavaScript source, for the main thread and for a worker, so both
// run identical code. CPUID fields that name the CPU running the ioctl (APIC IDs) are
// masked, since the two threads may run on different CPUs.
const collectSource =
  `(b, device) => {
  const describe = (e) => ({ ctor: e.constructor.name, isError: e instanceof Error, ` +
  `message: e.message, fields: { ...e } });
  const attempt = (f) => { try { const value = f(); return { value ` +
  `}; } catch (e) { return { error: describe(e) }; } };
  const stable = (entries) => entries.map((e) => {
    ` +
  `const c = { ...e };
    if (e.function === 1) c.ebx = (e.ebx & 0xffffff) >>> 0;
    if (e.function === 0xb ` +
  `|| e.function === 0x1f) c.edx = 0;
    if (e.function === 0x8000001e) { c.eax = 0; c.ebx = 0; }
    return ` +
  `c;
  });
  const out = {};
  out.enoent = attempt(() => b.openKvm('/nonexistent/kvm-caps'));
  const n = ` +
  `b.openKvm('/dev/null');
  out.nullHandle = { ...n };
  out.enotty = attempt(() => n.apiVersion());
  ` +
  `out.enottyList = Array.from(n.checkExtensions([0, 1, 2]));
  out.typeError = attempt(() => ` +
  `n.checkExtension('1'));
  out.rangeError = attempt(() => n.getDeviceAttr(0, -1n));
  n.close();
  out.ebadf ` +
  `= attempt(() => n.checkExtension(0));
  out.illegal = attempt(() => new b.DeviceHandle());
  ` +
  `out.invalidThis = attempt(() => b.DeviceHandle.prototype.apiVersion.call({}));
  out.nativeInvalid = ` +
  `attempt(() => b.native.apiVersion({}));
  const raw = b.native.openKvm('/dev/null');
  out.nativeEnotty = ` +
  `attempt(() => b.native.checkExtension(raw, 1));
  b.native.close(raw);
  out.nativeEbadf = attempt(() => ` +
  `b.native.checkExtension(raw, 1));
  if (device) {
    const h = b.openKvm(device);
    const caps = ` +
  `Array.from({ length: 300 }, (_, i) => i);
    out.apiVersion = h.apiVersion();
    out.caps = ` +
  `Array.from(h.checkExtensions(caps));
    out.capsOneByOne = caps.map((c) => h.checkExtension(c));
    ` +
  `out.vcpuMmapSize = h.vcpuMmapSize();
    out.supportedCpuid = stable(h.supportedCpuid(1));
    ` +
  `out.emulatedCpuid = stable(h.emulatedCpuid());
    out.msrIndexList = h.msrIndexList();
    ` +
  `out.msrFeatureIndexList = h.msrFeatureIndexList();
    out.featureMsrs = ` +
  `h.getMsrs(out.msrFeatureIndexList).map(String);
    out.xcomp = String(h.getDeviceAttr(0, 0n));
    ` +
  `out.enxio = attempt(() => h.getDeviceAttr(0, 99));
    const vm = h.createVm(0);
    out.vm = { ...vm, ` +
  `caps: Array.from(vm.checkExtensions(caps)) };
    out.vmSystemOnly = attempt(() => vm.apiVersion());
    ` +
  `out.createVm5 = attempt(() => { h.createVm(5).close(); return 'created'; });
    vm.close();
    ` +
  `h.close();
  }
  return out;
}`;

function runWorker(code: string, workerData: Record<string, unknown>): Worker {
  // On Node 20, \`execArgv: ['--import', 'tsx']\` does not reach a worker: tsx only registers
  // its hooks on the main thread there. The worker registers them itself instead.
  const prelude =
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const ready = ` +
    `import(workerData.tsxEsmApiUrl)
      .then(({ register }) => { register(); return ` +
    `Promise.all([import(workerData.bindingUrl), import(workerData.handleUrl)]); })
      .then(([{ binding }, ` +
    '{ openSystemHandle, DeviceHandle }]) => ({ openKvm: openSystemHandle, DeviceHandle, native: binding() ' +
    `}));
  `;
  return new Worker(prelude + code, { eval: true, workerData: { tsxEsmApiUrl, bindingUrl, handleUrl, ...workerData } });
}

function messageFrom(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
  });
}

describe('worker_threads', () => {
  const device = kvmSkipReason === undefined ? kvmDevicePath : undefined;

  test('the addon gives identical results in a worker and the main thread', async () => {
    const collect = new Function(`return ${collectSource}`)() as (b: ProbeApi, device?: string) => unknown;
    const mine = collect(probeApi(), device);
    const worker = runWorker(
      `ready.then((b) => parentPort.postMessage((${collectSource})(b, workerData.device)),
                  (e) => parentPort.postMessage({ failed: String(e && e.stack || e) }));`,
      { device },
    );
    try {
      const theirs = await messageFrom(worker);
      assert.deepEqual(theirs, mine);
    } finally {
      await worker.terminate();
    }
    // The main thread's instance of the addon is untouched by the worker's teardown.
    assert.deepEqual(collect(probeApi(), device), mine);
  });

  test('terminating a worker in the middle of a call loop leaves the fd count unchanged', async () => {
    const before = fdsOn(watchedFds);
    const total = fdEntries().length;
    const worker = runWorker(
      `ready.then((b) => {
        const kept = [];
        for (let i = 0; ; i++) {
          const n = b.openKvm('/dev/null');
          try { n.checkExtension(i % 300); } catch {}
          try { n.getDeviceAttr(0, BigInt(i)); } catch {}
          if (i % 3 === 0) n.close(); else kept.push(n);
          if (i % 5 === 0) kept.push(b.native.openKvm('/dev/null'));
          if (workerData.device && i % 10 === 0) {
            const h = b.openKvm(workerData.device);
            h.checkExtensions([0, 1, 2, 3]);
            const vm = h.createVm(0);
            vm.checkExtension(1);
            if (i % 20 === 0) { vm.close(); h.close(); } else if (kept.length < 2000) kept.push(h, vm);
          }
          if (kept.length >= 2000) kept.length = 0; // dropped, left to GC and teardown
          if (i === 1000) parentPort.postMessage('looping');
        }
      }, (e) => parentPort.postMessage({ failed: String(e && e.stack || e) }));`,
      { device },
    );
    assert.equal(await messageFrom(worker), 'looping');
    await sleep(50);
    const during = fdsOn(watchedFds);
    assert.ok(during['/dev/null']! > before['/dev/null']!, 'the worker holds open handles when it is terminated');
    if (device !== undefined) assert.ok(during['anon_inode:kvm-vm']! > before['anon_inode:kvm-vm']!, 'and VMs');
    await worker.terminate();
    // Teardown finalizes the worker's handles; give it a bounded moment.
    const deadline = Date.now() + 5_000;
    while (JSON.stringify(fdsOn(watchedFds)) !== JSON.stringify(before) && Date.now() < deadline) await sleep(20);
    assert.deepEqual(fdsOn(watchedFds), before);
    assert.ok(fdEntries().length <= total, `fds: ${fdEntries().length} now, ${total} before`);
    // The main thread still works.
    assert.equal((thrown(() => openNull().apiVersion()) as KvmSystemError).code, 'ENOTTY');
  });
});
