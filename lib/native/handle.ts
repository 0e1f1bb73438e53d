// The addon's handles as objects. The addon gives out an External per open fd and one
// plain function per request; a DeviceHandle keeps its External in a private field, where
// nothing but these methods can reach it. This keeps a call cheap: V8 checks a private
// field's brand in inlined code, where the addon checking an ObjectWrap `this`
// (napi_unwrap) cost a quarter of a checkExtension call.
import {
  binding,
  type CpuidEntry,
  type NativeBinding,
  type NativeExternal,
  type SevPlatformStatus,
  type SnpPlatformStatus,
  type TdxCapabilities,
} from './binding.js';

// Set by the first open: no handle exists before the addon is loaded, so the methods
// read the binding here instead of calling binding() on every request.
let native: NativeBinding;

// Only this module can construct a handle: openSystemHandle(), openSevHandle(), createVm().
const constructing = Symbol('DeviceHandle');

function codedTypeError(message: string, code: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

export type HandleKind = 'system' | 'vm' | 'sev';

/** One owned fd: /dev/kvm ('system'), a VM ('vm') or /dev/sev ('sev'). */
export class DeviceHandle {
  readonly #handle: NativeExternal;
  declare readonly path: string;
  declare readonly kind: HandleKind;
  /** The type the VM was created with; null on a system or SEV handle. */
  declare readonly vmType: number | null;

  constructor(key: symbol, handle: NativeExternal, path: string, kind: HandleKind, vmType: number | null) {
    if (key !== constructing) {
      throw codedTypeError('Illegal constructor: use openKvm(), openSev() or createVm()', 'ERR_ILLEGAL_CONSTRUCTOR');
    }
    this.#handle = handle;
    Object.defineProperties(this, {
      path: { value: path, enumerable: true },
      kind: { value: kind, enumerable: true },
      vmType: { value: vmType, enumerable: true },
    });
  }

  // A `this` without the field (another object, a Proxy, an unbound call) must be refused
  // here: the addon would only see that it was handed no External.
  static #of(self: unknown): NativeExternal {
    if (typeof self === 'object' && self !== null && #handle in self) return self.#handle;
    throw codedTypeError('Illegal invocation: not a DeviceHandle', 'ERR_INVALID_THIS');
  }

  close(): void {
    native.close(DeviceHandle.#of(this));
  }

  isClosed(): boolean {
    return native.isClosed(DeviceHandle.#of(this));
  }

  apiVersion(): number {
    return native.apiVersion(DeviceHandle.#of(this));
  }

  checkExtension(cap: number): number {
    return native.checkExtension(DeviceHandle.#of(this), cap);
  }

  /** One result per capability; a negative slot is the negated errno of a failed check. */
  checkExtensions(caps: Uint32Array | readonly number[]): Int32Array {
    return native.checkExtensions(DeviceHandle.#of(this), caps);
  }

  vcpuMmapSize(): number {
    return native.vcpuMmapSize(DeviceHandle.#of(this));
  }

  /** `capacity` is the entry count of the first attempt; the buffer doubles on E2BIG. */
  supportedCpuid(capacity?: number): CpuidEntry[] {
    return native.supportedCpuid(DeviceHandle.#of(this), capacity);
  }

  emulatedCpuid(capacity?: number): CpuidEntry[] {
    return native.emulatedCpuid(DeviceHandle.#of(this), capacity);
  }

  msrIndexList(): number[] {
    return native.msrIndexList(DeviceHandle.#of(this));
  }

  msrFeatureIndexList(): number[] {
    return native.msrFeatureIndexList(DeviceHandle.#of(this));
  }

  /** Values of the MSRs read, in order; shorter than `indices` when the kernel stopped at one it could not read. */
  getMsrs(indices: Uint32Array | readonly number[]): bigint[] {
    return native.getMsrs(DeviceHandle.#of(this), indices);
  }

  hasDeviceAttr(group: number, attr: number | bigint): true {
    return native.hasDeviceAttr(DeviceHandle.#of(this), group, attr);
  }

  getDeviceAttr(group: number, attr: number | bigint): bigint {
    return native.getDeviceAttr(DeviceHandle.#of(this), group, attr);
  }

  createVm(type: number): DeviceHandle {
    const vm = native.createVm(DeviceHandle.#of(this), type);
    // `type >>> 0`: -0 passed the addon's u32 check, and the VM's type is 0.
    return new DeviceHandle(constructing, vm, this.path, 'vm', type >>> 0);
  }

  /** VM handle of a TD. `capacity` is the first CPUID-config array size; it doubles on E2BIG. */
  tdxCapabilities(capacity?: number): TdxCapabilities {
    return native.tdxCapabilities(DeviceHandle.#of(this), capacity);
  }

  /** VM handle of a TD: KVM_TDX_INIT_VM. Failures carry `hwError`. */
  tdxInitVm(params: { attributes: bigint | number; xfam: bigint | number; cpuid: CpuidEntry[] }): { hwError: bigint } {
    return native.tdxInitVm(DeviceHandle.#of(this), params);
  }

  /** VM handle of an SEV type: KVM_SEV_INIT2. Failures carry `firmwareError`. */
  sevInit2(params: { vmsaFeatures: bigint | number; flags: number; ghcbVersion: number }): { firmwareError: number } {
    return native.sevInit2(DeviceHandle.#of(this), params);
  }

  /** /dev/sev handle. Rejections carry `firmwareError`. */
  sevPlatformStatus(): Promise<SevPlatformStatus> {
    return native.sevPlatformStatus(DeviceHandle.#of(this));
  }

  snpPlatformStatus(): Promise<SnpPlatformStatus> {
    return native.snpPlatformStatus(DeviceHandle.#of(this));
  }

  sevGetId2(): Promise<{ id: Buffer; firmwareError: number }> {
    return native.sevGetId2(DeviceHandle.#of(this));
  }
}

/** Opens a KVM device read-write with O_CLOEXEC: a system handle. Throws a Node-style error (ENOENT, EACCES, ...). */
export function openSystemHandle(path: string): DeviceHandle {
  native = binding();
  return new DeviceHandle(constructing, native.openKvm(path), path, 'system', null);
}

/** Opens an SEV device read-only with O_CLOEXEC. Throws a Node-style error (ENOENT, EACCES, ...). */
export function openSevHandle(path: string): DeviceHandle {
  native = binding();
  return new DeviceHandle(constructing, native.openSev(path), path, 'sev', null);
}
