// A focused exerciser for valgrind (test/valgrind/run.sh): every native call, its error
// paths, use after close and handles left to GC, many times over, then a check that
// every fd the script opened is closed again. Not a node:test file: it is meant to be
// run alone, under valgrind, as a bundle (run.sh), or directly for a quick look:
//
//   node --expose-gc --import tsx test/valgrind/leaks.ts [rounds]
//
// Exit 0: every call behaved as expected and the fd count is back where it started.
// Exit 1: an unexpected result (printed). valgrind's own verdict is run.sh's business.
//
// The fd count staying flat over 10,000 lifecycles (closed, and dropped to GC) is tested
// by test/native-errors.test.ts ("fd accounting"); this script checks it for the handles
// it makes, at a size valgrind can run.
import { readdirSync, readlinkSync } from 'node:fs';
import type { NativeBinding } from '../../lib/native/binding.js';
import { binding } from '../../lib/native/binding.js';
import { DeviceHandle, openSevHandle, openSystemHandle } from '../../lib/native/handle.js';
import { KVM_CAPABILITIES } from '../../lib/knowledge/capabilities.js';

const ROUNDS = Number.parseInt(process.argv[2] ?? '', 10) || 50;
const DROPPED_PER_ROUND = 20;
const DEVICE = process.env.KVM_CAPS_LEAKS_DEVICE || '/dev/kvm';
const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== 'function') {
  console.error('leaks: run with node --expose-gc');
  process.exit(2);
}

const CAPS = new Uint32Array(KVM_CAPABILITIES.map(([, n]) => n));
const KVM_X86_GRP_SYSTEM = 0;
const KVM_X86_XCOMP_GUEST_SUPP = 0;

const problems: string[] = [];
const counts: Record<string, number> = {};
function count(what: string): void {
  counts[what] = (counts[what] ?? 0) + 1;
}
function problem(text: string): void {
  if (problems.length < 50) problems.push(text);
}

type Loose = Record<string, (...args: unknown[]) => unknown>;
const loose = (x: unknown): Loose => x as Loose;

/** Runs `fn`, which must throw an error with `code` (a Node-style code: ENOTTY, ERR_OUT_OF_RANGE...). */
function expectThrow(what: string, code: string | readonly string[], fn: () => unknown): void {
  const codes = typeof code === 'string' ? [code] : code;
  try {
    fn();
  } catch (error) {
    const got = (error as { code?: unknown }).code;
    if (!(error instanceof Error) || !codes.includes(String(got)))
      problem(`${what}: threw ${String(got)} (${String(error)}), expected ${codes.join('|')}`);
    else count(`throws ${codes.join('|')}`);
    return;
  }
  problem(`${what}: returned, expected ${codes.join('|')}`);
}

/** Runs `fn`, which may answer or fail with a system error, depending on the host (TDX, SEV). */
function hostDependent(what: string, fn: () => unknown): void {
  try {
    fn();
    count('host-dependent: answered');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!(error instanceof Error) || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code))
      problem(`${what}: threw ${String(error)}`);
    else count(`host-dependent: ${code}`);
  }
}

async function expectReject(what: string, code: string, promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const got = (error as { code?: unknown }).code;
    if (!(error instanceof Error) || got !== code) problem(`${what}: rejected with ${String(got)}, expected ${code}`);
    else count(`rejects ${code}`);
    return;
  }
  problem(`${what}: resolved, expected a ${code} rejection`);
}

function fdsOn(): Record<string, number> {
  const out: Record<string, number> = { '/dev/null': 0, [DEVICE]: 0, 'anon_inode:kvm-vm': 0 };
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target in out) out[target] = (out[target] ?? 0) + 1;
    } catch {
      // The fd readdir itself used, closed by now.
    }
  }
  return out;
}

function kvmRound(): void {
  const kvm = openSystemHandle(DEVICE);
  kvm.apiVersion();
  kvm.checkExtension(CAPS[0] as number);
  kvm.checkExtensions(CAPS);
  kvm.checkExtensions([0, 1, 2, 0xffffffff]);
  kvm.vcpuMmapSize();
  const supported = kvm.supportedCpuid();
  kvm.supportedCpuid(1); // grows from one entry: E2BIG, doubled, until it fits
  kvm.emulatedCpuid();
  kvm.emulatedCpuid(1);
  kvm.msrIndexList();
  const features = kvm.msrFeatureIndexList();
  kvm.getMsrs(features);
  kvm.getMsrs(new Uint32Array([...features.slice(0, 2), 0xdeadbeef, ...features.slice(2, 4)])); // stops short
  hostDependent('hasDeviceAttr(SYSTEM, XCOMP_GUEST_SUPP)', () =>
    kvm.hasDeviceAttr(KVM_X86_GRP_SYSTEM, KVM_X86_XCOMP_GUEST_SUPP),
  );
  hostDependent('getDeviceAttr(SYSTEM, XCOMP_GUEST_SUPP)', () => kvm.getDeviceAttr(KVM_X86_GRP_SYSTEM, 0n));
  expectThrow('hasDeviceAttr(0, 99)', 'ENXIO', () => kvm.hasDeviceAttr(0, 99));
  expectThrow('getDeviceAttr(0, 2^64-1)', 'ENXIO', () => kvm.getDeviceAttr(0, 2n ** 64n - 1n));
  expectThrow('getDeviceAttr(99, 0)', 'ENXIO', () => kvm.getDeviceAttr(99, 0));
  expectThrow('createVm(0xffff)', 'EINVAL', () => kvm.createVm(0xffff));
  // Requests for another kind of handle.
  expectThrow('tdxCapabilities on a system handle', 'ERR_INVALID_THIS', () => kvm.tdxCapabilities());
  expectThrow('sevPlatformStatus on a system handle', 'ERR_INVALID_THIS', () => kvm.sevPlatformStatus());

  const vm = kvm.createVm(0);
  vm.checkExtension(1);
  vm.checkExtensions(CAPS);
  expectThrow('vm.apiVersion', 'ERR_INVALID_THIS', () => vm.apiVersion());
  expectThrow('vm.createVm', 'ERR_INVALID_THIS', () => vm.createVm(0));
  // Confidential-computing requests on a default VM: error paths on this host, with
  // their hwError / firmwareError extras.
  hostDependent('vm.tdxCapabilities()', () => vm.tdxCapabilities());
  hostDependent('vm.tdxCapabilities(1)', () => vm.tdxCapabilities(1));
  hostDependent('vm.tdxInitVm', () => vm.tdxInitVm({ attributes: 0n, xfam: 3, cpuid: supported.slice(0, 8) }));
  hostDependent('vm.tdxInitVm, no CPUID entries', () => vm.tdxInitVm({ attributes: 0n, xfam: 3n, cpuid: [] }));
  hostDependent('vm.sevInit2', () => vm.sevInit2({ vmsaFeatures: 0n, flags: 0, ghcbVersion: 0 }));
  // Argument errors of the structured requests.
  expectThrow('tdxInitVm(null)', 'ERR_INVALID_ARG_TYPE', () => loose(vm).tdxInitVm!(null));
  expectThrow('tdxInitVm bad attributes', 'ERR_INVALID_ARG_TYPE', () =>
    loose(vm).tdxInitVm!({ attributes: 'x', xfam: 0, cpuid: [] }),
  );
  expectThrow('tdxInitVm bad cpuid', ['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE'], () =>
    loose(vm).tdxInitVm!({ attributes: 0, xfam: 0, cpuid: [{ function: -1 }] }),
  );
  expectThrow('sevInit2 ghcbVersion 70000', 'ERR_OUT_OF_RANGE', () =>
    vm.sevInit2({ vmsaFeatures: 0, flags: 0, ghcbVersion: 70000 }),
  );
  expectThrow('sevInit2 bad vmsaFeatures', 'ERR_OUT_OF_RANGE', () =>
    vm.sevInit2({ vmsaFeatures: -1n, flags: 0, ghcbVersion: 0 }),
  );
  vm.close();
  expectThrow('vm after close', 'EBADF', () => vm.checkExtension(1));
  kvm.close();
  expectThrow('kvm after close', 'EBADF', () => kvm.apiVersion());
  expectThrow('supportedCpuid after close', 'EBADF', () => kvm.supportedCpuid());
  kvm.close(); // idempotent
}

function nullRound(b: NativeBinding): void {
  const n = openSystemHandle('/dev/null');
  const h = loose(n);
  expectThrow('apiVersion on /dev/null', 'ENOTTY', () => n.apiVersion());
  expectThrow('supportedCpuid on /dev/null', 'ENOTTY', () => n.supportedCpuid(1));
  expectThrow('msrIndexList on /dev/null', 'ENOTTY', () => n.msrIndexList());
  expectThrow('getMsrs on /dev/null', 'ENOTTY', () => n.getMsrs([0x10a]));
  expectThrow('createVm on /dev/null', 'ENOTTY', () => n.createVm(0));
  n.checkExtensions([0, 1, 2]); // failures in the slots, no throw
  // Argument errors.
  expectThrow('checkExtension("1")', 'ERR_INVALID_ARG_TYPE', () => h.checkExtension!('1'));
  expectThrow('checkExtension(-1)', 'ERR_OUT_OF_RANGE', () => h.checkExtension!(-1));
  expectThrow('checkExtension(2^32)', 'ERR_OUT_OF_RANGE', () => h.checkExtension!(2 ** 32));
  expectThrow('checkExtensions([1, "x"])', 'ERR_INVALID_ARG_TYPE', () => h.checkExtensions!([1, 'x']));
  expectThrow('checkExtensions(65537)', 'ERR_OUT_OF_RANGE', () => h.checkExtensions!(new Uint32Array(65537)));
  expectThrow('getMsrs(Int32Array)', 'ERR_INVALID_ARG_TYPE', () => h.getMsrs!(new Int32Array(2)));
  expectThrow('getDeviceAttr(0, -1n)', 'ERR_OUT_OF_RANGE', () => h.getDeviceAttr!(0, -1n));
  expectThrow('getDeviceAttr(0, 2^64)', 'ERR_OUT_OF_RANGE', () => h.getDeviceAttr!(0, 2n ** 64n));
  expectThrow('hasDeviceAttr("0", 0)', 'ERR_INVALID_ARG_TYPE', () => h.hasDeviceAttr!('0', 0));
  expectThrow('supportedCpuid(1.5)', 'ERR_OUT_OF_RANGE', () => h.supportedCpuid!(1.5));
  // this-checks and the constructor.
  expectThrow('method on {}', 'ERR_INVALID_THIS', () => h.apiVersion!.call({}));
  const unbound = n.checkExtension;
  expectThrow('unbound method', 'ERR_INVALID_THIS', () => unbound(0));
  expectThrow(
    'new DeviceHandle()',
    'ERR_ILLEGAL_CONSTRUCTOR',
    () => new (DeviceHandle as unknown as new (...a: unknown[]) => unknown)(),
  );
  expectThrow(
    'new DeviceHandle(3)',
    'ERR_ILLEGAL_CONSTRUCTOR',
    () => new (DeviceHandle as unknown as new (...a: unknown[]) => unknown)(3),
  );
  n.close();
  // The binding's own functions, given no handle, a handle of the wrong kind, a closed one.
  const raw = b.openKvm('/dev/null');
  const sevRaw = b.openSev('/dev/null');
  expectThrow('binding.apiVersion({})', 'ERR_INVALID_THIS', () => loose(b).apiVersion!({}));
  expectThrow('binding.checkExtension(undefined)', 'ERR_INVALID_THIS', () => loose(b).checkExtension!(undefined, 1));
  expectThrow('binding.checkExtension(handle object)', 'ERR_INVALID_THIS', () => loose(b).checkExtension!(n, 1));
  expectThrow('binding.apiVersion(sev)', 'ERR_INVALID_THIS', () => b.apiVersion(sevRaw));
  expectThrow('binding.checkExtension(raw)', 'ENOTTY', () => b.checkExtension(raw, 1));
  expectThrow('binding.checkExtension(raw, "1")', 'ERR_INVALID_ARG_TYPE', () => loose(b).checkExtension!(raw, '1'));
  b.close(raw);
  b.close(sevRaw);
  expectThrow('binding.checkExtension(closed)', 'EBADF', () => b.checkExtension(raw, 1));
  expectThrow('/dev/null after close', 'EBADF', () => n.checkExtensions([0]) && n.checkExtension(0));
  // Open errors.
  expectThrow('openKvm(ENOENT)', 'ENOENT', () => openSystemHandle('/nonexistent/kvm-caps-leaks'));
  expectThrow('openKvm(EISDIR)', 'EISDIR', () => openSystemHandle('/'));
  expectThrow('openSev(ENOENT)', 'ENOENT', () => openSevHandle('/nonexistent/kvm-caps-leaks'));
  expectThrow('openKvm(42)', 'ERR_INVALID_ARG_TYPE', () => loose(b).openKvm!(42));
  expectThrow('openKvm(NUL)', 'ERR_INVALID_ARG_TYPE', () => b.openKvm('/dev/\0null'));
}

async function sevRound(): Promise<void> {
  const sev = openSevHandle('/dev/null');
  // The three /dev/sev commands run on the thread pool; on /dev/null each rejects ENOTTY.
  await Promise.all([
    expectReject('sevPlatformStatus', 'ENOTTY', sev.sevPlatformStatus()),
    expectReject('snpPlatformStatus', 'ENOTTY', sev.snpPlatformStatus()),
    expectReject('sevGetId2', 'ENOTTY', sev.sevGetId2()),
  ]);
  expectThrow('sev.apiVersion', 'ERR_INVALID_THIS', () => loose(sev).apiVersion!());
  // Closing while commands are queued: each works on its own dup of the fd.
  const pending = [sev.sevPlatformStatus(), sev.sevGetId2()];
  sev.close();
  await Promise.all(pending.map((p, i) => expectReject(`command ${i} queued before close`, 'ENOTTY', p)));
  await expectReject(
    'sevPlatformStatus after close',
    'EBADF',
    Promise.resolve().then(() => sev.sevPlatformStatus()),
  );
}

/** Handles made and dropped without close(), left to the finalizer: DeviceHandles and bare Externals. */
function dropRound(b: NativeBinding): void {
  const kept: unknown[] = [];
  for (let i = 0; i < DROPPED_PER_ROUND; i++)
    kept.push(i % 2 === 0 ? openSystemHandle('/dev/null') : b.openKvm('/dev/null'));
  const kvm = openSystemHandle(DEVICE);
  kept.push(kvm, kvm.createVm(0), kvm.createVm(0), openSevHandle('/dev/null'));
  kept.length = 0;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main(): Promise<void> {
  const b = binding();
  const before = fdsOn();
  const start = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    kvmRound();
    nullRound(b);
    await sevRound();
    dropRound(b);
    if (round % 10 === 9) await settle();
  }
  // Collect what was dropped; a bounded wait, since finalizers run after GC, on the loop.
  const deadline = Date.now() + 60_000;
  let after = fdsOn();
  while (JSON.stringify(after) !== JSON.stringify(before) && Date.now() < deadline) {
    await settle();
    after = fdsOn();
  }
  if (JSON.stringify(after) !== JSON.stringify(before))
    problem(`fds not back: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  const lifecycles = ROUNDS * (6 + DROPPED_PER_ROUND + 4);
  console.log(
    JSON.stringify({
      rounds: ROUNDS,
      handleLifecycles: lifecycles,
      ms: Date.now() - start,
      fdsBefore: before,
      fdsAfter: after,
      outcomes: counts,
    }),
  );
  if (problems.length > 0) {
    console.error(`leaks: ${problems.length} unexpected result(s):\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

await main();
