// The only module that loads the compiled addon. Loading is lazy, so replaying a saved
// snapshot never loads native code at all.
import { existsSync } from 'node:fs';
import { packageRoot } from '../package-root.js';
import { makeSystemError } from './errors.js';
import type { DeviceHandle } from './handle.js';

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

/** KVM_TDX_CAPABILITIES as the kernel answered it; hwError is kvm_tdx_cmd.hw_error. */
export interface TdxCapabilities {
  supportedAttrs: bigint;
  supportedXfam: bigint;
  kernelTdvmcallinfo1R11: bigint;
  userTdvmcallinfo1R11: bigint;
  kernelTdvmcallinfo1R12: bigint;
  userTdvmcallinfo1R12: bigint;
  cpuid: CpuidEntry[];
  hwError: bigint;
}

/** struct sev_user_data_status. */
export interface SevPlatformStatus {
  apiMajor: number;
  apiMinor: number;
  state: number;
  flags: number;
  build: number;
  guestCount: number;
  firmwareError: number;
}

/** struct sev_user_data_snp_status, with its bitfield words raw. */
export interface SnpPlatformStatus {
  apiMajor: number;
  apiMinor: number;
  state: number;
  rmpFlags: number;
  buildId: number;
  featureFlags: number;
  guestCount: number;
  currentTcbVersion: bigint;
  reportedTcbVersion: bigint;
  firmwareError: number;
}

// Exists in types only: no JavaScript value has this key, so only what the addon returns is a NativeExternal.
declare const handleBrand: unique symbol;

/** What the addon hands out for an open fd: an External, opaque to JavaScript, that only the addon's functions can use. */
export interface NativeExternal {
  readonly [handleBrand]: never;
}

type Requests = Omit<DeviceHandle, 'path' | 'kind' | 'vmType' | 'createVm'>;

/** The addon: one function per request of DeviceHandle, taking the handle's External first. */
export type NativeBinding = {
  [R in keyof Requests]: (handle: NativeExternal, ...args: Parameters<Requests[R]>) => ReturnType<Requests[R]>;
} & {
  openKvm(path: string): NativeExternal;
  openSev(path: string): NativeExternal;
  createVm(handle: NativeExternal, type: number): NativeExternal;
};

interface NativeModule {
  init(makeError: typeof makeSystemError): NativeBinding;
}

/** Where the addon is looked for: KVM_CAPS_NATIVE (e.g. a sanitizer build) first, then node-gyp's outputs. */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.KVM_CAPS_NATIVE;
  if (override) return [override];
  return [`${packageRoot}build/Release/kvm_caps.node`, `${packageRoot}build/Debug/kvm_caps.node`];
}

let loaded: NativeBinding | undefined;

export function binding(): NativeBinding {
  if (loaded) return loaded;
  const tried: string[] = [];
  for (const candidate of addonCandidates()) {
    if (!existsSync(candidate)) {
      tried.push(`${candidate}: not found`);
      continue;
    }
    // process.dlopen loads the addon without starting the CommonJS loader (createRequire),
    // about 1.5 ms less of the command's start-up.
    const addon = { exports: {} as NativeModule };
    process.dlopen(addon, candidate);
    loaded = addon.exports.init(makeSystemError);
    return loaded;
  }
  throw new Error(
    `kvm-caps: the native addon is not built. Run \`npm install\` (or \`npm run build\`) in ${packageRoot}.\nTried:\n  ${tried.join('\n  ')}`,
  );
}
