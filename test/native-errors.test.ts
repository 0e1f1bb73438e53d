// The addon's error model and resource handling, mostly without a KVM device: system
// errors shaped like Node's fs errors, argument errors, the handle's lifecycle, fd
// accounting under close, GC and worker termination, and use from a worker_thread.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { NativeBinding, NativeHandle } from '../lib/native/binding.js';
import { binding } from '../lib/native/binding.js';
import type { KvmSystemError } from '../lib/native/errors.js';
import { projectRoot } from './helpers/compile.js';
import { kvmDevicePath, kvmSkipReason } from './helpers/kvm-device.js';

const bindingUrl = new URL('../lib/native/binding.ts', import.meta.url).href;
const tsxEsmApiUrl = import.meta.resolve('tsx/esm/api');
const NOBODY = 65534;

/** A handle's methods with their argument types erased, to pass what TS would refuse. */
type Loose = Record<string, (...args: unknown[]) => unknown>;
const loose = (handle: NativeHandle): Loose => handle as unknown as Loose;

const openHandles: NativeHandle[] = [];
function openNull(): NativeHandle {
  const handle = binding().openKvm('/dev/null');
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
    const error = thrown(() => binding().openKvm(path)) as KvmSystemError;
    assert.deepEqual(fields(error), { code: 'ENOENT', errno: -2, syscall: 'open', path });
    assert.equal(error.message, `ENOENT: no such file or directory, open '${path}'`);
    assert.equal(error.name, 'Error');
    // The same fields and message as Node's own fs error for the same open.
    const node = nodeOpenError(path, 'r+');
    assert.deepEqual(fields(error), fields(node));
    assert.equal(error.message, node.message);
  });

  test('other open errors keep their errno (EISDIR on a directory)', () => {
    const error = thrown(() => binding().openKvm('/')) as KvmSystemError;
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
    skip: process.getuid?.() === 0 ? undefined : 'needs root to start a child as nobody (65534)',
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
      import { binding } from ${JSON.stringify(bindingUrl)};
      const pick = (e) => ({ fields: { ...e }, message: e.message, isError: e instanceof Error });
      const out = { uid: process.getuid(), gid: process.getgid(), results: {} };
      for (const path of ${JSON.stringify(paths)}) {
        const result = {};
        try { binding().openKvm(path).close(); result.ours = 'opened'; } catch (e) { result.ours = pick(e); }
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
    const h = binding().openKvm('/dev/null');
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
    const DeviceHandle = binding().DeviceHandle as unknown as new (...args: unknown[]) => object;
    for (const args of [[], [{}], [3], ['/dev/null'], [undefined, undefined]]) {
      const error = thrown(() => new DeviceHandle(...args));
      assert.ok(error instanceof TypeError, String(error));
      assert.equal((error as { code?: unknown }).code, 'ERR_ILLEGAL_CONSTRUCTOR');
    }
    const error = thrown(() => Reflect.construct(DeviceHandle, []));
    assert.equal((error as { code?: unknown }).code, 'ERR_ILLEGAL_CONSTRUCTOR');
    class Sub extends DeviceHandle {}
    assert.equal((thrown(() => new Sub()) as { code?: unknown }).code, 'ERR_ILLEGAL_CONSTRUCTOR');
    assert.throws(() => (DeviceHandle as unknown as () => unknown)(), TypeError);
  });

  test('methods called on a foreign this throw ERR_INVALID_THIS', () => {
    const DeviceHandle = binding().DeviceHandle;
    const proto = DeviceHandle.prototype as unknown as Loose;
    const names = Object.getOwnPropertyNames(proto).filter((name) => name !== 'constructor');
    assert.deepEqual(names.sort(), [
      'apiVersion', 'checkExtension', 'checkExtensions', 'close', 'createVm', 'emulatedCpuid', 'getDeviceAttr',
      'getMsrs', 'hasDeviceAttr', 'isClosed', 'msrFeatureIndexList', 'msrIndexList', 'sevGetId2', 'sevInit2',
      'sevPlatformStatus', 'snpPlatformStatus', 'supportedCpuid', 'tdxCapabilities', 'tdxInitVm', 'vcpuMmapSize',
    ]);
    const real = openNull();
    const foreign: unknown[] = [
      undefined, null, 0, 'handle', {}, [], () => {}, Object.create(proto), new Proxy(real, {}),
      { ...real }, Object.create(real as object),
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
  });
});

describe('fd accounting', () => {
  test('10,000 open/close cycles leave the fd count unchanged', () => {
    const before = fdsOn(watchedFds);
    const total = fdEntries().length;
    for (let i = 0; i < 10_000; i++) {
      const h = binding().openKvm('/dev/null');
      if (i % 2 === 0) {
        assert.equal((thrown(() => h.apiVersion()) as KvmSystemError).code, 'ENOTTY');
      }
      h.close();
    }
    assert.deepEqual(fdsOn(watchedFds), before);
    assert.ok(fdEntries().length <= total, 'no fd left behind');
  });

  test('10,000 handles dropped without close() are closed by GC (child with --expose-gc)', () => {
    const script = `
      import { readdirSync, readlinkSync } from 'node:fs';
      import { binding } from ${JSON.stringify(bindingUrl)};
      const nullFds = () => readdirSync('/proc/self/fd').filter((fd) => {
        try { return readlinkSync('/proc/self/fd/' + fd) === '/dev/null'; } catch { return false; }
      }).length;
      const b = binding();
      const before = nullFds();
      const held = [];
      for (let i = 0; i < 10000; i++) held.push(b.openKvm('/dev/null'));
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
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: projectRoot, encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(child.status, 0, `child failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout) as { before: number; peak: number; after: number; ms: number };
    assert.equal(result.peak, result.before + 10_000, 'all 10,000 handles were open at once');
    assert.equal(result.after, result.before, `fds left after GC: ${JSON.stringify(result)}`);
  });
});

// The same probe, as JavaScript source, for the main thread and for a worker, so both
// run identical code. CPUID fields that name the CPU running the ioctl (APIC IDs) are
// masked, since the two threads may run on different CPUs.
const collectSource = `(b, device) => {
  const describe = (e) => ({ ctor: e.constructor.name, isError: e instanceof Error, message: e.message, fields: { ...e } });
  const attempt = (f) => { try { const value = f(); return { value }; } catch (e) { return { error: describe(e) }; } };
  const stable = (entries) => entries.map((e) => {
    const c = { ...e };
    if (e.function === 1) c.ebx = (e.ebx & 0xffffff) >>> 0;
    if (e.function === 0xb || e.function === 0x1f) c.edx = 0;
    if (e.function === 0x8000001e) { c.eax = 0; c.ebx = 0; }
    return c;
  });
  const out = {};
  out.enoent = attempt(() => b.openKvm('/nonexistent/kvm-caps'));
  const n = b.openKvm('/dev/null');
  out.nullHandle = { ...n };
  out.enotty = attempt(() => n.apiVersion());
  out.enottyList = Array.from(n.checkExtensions([0, 1, 2]));
  out.typeError = attempt(() => n.checkExtension('1'));
  out.rangeError = attempt(() => n.getDeviceAttr(0, -1n));
  n.close();
  out.ebadf = attempt(() => n.checkExtension(0));
  out.illegal = attempt(() => new b.DeviceHandle());
  out.invalidThis = attempt(() => b.DeviceHandle.prototype.apiVersion.call({}));
  if (device) {
    const h = b.openKvm(device);
    const caps = Array.from({ length: 300 }, (_, i) => i);
    out.apiVersion = h.apiVersion();
    out.caps = Array.from(h.checkExtensions(caps));
    out.capsOneByOne = caps.map((c) => h.checkExtension(c));
    out.vcpuMmapSize = h.vcpuMmapSize();
    out.supportedCpuid = stable(h.supportedCpuid(1));
    out.emulatedCpuid = stable(h.emulatedCpuid());
    out.msrIndexList = h.msrIndexList();
    out.msrFeatureIndexList = h.msrFeatureIndexList();
    out.featureMsrs = h.getMsrs(out.msrFeatureIndexList).map(String);
    out.xcomp = String(h.getDeviceAttr(0, 0n));
    out.enxio = attempt(() => h.getDeviceAttr(0, 99));
    const vm = h.createVm(0);
    out.vm = { ...vm, caps: Array.from(vm.checkExtensions(caps)) };
    out.vmSystemOnly = attempt(() => vm.apiVersion());
    out.createVm5 = attempt(() => { h.createVm(5).close(); return 'created'; });
    vm.close();
    h.close();
  }
  return out;
}`;

function runWorker(code: string, workerData: Record<string, unknown>): Worker {
  // On Node 20, \`execArgv: ['--import', 'tsx']\` does not reach a worker: tsx only registers
  // its hooks on the main thread there. The worker registers them itself instead.
  const prelude = `
    const { parentPort, workerData } = require('node:worker_threads');
    const ready = import(workerData.tsxEsmApiUrl)
      .then(({ register }) => { register(); return import(workerData.bindingUrl); })
      .then(({ binding }) => binding());
  `;
  return new Worker(prelude + code, { eval: true, workerData: { tsxEsmApiUrl, bindingUrl, ...workerData } });
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
    const collect = new Function(`return ${collectSource}`)() as (b: NativeBinding, device?: string) => unknown;
    const mine = collect(binding(), device);
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
    assert.deepEqual(collect(binding(), device), mine);
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
