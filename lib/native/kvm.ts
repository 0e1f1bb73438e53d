// The public face of the addon's KVM handles: the same objects, typed by kind so that
// a VM handle offers only VM requests.
import { openSevHandle, openSystemHandle, type DeviceHandle } from './handle.js';

export type { CpuidEntry } from './binding.js';

export type { TdxCapabilities, SevPlatformStatus, SnpPlatformStatus } from './binding.js';

type Common = 'path' | 'close' | 'isClosed';
type VmRequests = Common | 'checkExtension' | 'checkExtensions' | 'tdxCapabilities' | 'tdxInitVm' | 'sevInit2';
type SevRequests = Common | 'sevPlatformStatus' | 'snpPlatformStatus' | 'sevGetId2';
type SystemRequests =
  | Exclude<keyof DeviceHandle, VmRequests | SevRequests | 'kind' | 'vmType' | 'createVm'>
  | Common
  | 'checkExtension'
  | 'checkExtensions';

/** A VM created by KVM_CREATE_VM. Closing it destroys the VM (and frees its TD or ASID). */
export interface KvmVm extends Pick<DeviceHandle, VmRequests> {
  readonly kind: 'vm';
  readonly vmType: number;
}

/** /dev/sev, opened read-only: the ccp driver's read-only commands, run off the main thread. */
export interface SevDevice extends Pick<DeviceHandle, SevRequests> {
  readonly kind: 'sev';
  readonly vmType: null;
}

/** An open KVM device (/dev/kvm): system ioctls, and VM creation. */
export interface KvmSystem extends Pick<DeviceHandle, SystemRequests> {
  readonly kind: 'system';
  readonly vmType: null;
  /** KVM_CREATE_VM(type). Fails with EINVAL for a VM type the kernel does not offer. */
  createVm(type: number): KvmVm;
}

export const DEFAULT_KVM_DEVICE = '/dev/kvm';

/** Opens a KVM device read-write with O_CLOEXEC. Throws a Node-style error (ENOENT, EACCES, ...). */
export function openKvm(path: string = DEFAULT_KVM_DEVICE): KvmSystem {
  return openSystemHandle(path) as KvmSystem;
}

export const DEFAULT_SEV_DEVICE = '/dev/sev';

/** Opens the SEV device read-only with O_CLOEXEC. Throws a Node-style error (ENOENT, EACCES, ...). */
export function openSev(path: string = DEFAULT_SEV_DEVICE): SevDevice {
  return openSevHandle(path) as SevDevice;
}
