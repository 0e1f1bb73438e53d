// The only module that loads the compiled addon. Loading is lazy, so replaying a saved
// snapshot never loads native code at all.
import { existsSync } from 'node:fs';
import { packageRoot } from '../package-root.js';
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

/** The addon's DeviceHandle: one owned fd, /dev/kvm ('system'), a VM ('vm') or /dev/sev ('sev'). */
export interface NativeHandle {
  readonly path: string;
  readonly kind: 'system' | 'vm' | 'sev';
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
  createVm(type: number): NativeHandle;
  /** VM handle of a TD. `capacity` is the first CPUID-config array size; it doubles on E2BIG. */
  tdxCapabilities(capacity?: number): TdxCapabilities;
  /** VM handle of a TD: KVM_TDX_INIT_VM. Failures carry `hwError`. */
  tdxInitVm(params: { attributes: bigint | number; xfam: bigint | number; cpuid: CpuidEntry[] }): { hwError: bigint };
  /** VM handle of an SEV type: KVM_SEV_INIT2. Failures carry `firmwareError`. */
  sevInit2(params: { vmsaFeatures: bigint | number; flags: number; ghcbVersion: number }): { firmwareError: number };
  /** /dev/sev handle. Rejections carry `firmwareError`. */
  sevPlatformStatus(): Promise<SevPlatformStatus>;
  snpPlatformStatus(): Promise<SnpPlatformStatus>;
  sevGetId2(): Promise<{ id: Buffer; firmwareError: number }>;
}

export interface NativeBinding {
  openKvm(path: string): NativeHandle;
  openSev(path: string): NativeHandle;
  DeviceHandle: abstract new (...args: never[]) => NativeHandle;
}

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
