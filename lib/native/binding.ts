// The only module that loads the compiled addon. Loading is lazy, so replaying a saved
// snapshot never loads native code at all.
import nodeGypBuild from 'node-gyp-build';
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

/**
 * What the addon hands out for an open fd: an External, opaque to JavaScript, that only the addon's functions can use.
 */
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

/**
 * The addon file: KVM_CAPS_NATIVE (e.g. a sanitizer build) if set, else the one node-gyp-build
 * (the install script) would load: a local build (build/Release, then build/Debug) ahead of
 * the package's prebuilt binary for this platform (prebuilds/linux-x64/). Throws when there
 * is neither, saying where it looked.
 */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.KVM_CAPS_NATIVE;
  if (override) return override;
  return nodeGypBuild.resolve(packageRoot);
}

let loaded: NativeBinding | undefined;

export function binding(): NativeBinding {
  if (loaded) return loaded;
  let path: string;
  try {
    path = addonPath();
  } catch (error) {
    throw new Error(
      `kvm-caps: no native addon for this platform (${process.platform}-${process.arch}): the package has no ` +
        `prebuilt binary for it and none was built.\n` +
        `Build it with a C++ toolchain (python3, make, g++): \`npm rebuild kvm-caps\` where it is installed, ` +
        `or \`npm run build\` in ${packageRoot}.\n` +
        `${(error as Error).message.trim()}`,
    );
  }
  // process.dlopen loads the addon without starting the CommonJS loader (createRequire),
  // about 1.5 ms less of the command's start-up.
  const addon = { exports: {} as NativeModule };
  process.dlopen(addon, path);
  loaded = addon.exports.init(makeSystemError);
  return loaded;
}
