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
  platformStatus: SevAnswer<{
    apiMajor: number;
    apiMinor: number;
    state: number;
    flags: number;
    build: number;
    guestCount: number;
  }>;
  snpPlatformStatus: SevAnswer<{
    apiMajor: number;
    apiMinor: number;
    state: number;
    /** Byte 3: bit 0 is_rmp_initialized. */
    rmpFlags: number;
    buildId: number;
    /**
     * Bytes 8-11: mask_chip_id, mask_chip_key, vlek_en, feature_info, rapl_dis, ciphertext_hiding_cap,
     * ciphertext_hiding_en.
     */
    featureFlags: number;
    guestCount: number;
    currentTcbVersion: Hex;
    reportedTcbVersion: Hex;
  }>;
  /** SEV_GET_ID2: the chip id bytes as hex. */
  getId2: SevAnswer<{ id: string }>;
}

/**
 * The requests whose answer carries a count the caller must trust: KVM_GET_SUPPORTED_CPUID
 * and KVM_GET_EMULATED_CPUID (kvm_cpuid2.nent), the MSR index lists (kvm_msr_list.nmsrs)
 * and KVM_TDX_CAPABILITIES (kvm_tdx_capabilities.cpuid.nent).
 */
export type CountedRequest =
  | 'KVM_GET_SUPPORTED_CPUID'
  | 'KVM_GET_EMULATED_CPUID'
  | 'KVM_GET_MSR_INDEX_LIST'
  | 'KVM_GET_MSR_FEATURE_INDEX_LIST'
  | 'KVM_TDX_CAPABILITIES';

/**
 * An ioctl request as the double names it: a /dev/kvm or VM request ('KVM_GET_API_VERSION',
 * 'KVM_CHECK_EXTENSION', ...), a KVM_MEMORY_ENCRYPT_OP sub-command ('KVM_TDX_CAPABILITIES',
 * 'KVM_TDX_INIT_VM', 'KVM_SEV_INIT2') or a /dev/sev command ('SEV_PLATFORM_STATUS',
 * 'SNP_PLATFORM_STATUS', 'SEV_GET_ID2'). The double refuses names it does not know.
 */
export type RequestName = string;

/**
 * A kernel that lies or misbehaves, for tests that the caller stays in bounds and reports an
 * error instead of trusting it. No real kernel answers like this: a persona with this section
 * describes the kernel's misbehaviour, not a host. Every answer it shapes is logged with
 * "adversarial". Reading the persona's other answers is unchanged.
 */
export interface PersonaAdversarial {
  /**
   * The request succeeds, with the count written back larger than the caller's buffer: the
   * caller's count plus this excess (1 to 0xffffffff; saturated at 0xffffffff). Entries are
   * written only up to the caller's buffer. For KVM_GET_MSRS, the ioctl's return value (the
   * number of MSRs read) is the number asked for plus the excess.
   */
  overlongCount?: Partial<Record<CountedRequest | 'KVM_GET_MSRS', number>>;
  /**
   * E2BIG on every call, however large the buffer; before answering, the double checks that
   * the buffer the caller claims (count x entry size) is really mapped. `writeBack` is the count
   * written back: 'unchanged' (the caller's), 'needed' (the persona's real count) or a number
   * (e.g. 0xffffffff, an absurd one).
   */
  e2bigForever?: Partial<Record<CountedRequest, { writeBack: 'unchanged' | 'needed' | number }>>;
  /** EINTR, touching nothing, on the first N calls of each named request; later calls are answered. */
  eintr?: Record<RequestName, number>;
  /** This errno on every call of the named request; for a /dev/sev command, also this firmware error. */
  fail?: Record<RequestName, { errno: ErrnoName; firmwareError?: number }>;
  /** KVM_GET_MSRS reads at most this many MSRs and returns that count: a short count for readable MSRs. */
  getMsrsLimit?: number;
  /**
   * Garbage (0xa5 bytes) in what a careful caller never reads: kvm_tdx_capabilities.reserved,
   * kvm_cpuid2.padding and every kvm_cpuid_entry2.padding, kvm_msr_entry.reserved, and the
   * caller's buffer beyond the count (CPUID entries, MSR indices, MSR data not read, chip id
   * bytes); and in the reserved bits of sev_user_data_snp_status, which the addon reports raw:
   * rsvd (byte 3 |= 0xa4) and rsvd1 (featureFlags |= 0x1a5a5a4 << 7 = 0xd2d2d200; bit 3 of byte 3
   * and bit 7 of featureFlags are left alone: virtee names them TIO_EN).
   */
  garbage?: boolean;
  /** SEV_GET_ID2 writes back this length (0 to 0xffffffff) instead of the chip id's, which is all it writes. */
  getId2Length?: number;
}

export interface Persona {
  name: string;
  description: string;
  /** Where the values come from: documents, source files, public reports. */
  sources: string[];
  /**
   * The kernel (and module) this persona models, where an upstream kernel cannot produce it:
   * a vendor kernel, out-of-tree patches, a hypothetical module. Absent: an upstream kernel.
   */
  models?: { kernel: string; why: string };
  /** Files under the persona's root, by absolute path: /proc/cpuinfo, /sys/module/..., /dev/kmsg (kmsg records). */
  files: Record<string, string>;
  /** Modes that differ from the defaults (files 0644, device nodes 0666), e.g. { "/dev/sev": 384 } for 0600. */
  modes?: Record<string, number>;
  /** The answers of <root>/dev/kvm; absent: the node does not exist. */
  kvm?: PersonaKvm;
  /** The answers of <root>/dev/sev; absent: the node does not exist. */
  sev?: PersonaSev;
  /**
   * How this kernel misbehaves (test/adversarial.test.ts). A /dev/sev command answering EIO
   * with firmware error 0xffffffff (SEV_RET_NO_FW_CALL) needs no section: it is an ordinary
   * SevAnswer, { errno: 'EIO', firmwareError: 4294967295 }.
   */
  adversarial?: PersonaAdversarial;
}
