// The public face of the addon's KVM handles: the same objects, typed by kind so that
// a VM handle offers only VM requests.
import { binding, type NativeKvmHandle } from './binding.js';

export type { CpuidEntry } from './binding.js';

type VmRequests = 'path' | 'close' | 'isClosed' | 'checkExtension' | 'checkExtensions';

/** A VM created by KVM_CREATE_VM. Closing it destroys the VM. */
export interface KvmVm extends Pick<NativeKvmHandle, VmRequests> {
  readonly kind: 'vm';
  readonly vmType: number;
}

/** An open KVM device (/dev/kvm): system ioctls, and VM creation. */
export interface KvmSystem extends Omit<NativeKvmHandle, 'kind' | 'vmType' | 'createVm'> {
  readonly kind: 'system';
  readonly vmType: null;
  /** KVM_CREATE_VM(type). Fails with EINVAL for a VM type the kernel does not offer. */
  createVm(type: number): KvmVm;
}

export const DEFAULT_KVM_DEVICE = '/dev/kvm';

/** Opens a KVM device read-write with O_CLOEXEC. Throws a Node-style error (ENOENT, EACCES, ...). */
export function openKvm(path: string = DEFAULT_KVM_DEVICE): KvmSystem {
  return binding().openKvm(path) as KvmSystem;
}
