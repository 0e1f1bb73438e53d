// The addon against the real /dev/kvm, compared answer for answer with an independent
// oracle (test/oracle/kvm_oracle.c: plain C on the system's own <linux/kvm.h>, fixed
// buffers) run in a child process on the same device.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { CpuidEntry } from '../lib/native/binding.js';
import { DeviceHandle, openSystemHandle } from '../lib/native/handle.js';
import type { KvmSystemError } from '../lib/native/errors.js';
import { errnoDescription, errnoName } from '../lib/native/errors.js';
import { ok, oracle } from './helpers/kvm-oracle.js';
import { kvmDevicePath, kvmSkipReason } from './helpers/kvm-device.js';

const CAP_COUNT = 300;
const ENXIO = 6;
const O_CLOEXEC = 0o2000000;
const O_ACCMODE = 0o3;
const O_RDWR = 0o2;

const handles: DeviceHandle[] = [];
let systemCache: DeviceHandle | undefined;
function system(): DeviceHandle {
  systemCache ??= track(openSystemHandle(kvmDevicePath));
  return systemCache;
}
function track(handle: DeviceHandle): DeviceHandle {
  handles.push(handle);
  return handle;
}
after(() => {
  for (const handle of handles) handle.close();
});

const allCaps = Array.from({ length: CAP_COUNT }, (_, cap) => cap);

function expectSystemError(
  fn: () => unknown,
  expected: { errno: number; syscall: string; request?: string; path: string },
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof Error, 'a system error is an Error');
    const e = error as KvmSystemError;
    const code = errnoName(expected.errno);
    assert.deepEqual(
      { code: e.code, errno: e.errno, syscall: e.syscall, request: e.request, path: e.path },
      { code, errno: -expected.errno, syscall: expected.syscall, request: expected.request, path: expected.path },
    );
    const what = expected.request === undefined ? expected.syscall : `${expected.syscall} ${expected.request}`;
    assert.equal(e.message, `${code}: ${errnoDescription(expected.errno)}, ${what} '${expected.path}'`);
    return true;
  });
}

/** The fds of this process whose /proc/self/fd link is `target`. */
function fdsLinkingTo(target: string): Set<number> {
  const fds = new Set<number>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) === target) fds.add(Number(name));
    } catch {
      // The fd readdir itself used, already closed.
    }
  }
  return fds;
}

/** The open flags of `fd` from /proc/self/fdinfo (the kernel prints them in octal). */
function fdFlags(fd: number): number {
  const match = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  assert.ok(match?.[1] !== undefined, `no flags line in /proc/self/fdinfo/${fd}`);
  return parseInt(match[1], 8);
}

/** Runs `open` and returns the one fd linking to `target` that it added. */
function newFdOf(target: string, open: () => DeviceHandle): { handle: DeviceHandle; fd: number } {
  const before = fdsLinkingTo(target);
  const handle = track(open());
  const added = [...fdsLinkingTo(target)].filter((fd) => !before.has(fd));
  assert.equal(added.length, 1, `expected exactly one new fd on ${target}, got ${added.length}`);
  return { handle, fd: added[0]! };
}

/**
 * KVM fills a few CPUID fields from the host CPU that happens to run the ioctl: the
 * initial APIC ID (leaf 1 EBX[31:24]), the x2APIC ID (EDX of leaves 0xB and 0x1F) and, on
 * AMD, the extended APIC and core IDs (leaf 0x8000001E EAX/EBX). Two processes on
 * different CPUs legitimately disagree there, so those fields are masked before comparing.
 */
function stableCpuid(entries: CpuidEntry[]): CpuidEntry[] {
  return entries.map((e) => {
    const copy = { ...e };
    if (e.function === 0x1) copy.ebx = (e.ebx & 0x00ffffff) >>> 0;
    if (e.function === 0xb || e.function === 0x1f) copy.edx = 0;
    if (e.function === 0x8000001e) {
      copy.eax = 0;
      copy.ebx = 0;
    }
    return copy;
  });
}

function cpuVendor(entries: CpuidEntry[]): string {
  const leaf0 = entries.find((e) => e.function === 0 && e.index === 0);
  if (leaf0 === undefined) return 'unknown';
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32LE(leaf0.ebx, 0);
  bytes.writeUInt32LE(leaf0.edx, 4);
  bytes.writeUInt32LE(leaf0.ecx, 8);
  return bytes.toString('latin1');
}

describe('system handle on /dev/kvm', { skip: kvmSkipReason }, () => {
  test('the handle describes itself', () => {
    const h = system();
    assert.equal(h.path, kvmDevicePath);
    assert.equal(h.kind, 'system');
    assert.equal(h.vmType, null);
    assert.equal(h.isClosed(), false);
    assert.ok(h instanceof DeviceHandle);
  });

  test('KVM_GET_API_VERSION', () => {
    assert.equal(system().apiVersion(), oracle().apiVersion);
    assert.equal(system().apiVersion(), 12);
  });

  test('KVM_CHECK_EXTENSION 0..299 one at a time', () => {
    const h = system();
    assert.deepEqual(
      allCaps.map((cap) => h.checkExtension(cap)),
      oracle().system,
    );
  });

  test('KVM_CHECK_EXTENSION 0..299 in one checkExtensions call', () => {
    const expected = Int32Array.from(oracle().system);
    assert.deepEqual(system().checkExtensions(Uint32Array.from(allCaps)), expected);
    assert.deepEqual(system().checkExtensions(allCaps), expected);
    assert.deepEqual(system().checkExtensions([]), new Int32Array(0));
    // Order and repetition are the caller's.
    assert.deepEqual(
      system().checkExtensions([299, 0, 299]),
      Int32Array.from([oracle().system[299]!, oracle().system[0]!, oracle().system[299]!]),
    );
  });

  test('KVM_GET_VCPU_MMAP_SIZE', () => {
    assert.equal(system().vcpuMmapSize(), oracle().vcpuMmapSize);
    assert.ok(system().vcpuMmapSize() >= 4096);
  });

  test('KVM_GET_SUPPORTED_CPUID, with the default capacity and grown from 1 on E2BIG', () => {
    const expected = stableCpuid(ok(oracle().supportedCpuid, 'KVM_GET_SUPPORTED_CPUID'));
    assert.ok(expected.length > 1, 'the E2BIG path needs more than one entry');
    const h = system();
    assert.deepEqual(stableCpuid(h.supportedCpuid()), expected);
    assert.deepEqual(stableCpuid(h.supportedCpuid(1)), expected);
    // Exactly enough room, one entry short of it, and more than KVM_MAX_CPUID_ENTRIES.
    assert.deepEqual(stableCpuid(h.supportedCpuid(expected.length)), expected);
    assert.deepEqual(stableCpuid(h.supportedCpuid(expected.length - 1)), expected);
    assert.deepEqual(stableCpuid(h.supportedCpuid(4096)), expected);
    for (const entry of h.supportedCpuid()) {
      for (const value of Object.values(entry)) assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff);
    }
  });

  test('KVM_GET_EMULATED_CPUID, with the default capacity and grown from 1', () => {
    const expected = stableCpuid(ok(oracle().emulatedCpuid, 'KVM_GET_EMULATED_CPUID'));
    assert.deepEqual(stableCpuid(system().emulatedCpuid()), expected);
    assert.deepEqual(stableCpuid(system().emulatedCpuid(1)), expected);
  });

  test('KVM_GET_MSR_INDEX_LIST and KVM_GET_MSR_FEATURE_INDEX_LIST', () => {
    assert.deepEqual(system().msrIndexList(), ok(oracle().msrIndexList, 'KVM_GET_MSR_INDEX_LIST'));
    assert.deepEqual(
      system().msrFeatureIndexList(),
      ok(oracle().msrFeatureIndexList, 'KVM_GET_MSR_FEATURE_INDEX_LIST'),
    );
  });

  test('KVM_GET_MSRS on the feature list', () => {
    const expected = ok(oracle().featureMsrs, 'KVM_GET_MSRS');
    const features = system().msrFeatureIndexList();
    const values = system().getMsrs(features);
    assert.ok(values.every((v) => typeof v === 'bigint'));
    assert.equal(values.length, expected.count);
    assert.deepEqual(values.map(String), expected.values);
    assert.deepEqual(system().getMsrs(Uint32Array.from(features)), values);
    assert.deepEqual(system().getMsrs([]), []);
    // The kernel stops at the first MSR it cannot read: the answer is the prefix before it.
    if (features.length >= 2 && expected.count >= 1) {
      assert.deepEqual(system().getMsrs([features[0]!, 0xdeadbeef, features[1]!]), [BigInt(expected.values[0]!)]);
    }
  });

  test('KVM_GET_DEVICE_ATTR / KVM_HAS_DEVICE_ATTR for KVM_X86_XCOMP_GUEST_SUPP', () => {
    const expected = BigInt(ok(oracle().xcompGuestSupp, 'KVM_GET_DEVICE_ATTR'));
    assert.equal(system().getDeviceAttr(0, 0), expected);
    assert.equal(system().getDeviceAttr(0, 0n), expected);
    assert.equal(oracle().deviceAttrProbes.has_0_0, 0);
    assert.equal(system().hasDeviceAttr(0, 0), true);
    assert.equal(system().hasDeviceAttr(0, 0n), true);
  });

  test('unknown device attributes fail with ENXIO, naming the request', () => {
    const probes = oracle().deviceAttrProbes;
    assert.equal(probes.get_0_99, -ENXIO, 'group 0 only knows attribute 0');
    expectSystemError(() => system().getDeviceAttr(0, 99), {
      errno: ENXIO,
      syscall: 'ioctl',
      request: 'KVM_GET_DEVICE_ATTR',
      path: kvmDevicePath,
    });
    expectSystemError(() => system().hasDeviceAttr(0, 99n), {
      errno: ENXIO,
      syscall: 'ioctl',
      request: 'KVM_HAS_DEVICE_ATTR',
      path: kvmDevicePath,
    });
    // Group 1 is KVM_X86_GRP_SEV, which only an AMD host with SEV in KVM answers.
    const vendor = cpuVendor(ok(oracle().supportedCpuid, 'KVM_GET_SUPPORTED_CPUID'));
    if (vendor !== 'AuthenticAMD') assert.equal(probes.has_1_0, -ENXIO, `group 1 on a ${vendor} host`);
    if (probes.has_1_0 === 0) {
      assert.equal(system().hasDeviceAttr(1, 0), true);
    } else {
      expectSystemError(() => system().hasDeviceAttr(1, 0), {
        errno: -probes.has_1_0,
        syscall: 'ioctl',
        request: 'KVM_HAS_DEVICE_ATTR',
        path: kvmDevicePath,
      });
    }
  });

  test('the /dev/kvm fd is O_RDWR | O_CLOEXEC', () => {
    const { handle, fd } = newFdOf(kvmDevicePath, () => openSystemHandle(kvmDevicePath));
    const flags = fdFlags(fd);
    assert.equal(flags & O_CLOEXEC, O_CLOEXEC, `flags 0${flags.toString(8)}`);
    assert.equal(flags & O_ACCMODE, O_RDWR, `flags 0${flags.toString(8)}`);
    handle.close();
    assert.equal(fdsLinkingTo(kvmDevicePath).has(fd), false, 'close() releases the fd');
  });
});

describe('VM handle from KVM_CREATE_VM', { skip: kvmSkipReason }, () => {
  let vmCache: DeviceHandle | undefined;
  const vm = (): DeviceHandle => (vmCache ??= track(system().createVm(0)));

  test('createVm(0) gives a VM handle', () => {
    assert.equal(oracle().createVm0, true);
    const h = vm();
    assert.equal(h.kind, 'vm');
    assert.equal(h.vmType, 0);
    assert.equal(h.path, kvmDevicePath);
    assert.equal(h.isClosed(), false);
    assert.ok(h instanceof DeviceHandle);
  });

  test('KVM_CHECK_EXTENSION 0..299 on the VM fd', () => {
    const expected = ok(oracle().vm, 'KVM_CREATE_VM(0)');
    const h = vm();
    assert.deepEqual(
      allCaps.map((cap) => h.checkExtension(cap)),
      expected,
    );
    assert.deepEqual(h.checkExtensions(Uint32Array.from(allCaps)), Int32Array.from(expected));
    assert.deepEqual(h.checkExtensions(allCaps), Int32Array.from(expected));
  });

  test('the VM fd is O_CLOEXEC, and close() destroys it', () => {
    const { handle, fd } = newFdOf('anon_inode:kvm-vm', () => system().createVm(0));
    const flags = fdFlags(fd);
    assert.equal(flags & O_CLOEXEC, O_CLOEXEC, `flags 0${flags.toString(8)}`);
    handle.close();
    assert.equal(handle.isClosed(), true);
    assert.equal(fdsLinkingTo('anon_inode:kvm-vm').has(fd), false, 'close() releases the VM fd');
    expectSystemError(() => handle.checkExtension(0), {
      errno: 9,
      syscall: 'ioctl',
      request: 'KVM_CHECK_EXTENSION',
      path: kvmDevicePath,
    });
  });

  test('createVm(type) for types 1..5 agrees with the oracle', () => {
    const types = Object.entries(oracle().createVmTypes);
    assert.equal(types.length, 5);
    for (const [name, result] of types) {
      const type = Number(name);
      if (result === 0) {
        const h = track(system().createVm(type));
        assert.equal(h.kind, 'vm');
        assert.equal(h.vmType, type);
        h.close();
      } else {
        expectSystemError(() => system().createVm(type), {
          errno: -result,
          syscall: 'ioctl',
          request: 'KVM_CREATE_VM',
          path: kvmDevicePath,
        });
      }
    }
  });

  test('system-only requests on a VM handle throw TypeError', () => {
    const h = vm();
    const calls: Array<[string, () => unknown]> = [
      ['KVM_GET_API_VERSION', () => h.apiVersion()],
      ['KVM_GET_VCPU_MMAP_SIZE', () => h.vcpuMmapSize()],
      ['KVM_GET_SUPPORTED_CPUID', () => h.supportedCpuid()],
      ['KVM_GET_EMULATED_CPUID', () => h.emulatedCpuid(8)],
      ['KVM_GET_MSR_INDEX_LIST', () => h.msrIndexList()],
      ['KVM_GET_MSR_FEATURE_INDEX_LIST', () => h.msrFeatureIndexList()],
      ['KVM_GET_MSRS', () => h.getMsrs([0x10a])],
      ['KVM_HAS_DEVICE_ATTR', () => h.hasDeviceAttr(0, 0)],
      ['KVM_GET_DEVICE_ATTR', () => h.getDeviceAttr(0, 0n)],
      ['KVM_CREATE_VM', () => h.createVm(0)],
    ];
    for (const [request, call] of calls) {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof TypeError, `${request}: ${String(error)}`);
        assert.match(error.message, new RegExp(`^${request} `));
        assert.match(String((error as { code?: unknown }).code), /^ERR_/);
        return true;
      });
    }
    // The VM still works after the refusals.
    assert.equal(h.checkExtension(0), ok(oracle().vm, 'KVM_CREATE_VM(0)')[0]);
  });
});
