// The only module that loads the compiled addon. Loading is lazy, so replaying a saved
// snapshot never loads native code at all.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { makeSystemError } from './errors.js';

/** One entry of struct kvm_cpuid_entry2, without its padding. */
export interface CpuidEntry {
  function: number;
  index: number;
  flags: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/** The addon's KvmHandle: one owned fd, /dev/kvm ('system') or a VM ('vm'). */
export interface NativeKvmHandle {
  readonly path: string;
  readonly kind: 'system' | 'vm';
  /** The type the VM was created with; null on a system handle. */
  readonly vmType: number | null;
  close(): void;
  isClosed(): boolean;
  apiVersion(): number;
  checkExtension(cap: number): number;
  /** One result per capability; a negative slot is the negated errno of a failed check. */
  checkExtensions(caps: Uint32Array | readonly number[]): Int32Array;
  vcpuMmapSize(): number;
  /** `capacity` is the entry count of the first attempt; the buffer doubles on E2BIG. */
  supportedCpuid(capacity?: number): CpuidEntry[];
  emulatedCpuid(capacity?: number): CpuidEntry[];
  msrIndexList(): number[];
  msrFeatureIndexList(): number[];
  /** Values of the MSRs read, in order; shorter than `indices` when the kernel stopped at one it could not read. */
  getMsrs(indices: Uint32Array | readonly number[]): bigint[];
  hasDeviceAttr(group: number, attr: number | bigint): true;
  getDeviceAttr(group: number, attr: number | bigint): bigint;
  createVm(type: number): NativeKvmHandle;
}

export interface NativeBinding {
  openKvm(path: string): NativeKvmHandle;
  KvmHandle: abstract new (...args: never[]) => NativeKvmHandle;
}

interface NativeModule {
  init(makeError: typeof makeSystemError): NativeBinding;
}

const packageRoot = fileURLToPath(new URL('..', new URL('..', import.meta.url)));

/** Where the addon is looked for: KVM_CAPS_NATIVE (e.g. a sanitizer build) first, then node-gyp's outputs. */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.KVM_CAPS_NATIVE;
  if (override) return [override];
  return [`${packageRoot}build/Release/kvm_caps.node`, `${packageRoot}build/Debug/kvm_caps.node`];
}

let loaded: NativeBinding | undefined;

export function binding(): NativeBinding {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const candidate of addonCandidates()) {
    if (!existsSync(candidate)) {
      tried.push(`${candidate}: not found`);
      continue;
    }
    const native = require(candidate) as NativeModule;
    loaded = native.init(makeSystemError);
    return loaded;
  }
  throw new Error(
    `kvm-caps: the native addon is not built. Run \`npm install\` (or \`npm run build\`) in ${packageRoot}.\nTried:\n  ${tried.join('\n  ')}`,
  );
}
