// Intel TDX tables: TD attributes, TDVMCALL info bits, SEAMCALL status codes and operand IDs,
// SEAMCALL leaf numbers, and the kvm / kvm_intel parameters TDX bring-up depends on.
// Data only; every entry names where it was read. Nothing here is written from memory:
// where no source read describes a bit, its description is null.
//
// Sources (read through the project's code search, 2026):
//   [K-SHARED]  arch/x86/include/asm/shared/tdx.h, TDX TD attributes, as renamed by
//               "[PATCH v4 3/4] x86/tdx: Rename TDX_ATTR_* to TDX_TD_ATTR_*" (Xiaoyao Li,
//               2026-03-03); the same bit numbers as the earlier TDX_ATTR_* block and as
//               arch/x86/coco/tdx/debug.c's tdx_attributes[] name table.
//   [K-KVM]     arch/x86/kvm/vmx/tdx.c: KVM_SUPPORTED_TD_ATTRS (TDX_TD_ATTR_SEPT_VE_DISABLE),
//               TDVMCALLINFO_* (TDVMCALLINFO_GET_QUOTE BIT(0) removed by "KVM: TDX: Don't report
//               base TDVMCALLs", Xiaoyao Li 2025-07-17; TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT
//               BIT(1)), tdx_bringup() prerequisite checks, __tdx_td_init() returning the
//               TDH.MNG.INIT status in hw_error on TDX_OPERAND_INVALID.
//   [K-ERRNO]   arch/x86/kvm/vmx/tdx_errno.h (v6.16), moved to arch/x86/include/asm/shared/tdx_errno.h
//               by Sean Christopherson's 2026 series (adds TDX_SUCCESS, TDX_RND_NO_ENTROPY,
//               TDX_SW_ERROR, TDX_SEAMCALL_VMFAILINVALID/GP/UD).
//   [K-ASM]     arch/x86/include/asm/tdx.h: TDX_SW_ERROR = TDX_ERROR | GENMASK_ULL(47, 40),
//               TDX_SEAMCALL_VMFAILINVALID = TDX_SW_ERROR | 0xFFFF0000, TDX_SEAMCALL_GP/UD =
//               TDX_SW_ERROR | X86_TRAP_GP (13) / X86_TRAP_UD (6).
//   [ABI]       TDX module ABI status codes and operand IDs as transcribed from "Intel TDX Module
//               ABI Spec v1.5 (348551-006, Apr 2025)" in a public tdxutils.h, cross-checked with
//               intel/tdx-module src (tdh_mng_init: api_error_with_operand_id(TDX_OPERAND_INVALID,
//               OPERAND_ID_ATTRIBUTES / OPERAND_ID_XFAM)) and with the TDX module maintainers'
//               answer in intel/confidential-computing.tdx.tdx-module#24 ("0xc000010000000045 ...
//               TDX_OPERAND_INVALID with 0x45 (69) operand ID CPUID_CONFIG").
//   [QEMU]      target/i386/kvm/tdx.c (2025): TDX_TD_ATTRIBUTES_{DEBUG,SEPT_VE_DISABLE,PKS,PERFMON},
//               tdx_attrs_maps[] (attribute 27 -> CPUID.7.1:EAX LASS, 30 -> CPUID.7.0:ECX PKS,
//               31 -> CPUID.7.0:ECX KeyLocker), SUPPORTED_TDVMCALLINFO_1_R11 =
//               TDG_VP_VMCALL_SUBFUNC_SET_EVENT_NOTIFY_INTERRUPT (BIT_ULL(1) in tdx.h),
//               SUPPORTED_TDVMCALLINFO_1_R12 = 0; docs/system/i386/tdx.rst (PKS, PERFMON).
//   [K-VMX]     arch/x86/kvm/vmx/vmx.c module_param_named(ept, ...), (eptad, enable_ept_ad_bits),
//               module_param(enable_apicv); arch/x86/kvm/mmu/tdp_mmu (tdp_mmu),
//               arch/x86/kvm/mmu/spte.c module_param_named(mmio_caching, ...);
//               virt/kvm/kvm_main.c module_param(enable_virt_at_load, bool, 0444).

/** A TD attribute bit (TD_PARAMS.ATTRIBUTES, kvm_tdx_capabilities.supported_attrs). */
export interface TdAttribute {
  bit: number;
  /** The kernel's name without the TDX_TD_ATTR_ prefix (arch/x86/coco/tdx/debug.c prints these). */
  name: string;
  /** What the bit does, where a source read says so; null otherwise. */
  description: string | null;
  source: string;
}

export const TD_ATTRIBUTES: readonly TdAttribute[] = [
  {
    bit: 0,
    name: 'DEBUG',
    description:
      'debug TD: KVM leaves guest state unprotected (tdx.c: guest_state_protected = !(attributes & TDX_TD_ATTR_DEBUG))',
    source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_DEBUG_BIT; kvm/vmx/tdx.c; QEMU TDX_TD_ATTRIBUTES_DEBUG',
  },
  { bit: 4, name: 'HGS_PLUS_PROF', description: null, source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_HGS_PLUS_PROF_BIT' },
  { bit: 5, name: 'PERF_PROF', description: null, source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_PERF_PROF_BIT' },
  { bit: 6, name: 'PMT_PROF', description: null, source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_PMT_PROF_BIT' },
  { bit: 16, name: 'ICSSD', description: null, source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_ICSSD_BIT' },
  {
    bit: 27,
    name: 'LASS',
    description: 'exposes LASS (CPUID.7.1:EAX) to the TD (QEMU tdx_attrs_maps)',
    source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_LASS_BIT; QEMU tdx_attrs_maps',
  },
  {
    bit: 28,
    name: 'SEPT_VE_DISABLE',
    description:
      'no #VE to the TD on Secure-EPT violations (kernel coco/tdx/tdx.c: "The VMM controls if the guest will ' +
      'receive such #VE with TD attribute TDX_ATTR_SEPT_VE_DISABLE"); QEMU sets it by default ' +
      '(sept-ve-disable)',
    source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_SEPT_VE_DISABLE_BIT; QEMU TDX_TD_ATTRIBUTES_SEPT_VE_DISABLE',
  },
  {
    bit: 29,
    name: 'MIGRATABLE',
    description: null,
    source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_MIGRATABLE_BIT (spelled MIGRTABLE before 2025)',
  },
  {
    bit: 30,
    name: 'PKS',
    description:
      'exposes supervisor protection keys (CPUID.7.0:ECX PKS, CR4.PKS) to the TD (QEMU docs/system/i386/tdx.rst)',
    source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_PKS_BIT; QEMU TDX_TD_ATTRIBUTES_PKS',
  },
  {
    bit: 31,
    name: 'KL',
    description: 'exposes Key Locker (CPUID.7.0:ECX) to the TD (QEMU tdx_attrs_maps)',
    source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_KL_BIT; QEMU tdx_attrs_maps',
  },
  { bit: 62, name: 'TPA', description: null, source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_TPA_BIT' },
  {
    bit: 63,
    name: 'PERFMON',
    description: 'exposes the PMU to the TD (QEMU docs/system/i386/tdx.rst; QEMU sets it when the vCPU has pmu=on)',
    source: 'kernel asm/shared/tdx.h TDX_TD_ATTR_PERFMON_BIT; QEMU TDX_TD_ATTRIBUTES_PERFMON',
  },
];

/** KVM_SUPPORTED_TD_ATTRS in arch/x86/kvm/vmx/tdx.c (v6.16 on): only SEPT_VE_DISABLE. */
export const KVM_SUPPORTED_TD_ATTRS = 1n << 28n;

/** A bit of the GetTdVmCallInfo leaf-1 R11 / R12 words. */
export interface TdvmcallInfoBit {
  bit: number;
  /** The TDG.VP.VMCALL sub-function, as GHCI / QEMU name it. */
  name: string;
  /** The kernel's or QEMU's constant. */
  constant: string;
  /** The TDG.VP.VMCALL sub-function number (QEMU tdx.h TDVMCALL_*). */
  leaf: number;
  note: string;
}

/** R11 of GetTdVmCallInfo leaf 1: kvm_tdx_capabilities.{kernel,user}_tdvmcallinfo_1_r11. */
export const TDVMCALL_INFO_1_R11: readonly TdvmcallInfoBit[] = [
  {
    bit: 0,
    name: 'GetQuote',
    constant: 'TDVMCALLINFO_GET_QUOTE',
    leaf: 0x10002,
    note:
      'KVM stopped reporting this bit ("KVM: TDX: Don\'t report base TDVMCALLs", 2025-07): GetQuote became ' +
      'part of the GHCI base API, so every TD may use it',
  },
  {
    bit: 1,
    name: 'SetupEventNotifyInterrupt',
    constant: 'TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT',
    leaf: 0x10004,
    note: 'KVM forwards it to user space (KVM_EXIT_TDX); QEMU handles it (SUPPORTED_TDVMCALLINFO_1_R11)',
  },
];

/** R12 of GetTdVmCallInfo leaf 1: no bit is named by the kernel or QEMU (QEMU: SUPPORTED_TDVMCALLINFO_1_R12 = 0). */
export const TDVMCALL_INFO_1_R12: readonly TdvmcallInfoBit[] = [];

/** A SEAMCALL completion status (the high 32 bits of RAX, hw_error). */
export interface TdxStatusCode {
  name: string;
  /** The 64-bit code with the low 32 (detail) bits clear. */
  code: bigint;
  source: 'kernel' | 'abi-spec';
}

const kernel = (name: string, code: bigint): TdxStatusCode => ({ name, code, source: 'kernel' });
const spec = (name: string, code: bigint): TdxStatusCode => ({ name, code, source: 'abi-spec' });

/**
 * Status codes. Kernel names first ([K-ERRNO]); then the TDX module ABI spec's ([ABI]) for codes
 * the kernel does not define. Where both define a name with different flag bits (63:60), both
 * are kept: the kernel's TDX_NON_RECOVERABLE_TD is 0x40000002_00000000, the spec's
 * 0x60000002_00000000 (bit 61, "fatal", set). Lookups match the full high word first, then
 * the class and detail bits 47:32 alone.
 */
export const TDX_STATUS_CODES: readonly TdxStatusCode[] = [
  kernel('TDX_SUCCESS', 0x0000000000000000n),
  kernel('TDX_NON_RECOVERABLE_VCPU', 0x4000000100000000n),
  kernel('TDX_NON_RECOVERABLE_TD', 0x4000000200000000n),
  kernel('TDX_INTERRUPTED_RESUMABLE', 0x8000000300000000n),
  kernel('TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE', 0x6000000500000000n),
  kernel('TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE', 0x6000000700000000n),
  kernel('TDX_OPERAND_INVALID', 0xc000010000000000n),
  kernel('TDX_OPERAND_BUSY', 0x8000020000000000n),
  kernel('TDX_PREVIOUS_TLB_EPOCH_BUSY', 0x8000020100000000n),
  kernel('TDX_RND_NO_ENTROPY', 0x8000020300000000n),
  kernel('TDX_SYS_BUSY', 0x8000020200000000n),
  kernel('TDX_PAGE_METADATA_INCORRECT', 0xc000030000000000n),
  kernel('TDX_VCPU_NOT_ASSOCIATED', 0x8000070200000000n),
  kernel('TDX_KEY_GENERATION_FAILED', 0x8000080000000000n),
  kernel('TDX_KEY_STATE_INCORRECT', 0xc000081100000000n),
  kernel('TDX_KEY_CONFIGURED', 0x0000081500000000n),
  kernel('TDX_NO_HKID_READY_TO_WBCACHE', 0x0000082100000000n),
  kernel('TDX_FLUSHVP_NOT_DONE', 0x8000082400000000n),
  kernel('TDX_EPT_WALK_FAILED', 0xc0000b0000000000n),
  kernel('TDX_EPT_ENTRY_STATE_INCORRECT', 0xc0000b0d00000000n),
  kernel('TDX_METADATA_FIELD_NOT_READABLE', 0xc0000c0200000000n),
  spec('TDX_NON_RECOVERABLE_TD', 0x6000000200000000n),
  // Intel's pre-merge KVM trees defined this one as a kernel name; 6.16's tdx_errno.h and later do not.
  spec('TDX_INTERRUPTED_RESTARTABLE', 0x8000000400000000n),
  spec('TDX_INVALID_RESUMPTION', 0xc000000600000000n),
  spec('TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE', 0xe000000700000000n),
  spec('TDX_CROSS_TD_FAULT', 0x8000000800000000n),
  spec('TDX_CROSS_TD_TRAP', 0x9000000900000000n),
  spec('TDX_NON_RECOVERABLE_TD_CORRUPTED_MD', 0x6000000a00000000n),
  spec('TDX_OPERAND_ADDR_RANGE_ERROR', 0xc000010100000000n),
  spec('TDX_OPERAND_BUSY_HOST_PRIORITY', 0x8000020400000000n),
  spec('TDX_HOST_PRIORITY_BUSY_TIMEOUT', 0x9000020500000000n),
  spec('TDX_PAGE_ALREADY_FREE', 0x0000030100000000n),
  spec('TDX_PAGE_NOT_OWNED_BY_TD', 0xc000030200000000n),
  spec('TDX_PAGE_NOT_FREE', 0xc000030300000000n),
  // Also in the Dynamic PAMT series' shared/tdx_errno.h ("[PATCH v4 08/16] x86/virt/tdx: Optimize
  // tdx_alloc/free_page() helpers", 2025-11-20; not in 7.2): TDH.PHYMEM.PAMT.ADD's answer when the
  // range already has its PAMT pages (tdx-module: api_error_with_operand_id(TDX_HPA_RANGE_NOT_FREE, ...)).
  spec('TDX_HPA_RANGE_NOT_FREE', 0xc000030400000000n),
  spec('TDX_TD_ASSOCIATED_PAGES_EXIST', 0xc000040000000000n),
  spec('TDX_SYS_INIT_NOT_PENDING', 0xc000050000000000n),
  spec('TDX_SYS_LP_INIT_NOT_DONE', 0xc000050200000000n),
  spec('TDX_SYS_LP_INIT_DONE', 0xc000050300000000n),
  spec('TDX_SYS_NOT_READY', 0xc000050500000000n),
  spec('TDX_SYS_SHUTDOWN', 0xc000050600000000n),
  // The module ABI's name. Intel's pre-merge kernels called this status TDX_SYSCONFIG_NOT_DONE;
  // no mainline header defines that name, so it must not be the one shown.
  spec('TDX_SYS_KEY_CONFIG_NOT_PENDING', 0xc000050700000000n),
  spec('TDX_SYS_STATE_INCORRECT', 0xc000050800000000n),
  spec('TDX_SYS_INVALID_HANDOFF', 0xc000050900000000n),
  spec('TDX_SYS_INCOMPATIBLE_SIGSTRUCT', 0xc000050a00000000n),
  spec('TDX_SYS_LP_INIT_NOT_PENDING', 0xc000050b00000000n),
  spec('TDX_SYS_CONFIG_NOT_PENDING', 0xc000050c00000000n),
  spec('TDX_INCOMPATIBLE_SEAM_CAPABILITIES', 0xc000050d00000000n),
  spec('TDX_TD_FATAL', 0xe000060400000000n),
  spec('TDX_TD_NON_DEBUG', 0xc000060500000000n),
  spec('TDX_TDCS_NOT_ALLOCATED', 0xc000060600000000n),
  spec('TDX_LIFECYCLE_STATE_INCORRECT', 0xc000060700000000n),
  spec('TDX_OP_STATE_INCORRECT', 0xc000060800000000n),
  spec('TDX_NO_VCPUS', 0xc000060900000000n),
  spec('TDX_TDCX_NUM_INCORRECT', 0xc000061000000000n),
  spec('TDX_X2APIC_ID_NOT_UNIQUE', 0xc000062100000000n),
  spec('TDX_VCPU_STATE_INCORRECT', 0xc000070000000000n),
  spec('TDX_VCPU_ASSOCIATED', 0x8000070100000000n),
  spec('TDX_NO_VALID_VE_INFO', 0xc000070400000000n),
  spec('TDX_MAX_VCPUS_EXCEEDED', 0xc000070500000000n),
  spec('TDX_TSC_ROLLBACK', 0xc000070600000000n),
  spec('TDX_TD_KEYS_NOT_CONFIGURED', 0x8000081000000000n),
  spec('TDX_WBCACHE_NOT_COMPLETE', 0x8000081700000000n),
  spec('TDX_HKID_NOT_FREE', 0xc000082000000000n),
  spec('TDX_WBCACHE_RESUME_ERROR', 0xc000082300000000n),
  spec('TDX_NUM_ACTIVATED_HKIDS_NOT_SUPPORTED', 0xc000082500000000n),
  spec('TDX_INCORRECT_CPUID_VALUE', 0xc000090000000000n),
  spec('TDX_LIMIT_CPUID_MAXVAL_SET', 0xc000090100000000n),
  spec('TDX_INCONSISTENT_CPUID_FIELD', 0xc000090200000000n),
  spec('TDX_CPUID_MAX_SUBLEAVES_UNRECOGNIZED', 0xc000090300000000n),
  spec('TDX_CPUID_LEAF_1F_FORMAT_UNRECOGNIZED', 0xc000090400000000n),
  spec('TDX_INVALID_WBINVD_SCOPE', 0xc000090500000000n),
  spec('TDX_INVALID_PKG_ID', 0xc000090600000000n),
  spec('TDX_ENABLE_MONITOR_FSM_NOT_SET', 0xc000090700000000n),
  spec('TDX_CPUID_LEAF_NOT_SUPPORTED', 0xc000090800000000n),
  spec('TDX_SMRR_NOT_LOCKED', 0xc000091000000000n),
  spec('TDX_INVALID_SMRR_CONFIGURATION', 0xc000091100000000n),
  spec('TDX_SMRR_OVERLAPS_CMR', 0xc000091200000000n),
  spec('TDX_SMRR_LOCK_NOT_SUPPORTED', 0xc000091300000000n),
  spec('TDX_SMRR_NOT_SUPPORTED', 0xc000091400000000n),
  spec('TDX_INCONSISTENT_MSR', 0xc000092000000000n),
  spec('TDX_INCORRECT_MSR_VALUE', 0xc000092100000000n),
  spec('TDX_SEAMREPORT_NOT_AVAILABLE', 0xc000093000000000n),
  spec('TDX_INVALID_TDMR', 0xc0000a0000000000n),
  spec('TDX_NON_ORDERED_TDMR', 0xc0000a0100000000n),
  spec('TDX_TDMR_OUTSIDE_CMRS', 0xc0000a0200000000n),
  spec('TDX_TDMR_ALREADY_INITIALIZED', 0x00000a0300000000n),
  spec('TDX_INVALID_PAMT', 0xc0000a1000000000n),
  spec('TDX_PAMT_OUTSIDE_CMRS', 0xc0000a1100000000n),
  spec('TDX_PAMT_OVERLAP', 0xc0000a1200000000n),
  spec('TDX_INVALID_RESERVED_IN_TDMR', 0xc0000a2000000000n),
  spec('TDX_NON_ORDERED_RESERVED_IN_TDMR', 0xc0000a2100000000n),
  spec('TDX_CMR_LIST_INVALID', 0xc0000a2200000000n),
  spec('TDX_EPT_ENTRY_FREE', 0xc0000b0100000000n),
  spec('TDX_EPT_ENTRY_NOT_FREE', 0xc0000b0200000000n),
  spec('TDX_EPT_ENTRY_NOT_PRESENT', 0xc0000b0300000000n),
  spec('TDX_GPA_RANGE_NOT_BLOCKED', 0xc0000b0600000000n),
  spec('TDX_GPA_RANGE_ALREADY_BLOCKED', 0x00000b0700000000n),
  spec('TDX_TLB_TRACKING_NOT_DONE', 0xc0000b0800000000n),
  spec('TDX_PAGE_ALREADY_ACCEPTED', 0x00000b0a00000000n),
  spec('TDX_PAGE_SIZE_MISMATCH', 0xc0000b0b00000000n),
  spec('TDX_METADATA_FIELD_ID_INCORRECT', 0xc0000c0000000000n),
  spec('TDX_METADATA_FIELD_NOT_WRITABLE', 0xc0000c0100000000n),
  spec('TDX_METADATA_FIELD_VALUE_NOT_VALID', 0xc0000c0300000000n),
  spec('TDX_TD_NOT_MIGRATABLE', 0xc0000e0900000000n),
  spec('TDX_INVALID_CPUSVN', 0xc000100000000000n),
];

/** Bits 63, 62 of a status ([K-ERRNO] TDX_ERROR, TDX_NON_RECOVERABLE). */
export const TDX_ERROR_BIT = 1n << 63n;
export const TDX_NON_RECOVERABLE_BIT = 1n << 62n;
/** [K-ASM]: software-defined codes use class 0xFF (bits 47:40), never used by the TDX module. */
export const TDX_SW_ERROR = TDX_ERROR_BIT | (0xffn << 40n);

/**
 * [K-ASM] software-defined (kernel) results of a SEAMCALL that did not reach the TDX module,
 * with the errno the core kernel turns each into (arch/x86/virt/vmx/tdx/seamcall_internal.h
 * sc_retry_prerr() in 7.2; tdx.c in 6.8-7.1): the caller sees that errno, e.g. in
 * "TDX-Module initialization failed (%d)".
 */
export const TDX_SW_ERRORS: readonly { name: string; code: bigint; errno: string; meaning: string }[] = [
  {
    name: 'TDX_SEAMCALL_VMFAILINVALID',
    code: TDX_SW_ERROR | 0xffff0000n,
    errno: 'ENODEV',
    meaning: 'SEAMCALL failed with VMfailInvalid: no TDX module is loaded (SEAM range not set up by the BIOS)',
  },
  { name: 'TDX_SEAMCALL_GP', code: TDX_SW_ERROR | 13n, errno: 'EOPNOTSUPP', meaning: 'SEAMCALL raised #GP' },
  {
    name: 'TDX_SEAMCALL_UD',
    code: TDX_SW_ERROR | 6n,
    errno: 'EACCES',
    meaning: 'SEAMCALL raised #UD (the CPU was not in VMX operation)',
  },
];

/** A bit of the TDX module's TDX_FEATURES0 global metadata field. */
export interface TdxFeatures0Bit {
  bit: number;
  name: string;
  /** Which kernels depend on the bit, and how. */
  kernelUse: string;
  source: string;
}

/**
 * TDX_FEATURES0 bits the kernel tests. A module without a bit KVM requires leaves TDX off:
 * phase-2 rules compare a known module's TDX_FEATURES0 with what the running kernel requires.
 */
export const TDX_FEATURES0_BITS: readonly TdxFeatures0Bit[] = [
  {
    bit: 1,
    name: 'TD_PRESERVING',
    kernelUse:
      '7.2: the module supports runtime update; only then does /sys/devices/faux/tdx_host/ show ' +
      'seamldr_version and num_remaining_updates',
    source:
      'kernel asm/tdx.h TDX_FEATURES0_TD_PRESERVING BIT_ULL(1); drivers/virt/coco/tdx-host/tdx-host.c ' +
      'supports_runtime_update()',
  },
  {
    bit: 18,
    name: 'NO_RBP_MOD',
    kernelUse:
      'the core kernel refuses a module that clobbers RBP: "frame pointer (RBP) clobber bug present, upgrade ' +
      'TDX module"',
    source: 'kernel asm/tdx.h TDX_FEATURES0_NO_RBP_MOD BIT_ULL(18); arch/x86/virt/vmx/tdx/tdx.c',
  },
  {
    bit: 20,
    name: 'TOPOLOGY_ENUM',
    kernelUse:
      'KVM (6.16 on) gives up on TDX without it, silently (__tdx_bringup() / __tdx_hardware_setup() return ' +
      '-EINVAL, no message)',
    source:
      'kernel arch/x86/kvm/vmx/tdx_arch.h MD_FIELD_ID_FEATURES0_TOPOLOGY_ENUM BIT_ULL(20); arch/x86/kvm/vmx/tdx.c',
  },
];

/**
 * What QEMU prints when KVM_CAP_VM_TYPES lacks the TDX type (kvm_get_vm_type() in
 * target/i386/kvm/kvm.c, error_report("vm-type %s not supported by KVM", vm_type_name[type])).
 * The name's case depends on the QEMU: users search for the exact text they saw.
 */
export const QEMU_TDX_VM_TYPE_MESSAGES: readonly { text: string; qemu: string; seenIn: string }[] = [
  {
    text: 'vm-type TDX not supported by KVM',
    qemu:
      'QEMU upstream with TDX (10.1 and later; vm_type_name[KVM_X86_TDX_VM] = "TDX"), and Canonical\'s ' +
      '8.2.2+ds-0ubuntu1.4+tdx1.1',
    seenIn: 'canonical/tdx#353, #380, #385',
  },
  {
    text: 'vm-type tdx not supported by KVM',
    qemu: "older Intel and Canonical TDX QEMU builds: Canonical's 8.0.4+dfsg-1ubuntu3+tdx1.0, intel-staging/qemu-tdx",
    seenIn: 'canonical/tdx#102 ("kvm: vm-type tdx not supported by KVM"), #342; intel-staging/qemu-tdx#6',
  },
  {
    text: 'vm-type X86_TDX_VM not supported by KVM',
    qemu: "Intel's MVP TDX QEMU (intel/tdx-tools, 2023); its 5.15 stack said \"kvm-type 'tdx' not supported by KVM\"",
    seenIn: 'intel/tdx-tools#281, #234; #223',
  },
];

/** Operand IDs in the low byte of a TDX_OPERAND_INVALID status ([K-ERRNO] TDX_OPERAND_ID_*, [ABI]). */
export const TDX_OPERAND_IDS: readonly { id: number; name: string; source: 'kernel' | 'abi-spec' }[] = [
  { id: 0, name: 'RAX', source: 'abi-spec' },
  { id: 1, name: 'RCX', source: 'kernel' },
  { id: 2, name: 'RDX', source: 'abi-spec' },
  { id: 3, name: 'RBX', source: 'abi-spec' },
  { id: 5, name: 'RBP', source: 'abi-spec' },
  { id: 6, name: 'RSI', source: 'abi-spec' },
  { id: 7, name: 'RDI', source: 'abi-spec' },
  { id: 8, name: 'R8', source: 'abi-spec' },
  { id: 9, name: 'R9', source: 'abi-spec' },
  { id: 10, name: 'R10', source: 'abi-spec' },
  { id: 11, name: 'R11', source: 'abi-spec' },
  { id: 12, name: 'R12', source: 'abi-spec' },
  { id: 13, name: 'R13', source: 'abi-spec' },
  { id: 14, name: 'R14', source: 'abi-spec' },
  { id: 15, name: 'R15', source: 'abi-spec' },
  { id: 64, name: 'ATTRIBUTES', source: 'abi-spec' },
  { id: 65, name: 'XFAM', source: 'abi-spec' },
  { id: 66, name: 'EXEC_CONTROLS', source: 'abi-spec' },
  { id: 67, name: 'EPTP_CONTROLS', source: 'abi-spec' },
  { id: 68, name: 'MAX_VCPUS', source: 'abi-spec' },
  { id: 69, name: 'CPUID_CONFIG', source: 'abi-spec' },
  { id: 70, name: 'TSC_FREQUENCY', source: 'abi-spec' },
  { id: 71, name: 'NUM_L2_VMS', source: 'abi-spec' },
  { id: 72, name: 'IA32_ARCH_CAPABILITIES_CONFIG', source: 'abi-spec' },
  { id: 95, name: 'PAGE', source: 'abi-spec' },
  { id: 96, name: 'TDMR_INFO_PA', source: 'abi-spec' },
  { id: 128, name: 'TDR', source: 'kernel' },
  { id: 129, name: 'TDCX', source: 'abi-spec' },
  { id: 130, name: 'TDVPR', source: 'abi-spec' },
  { id: 144, name: 'TDCS', source: 'abi-spec' },
  { id: 145, name: 'TDVPS', source: 'abi-spec' },
  { id: 146, name: 'SEPT', source: 'kernel' },
  { id: 147, name: 'SEPT_ENTRY', source: 'abi-spec' },
  { id: 168, name: 'RTMR', source: 'abi-spec' },
  { id: 169, name: 'TD_EPOCH', source: 'kernel' },
  { id: 184, name: 'SYS', source: 'abi-spec' },
  { id: 185, name: 'TDMR', source: 'abi-spec' },
];

/**
 * SEAMCALL leaf numbers the kernel uses (arch/x86/virt/vmx/tdx/tdx.h, arch/x86/kvm/vmx/tdx_arch.h;
 * numbers agree with the TDX module ABI spec list). Used to name the leaf of a logged failure.
 */
export const SEAMCALL_LEAVES: readonly {
  leaf: number;
  name: string /** Where a leaf the 7.2 kernel does not define is named. */;
  source?: string;
}[] = [
  { leaf: 0, name: 'TDH.VP.ENTER' },
  { leaf: 1, name: 'TDH.MNG.ADDCX' },
  { leaf: 2, name: 'TDH.MEM.PAGE.ADD' },
  { leaf: 3, name: 'TDH.MEM.SEPT.ADD' },
  { leaf: 4, name: 'TDH.VP.ADDCX' },
  { leaf: 6, name: 'TDH.MEM.PAGE.AUG' },
  { leaf: 7, name: 'TDH.MEM.RANGE.BLOCK' },
  { leaf: 8, name: 'TDH.MNG.KEY.CONFIG' },
  { leaf: 9, name: 'TDH.MNG.CREATE' },
  { leaf: 10, name: 'TDH.VP.CREATE' },
  { leaf: 11, name: 'TDH.MNG.RD' },
  { leaf: 16, name: 'TDH.MR.EXTEND' },
  { leaf: 17, name: 'TDH.MR.FINALIZE' },
  { leaf: 18, name: 'TDH.VP.FLUSH' },
  { leaf: 19, name: 'TDH.MNG.VPFLUSHDONE' },
  { leaf: 20, name: 'TDH.MNG.KEY.FREEID' },
  { leaf: 21, name: 'TDH.MNG.INIT' },
  { leaf: 22, name: 'TDH.VP.INIT' },
  { leaf: 24, name: 'TDH.PHYMEM.PAGE.RDMD' },
  { leaf: 26, name: 'TDH.VP.RD' },
  { leaf: 28, name: 'TDH.PHYMEM.PAGE.RECLAIM' },
  { leaf: 29, name: 'TDH.MEM.PAGE.REMOVE' },
  {
    leaf: 30,
    name: 'TDH.MEM.SEPT.REMOVE',
    source: 'TDX module ABI spec leaf list (KVM stopped calling it before 7.2)',
  },
  { leaf: 31, name: 'TDH.SYS.KEY.CONFIG' },
  { leaf: 32, name: 'TDH.SYS.INFO', source: 'arch/x86/virt/vmx/tdx/tdx.h@v6.8 (replaced by TDH.SYS.RD later)' },
  { leaf: 33, name: 'TDH.SYS.INIT' },
  { leaf: 34, name: 'TDH.SYS.RD' },
  { leaf: 35, name: 'TDH.SYS.LP.INIT' },
  { leaf: 36, name: 'TDH.SYS.TDMR.INIT' },
  { leaf: 38, name: 'TDH.MEM.TRACK' },
  { leaf: 39, name: 'TDH.MEM.RANGE.UNBLOCK', source: 'TDX module ABI spec leaf list' },
  { leaf: 40, name: 'TDH.PHYMEM.CACHE.WB' },
  { leaf: 41, name: 'TDH.PHYMEM.PAGE.WBINVD' },
  { leaf: 43, name: 'TDH.VP.WR' },
  { leaf: 45, name: 'TDH.SYS.CONFIG' },
  { leaf: 52, name: 'TDH.SYS.SHUTDOWN' },
  { leaf: 53, name: 'TDH.SYS.UPDATE' },
  {
    leaf: 58,
    name: 'TDH.PHYMEM.PAMT.ADD',
    source:
      'Dynamic PAMT series, arch/x86/virt/vmx/tdx/tdx.h TDH_PHYMEM_PAMT_ADD ("x86/virt/tdx: Add ' +
      'tdx_alloc/free_page() helpers", Kirill A. Shutemov; not in 7.2)',
  },
  {
    leaf: 59,
    name: 'TDH.PHYMEM.PAMT.REMOVE',
    source: 'Dynamic PAMT series, arch/x86/virt/vmx/tdx/tdx.h TDH_PHYMEM_PAMT_REMOVE (same patch; not in 7.2)',
  },
  { leaf: 69, name: 'TDH.SYS.DISABLE' },
];

/** A kvm / kvm_intel module parameter that TDX bring-up needs. */
export interface TdxParameter {
  module: 'kvm' | 'kvm_intel';
  parameter: string;
  /** The value TDX needs (all are bools: the kernel prints Y / N). */
  required: 'Y';
  reason: string;
  /** What kvm_intel prints when the check fails (pr_fmt "kvm_intel: "). */
  message: string;
  /** The kernel-version row (lib/knowledge/kernel-versions.ts) of the kernels that check it. */
  checkedBy: string;
}

/**
 * tdx_bringup() in arch/x86/kvm/vmx/tdx.c (6.16 on; tdx_hardware_setup() from 7.1): each failed
 * check prints the message, clears enable_tdx (kvm_intel.tdx reads N afterwards) and KVM loads
 * without TDX. `checkedBy` names the kernel-version row, so the kernels are said in one place.
 */
export const TDX_PARAMETERS: readonly TdxParameter[] = [
  {
    module: 'kvm_intel',
    parameter: 'tdx',
    required: 'Y',
    reason:
      'TDX is off unless kvm_intel is loaded with tdx=1 (module_param_named(tdx, enable_tdx, bool, 0444), ' +
      'default N); KVM clears it again when bring-up fails',
    message: '',
    checkedBy: 'tdx.kvm-uapi',
  },
  {
    module: 'kvm_intel',
    parameter: 'ept',
    required: 'Y',
    reason: 'tdx_bringup() refuses TDX when EPT is off (enable_ept)',
    message: 'EPT is required for TDX',
    checkedBy: 'tdx.kvm-uapi',
  },
  {
    module: 'kvm',
    parameter: 'tdp_mmu',
    required: 'Y',
    reason: 'tdx_bringup() refuses TDX without the TDP MMU (tdp_mmu_enabled)',
    message: 'TDP MMU and MMIO caching and EPT A/D bit is required for TDX',
    checkedBy: 'tdx.kvm-uapi',
  },
  {
    module: 'kvm',
    parameter: 'mmio_caching',
    required: 'Y',
    reason: 'tdx_bringup() refuses TDX without MMIO caching (enable_mmio_caching)',
    message: 'TDP MMU and MMIO caching and EPT A/D bit is required for TDX',
    checkedBy: 'tdx.kvm-uapi',
  },
  {
    module: 'kvm_intel',
    parameter: 'eptad',
    required: 'Y',
    reason: 'tdx_bringup() refuses TDX without EPT accessed/dirty bits (enable_ept_ad_bits)',
    message: 'TDP MMU and MMIO caching and EPT A/D bit is required for TDX',
    checkedBy: 'tdx.kvm-uapi',
  },
  {
    module: 'kvm_intel',
    parameter: 'enable_apicv',
    required: 'Y',
    reason: 'tdx_bringup() refuses TDX without APIC virtualization (enable_apicv)',
    message: 'APICv is required for TDX',
    checkedBy: 'tdx.kvm-uapi',
  },
  {
    module: 'kvm',
    parameter: 'enable_virt_at_load',
    required: 'Y',
    reason: 'tdx_bringup() refuses TDX unless virtualization is enabled when kvm loads (enable_virt_at_load)',
    message: 'tdx: tdx requires kvm.enable_virt_at_load=1',
    checkedBy: 'kvm.tdx-requires-enable-virt-at-load',
  },
];

/** The mask of the TD attribute named `name` (TD_ATTRIBUTES); throws on a name the table lacks. */
export function tdAttributeMask(name: string): bigint {
  const attribute = TD_ATTRIBUTES.find((a) => a.name === name);
  if (attribute === undefined) throw new RangeError(`no TD attribute named ${name}`);
  return 1n << BigInt(attribute.bit);
}

/**
 * The TDX module's global metadata fields kvm-caps reasons with (module version, TDX_FEATURES0,
 * the TD configuration limits personas are built from), as the kernel reads them into
 * struct tdx_sys_info (arch/x86/include/asm/tdx_global_metadata.h, generated from the module's
 * metadata list): `struct.field` and the field's C type.
 */
export const TDX_GLOBAL_METADATA_FIELDS: readonly {
  struct: string;
  field: string;
  type: 'u16' | 'u64';
  use: string;
}[] = [
  {
    struct: 'tdx_sys_info_version',
    field: 'major_version',
    type: 'u16',
    use: 'module version (sysfs version, "Module version:" line)',
  },
  { struct: 'tdx_sys_info_version', field: 'minor_version', type: 'u16', use: 'module version' },
  { struct: 'tdx_sys_info_version', field: 'update_version', type: 'u16', use: 'module version' },
  { struct: 'tdx_sys_info_features', field: 'tdx_features0', type: 'u64', use: 'TDX_FEATURES0_BITS' },
  {
    struct: 'tdx_sys_info_td_conf',
    field: 'attributes_fixed0',
    type: 'u64',
    use: 'KVM supported_attrs = KVM_SUPPORTED_TDX_TD_ATTRS & ATTRIBUTES_FIXED0',
  },
  {
    struct: 'tdx_sys_info_td_conf',
    field: 'attributes_fixed1',
    type: 'u64',
    use: 'KVM offers no TD when a fixed-1 attribute is outside what it supports',
  },
  {
    struct: 'tdx_sys_info_td_conf',
    field: 'xfam_fixed0',
    type: 'u64',
    use: 'KVM supported_xfam = (supported XCR0 | XSS) & XFAM_FIXED0',
  },
  {
    struct: 'tdx_sys_info_td_conf',
    field: 'xfam_fixed1',
    type: 'u64',
    use: 'KVM offers no TD when a fixed-1 XFAM bit is outside what it supports',
  },
  {
    struct: 'tdx_sys_info_td_conf',
    field: 'num_cpuid_config',
    type: 'u16',
    use: 'the count of KVM_TDX_CAPABILITIES CPUID entries',
  },
  {
    struct: 'tdx_sys_info_td_conf',
    field: 'max_vcpus_per_td',
    type: 'u16',
    use: 'KVM disables TDX when smaller than the logical CPU count',
  },
];

/**
 * The most CPUID configs the kernel keeps (tdx_sys_info_td_conf.cpuid_config_leaves[128]): KVM_TDX_CAPABILITIES never
 * reports more.
 */
export const TDX_MAX_CPUID_CONFIGS = 128;
