// A persona: a host kvm-caps cannot run on here (a TDX host, an SNP host, ...), as the
// files it shows and the answers its kernel gives. Tests build the persona's root in a
// temporary directory and run kvm-caps against it under the kernel double
// (test/double/), which answers open/ioctl/close for the persona's device nodes.
//
// Numbers that do not fit a double (u64 masks, TCB versions) are hex strings ("0x1f").
// Errors are errno names ("EINVAL"). Every persona says where its values come from.
import type { CpuidEntry } from '../../lib/native/binding.js';

export type Hex = string;
export type ErrnoName = string;

export interface PersonaTdx {
  /** The answer to KVM_TDX_CAPABILITIES on a KVM_X86_TDX_VM fd. */
  // Since Linux 6.19 the kernel does not copy kvm_tdx_cmd back for KVM_TDX_CAPABILITIES,
  // so a failure carries no hw_error here.
  capabilities:
    | { errno: ErrnoName }
    | {
        supportedAttrs: Hex;
        supportedXfam: Hex;
        kernelTdvmcallinfo1R11: Hex;
        userTdvmcallinfo1R11: Hex;
        kernelTdvmcallinfo1R12: Hex;
        userTdvmcallinfo1R12: Hex;
        /** The configurable CPUID entries; their count is the kernel's num_cpuid_config. */
        cpuid: CpuidEntry[];
      };
  /**
   * KVM_TDX_INIT_VM: attributes outside acceptAttributes (a subset of supportedAttrs) are
   * refused with EINVAL and hwError; outside supportedAttrs, KVM refuses them with hw_error 0.
   * A TD's CPUID needs a 0x80000008 leaf (GPAW) for INIT_VM to be accepted.
   */
  initVm?: { acceptAttributes: Hex; rejectHwError: Hex };
}

export interface PersonaKvm {
  apiVersion: number;
  vcpuMmapSize: number;
  /** KVM_CHECK_EXTENSION on /dev/kvm: capability number -> value; absent ones answer 0. */
  capabilities: Record<string, number>;
  /** KVM_CHECK_EXTENSION on a VM fd, per VM type ("0", "5", ...): overrides of `capabilities`. */
  vmCapabilities?: Record<string, Record<string, number>>;
  supportedCpuid: CpuidEntry[];
  emulatedCpuid: CpuidEntry[];
  msrIndexList: number[];
  msrFeatureIndexList: number[];
  /** KVM_GET_MSRS on /dev/kvm: index (hex) -> value (hex); indices absent here stop the read. */
  featureMsrs: Record<Hex, Hex>;
  /** KVM_GET/HAS_DEVICE_ATTR on /dev/kvm; anything not listed answers ENXIO. */
  deviceAttrs: { group: number; attr: number; value: Hex }[];
  /** KVM_CREATE_VM(type) -> 'ok' or the errno; types not listed answer EINVAL. */
  vmTypes: Record<string, 'ok' | ErrnoName>;
  tdx?: PersonaTdx;
  /**
   * KVM_SEV_INIT2 on a VM of the given type ("2", "3", "4"): success, or errno plus firmware
   * error. Its presence also means SEV is enabled in KVM (KVM_MEMORY_ENCRYPT_OP(NULL) answers 0).
   */
  sevInit2?: Record<string, { ok: true; acceptVmsaFeatures: Hex } | { errno: ErrnoName; firmwareError?: number }>;
}

/** A /dev/sev command's answer: the struct, or an errno with the firmware's error code. */
export type SevAnswer<T> = { value: T } | { errno: ErrnoName; firmwareError?: number };

export interface PersonaSev {
  platformStatus: SevAnswer<{ apiMajor: number; apiMinor: number; state: number; flags: number; build: number; guestCount: number }>;
  snpPlatformStatus: SevAnswer<{
    apiMajor: number;
    apiMinor: number;
    state: number;
    /** Byte 3: bit 0 is_rmp_initialized. */
    rmpFlags: number;
    buildId: number;
    /** Bytes 8-11: mask_chip_id, mask_chip_key, vlek_en, feature_info, rapl_dis, ciphertext_hiding_cap, ciphertext_hiding_en. */
    featureFlags: number;
    guestCount: number;
    currentTcbVersion: Hex;
    reportedTcbVersion: Hex;
  }>;
  /** SEV_GET_ID2: the chip id bytes as hex. */
  getId2: SevAnswer<{ id: string }>;
}

export interface Persona {
  name: string;
  description: string;
  /** Where the values come from: documents, source files, public reports. */
  sources: string[];
  /** Files under the persona's root, by absolute path: /proc/cpuinfo, /sys/module/..., /dev/kmsg (kmsg records). */
  files: Record<string, string>;
  /** Modes that differ from the defaults (files 0644, device nodes 0666), e.g. { "/dev/sev": 384 } for 0600. */
  modes?: Record<string, number>;
  /** The answers of <root>/dev/kvm; absent: the node does not exist. */
  kvm?: PersonaKvm;
  /** The answers of <root>/dev/sev; absent: the node does not exist. */
  sev?: PersonaSev;
}
