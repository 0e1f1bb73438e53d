// AMD SEV / SEV-ES / SEV-SNP tables: firmware status codes, platform states, status
// flag bits, VMSA feature bits, SNP guest policy bits and the kvm_amd parameters that
// matter. Pure data. Every table names the source it was copied from; the test
// (test/sev-report.test.ts) checks the psp-sev.h tables against the Linux 7.2 UAPI header.
//
// Sources read:
// - [UAPI-7.2] include/uapi/linux/psp-sev.h from Debian's linux-libc-dev 7.2.13-1 (the header
//   test/abi.test.ts fetches into .cache/uapi/), same text as torvalds/linux after v6.19-rc1.
// - [PSP-SEV-H] include/linux/psp-sev.h (kernel-internal): enum sev_state, SNP_POLICY_MASK_*
//   (the 21..25 defines from Tom Lendacky's "SNP policy bits" series, merged for v6.19;
//   bits 16..20 and the ABI fields were first defined in arch/x86/kvm/svm/sev.c "As defined by
//   SEV-SNP Firmware ABI, under "Guest Policy"").
// - [SVM-H] arch/x86/include/asm/svm.h SVM_SEV_FEAT_* (bits 0, 3, 4, 5, 9 in mainline; 7, 16 and
//   21 from 2025/2026 series), [MSR-INDEX] arch/x86/include/asm/msr-index.h MSR_AMD64_SNP_*_BIT
//   (the guest's SEV_STATUS MSR), and arch/x86/hyperv/ivm.c: "SEV_FEATURES (matches the SEV
//   STATUS MSR right shifted 2 bits)" - which is how the VMSA bits the kernel does not define
//   for the host (VTOM, REFLECT_VC, ...) get their numbers here.
// - [KX-SEV] kvm-x86/linux arch/x86/kvm/svm/sev.c @ 1a27afa0: module parameters,
//   KVM_SNP_POLICY_MASK_VALID, sev_hardware_setup().
// - [VIRTEE-SEV] virtee/sev src/types/snp/platform.rs (PlatformInit: is_rmp_init bit 0,
//   alias_check_complete bit 1, is_tio_en bit 3; PlatformPolicy bit 7 is_tio_en) and
//   src/types/snp/tcb.rs; virtee/snphost src/ok/mod.rs (the `ok` checks).
import { KVM_X86_SEV_VMSA_FEATURES, KVM_X86_SNP_POLICY_BITS, KVM_X86_SEV_SNP_REQ_CERTS } from './x86.js';

/** One named bit of a flags word. */
export interface BitName {
  bit: number;
  name: string;
  /** What a set bit means, in the words of the source. */
  meaning: string;
  source: string;
}

/** A multi-bit field of a flags word. */
export interface FieldName {
  low: number;
  width: number;
  name: string;
  meaning: string;
  source: string;
}

// ---------------------------------------------------------------------------------------
// Firmware status codes (sev_ret_code)

/**
 * SEV_RET_* by code, in header order [UAPI-7.2]. SEV_RET_NO_FW_CALL is -1 in the enum; the
 * ioctl's `error` field is a __u32, so userspace sees it as 0xffffffff. SEV_RET_INVALID_CONFIG
 * is an alias of the misspelt SEV_RET_INAVLID_CONFIG (3); the first name listed for a code wins.
 */
export const SEV_RET_CODES: readonly (readonly [code: number, name: string])[] = [
  [-1, 'SEV_RET_NO_FW_CALL'],
  [0x0000, 'SEV_RET_SUCCESS'],
  [0x0001, 'SEV_RET_INVALID_PLATFORM_STATE'],
  [0x0002, 'SEV_RET_INVALID_GUEST_STATE'],
  [0x0003, 'SEV_RET_INAVLID_CONFIG'],
  [0x0003, 'SEV_RET_INVALID_CONFIG'],
  [0x0004, 'SEV_RET_INVALID_LEN'],
  [0x0005, 'SEV_RET_ALREADY_OWNED'],
  [0x0006, 'SEV_RET_INVALID_CERTIFICATE'],
  [0x0007, 'SEV_RET_POLICY_FAILURE'],
  [0x0008, 'SEV_RET_INACTIVE'],
  [0x0009, 'SEV_RET_INVALID_ADDRESS'],
  [0x000a, 'SEV_RET_BAD_SIGNATURE'],
  [0x000b, 'SEV_RET_BAD_MEASUREMENT'],
  [0x000c, 'SEV_RET_ASID_OWNED'],
  [0x000d, 'SEV_RET_INVALID_ASID'],
  [0x000e, 'SEV_RET_WBINVD_REQUIRED'],
  [0x000f, 'SEV_RET_DFFLUSH_REQUIRED'],
  [0x0010, 'SEV_RET_INVALID_GUEST'],
  [0x0011, 'SEV_RET_INVALID_COMMAND'],
  [0x0012, 'SEV_RET_ACTIVE'],
  [0x0013, 'SEV_RET_HWSEV_RET_PLATFORM'],
  [0x0014, 'SEV_RET_HWSEV_RET_UNSAFE'],
  [0x0015, 'SEV_RET_UNSUPPORTED'],
  [0x0016, 'SEV_RET_INVALID_PARAM'],
  [0x0017, 'SEV_RET_RESOURCE_LIMIT'],
  [0x0018, 'SEV_RET_SECURE_DATA_INVALID'],
  [0x0019, 'SEV_RET_INVALID_PAGE_SIZE'],
  [0x001a, 'SEV_RET_INVALID_PAGE_STATE'],
  [0x001b, 'SEV_RET_INVALID_MDATA_ENTRY'],
  [0x001c, 'SEV_RET_INVALID_PAGE_OWNER'],
  [0x001d, 'SEV_RET_AEAD_OFLOW'],
  [0x001f, 'SEV_RET_EXIT_RING_BUFFER'],
  [0x0020, 'SEV_RET_RMP_INIT_REQUIRED'],
  [0x0021, 'SEV_RET_BAD_SVN'],
  [0x0022, 'SEV_RET_BAD_VERSION'],
  [0x0023, 'SEV_RET_SHUTDOWN_REQUIRED'],
  [0x0024, 'SEV_RET_UPDATE_FAILED'],
  [0x0025, 'SEV_RET_RESTORE_REQUIRED'],
  [0x0026, 'SEV_RET_RMP_INITIALIZATION_FAILED'],
  [0x0027, 'SEV_RET_INVALID_KEY'],
  [0x0028, 'SEV_RET_SHUTDOWN_INCOMPLETE'],
  [0x0030, 'SEV_RET_INCORRECT_BUFFER_LENGTH'],
  [0x0031, 'SEV_RET_EXPAND_BUFFER_LENGTH_REQUEST'],
  [0x0032, 'SEV_RET_SPDM_REQUEST'],
  [0x0033, 'SEV_RET_SPDM_ERROR'],
  [0x0035, 'SEV_RET_SEV_STATUS_ERR_IN_DEV_CONN'],
  [0x0036, 'SEV_RET_SEV_STATUS_INVALID_DEV_CTX'],
  [0x0037, 'SEV_RET_SEV_STATUS_INVALID_TDI_CTX'],
  [0x0038, 'SEV_RET_SEV_STATUS_INVALID_TDI'],
  [0x0039, 'SEV_RET_SEV_STATUS_RECLAIM_REQUIRED'],
  [0x003a, 'SEV_RET_IN_USE'],
  [0x003b, 'SEV_RET_SEV_STATUS_INVALID_DEV_STATE'],
  [0x003c, 'SEV_RET_SEV_STATUS_INVALID_TDI_STATE'],
  [0x003d, 'SEV_RET_SEV_STATUS_DEV_CERT_CHANGED'],
  [0x003e, 'SEV_RET_SEV_STATUS_RESYNC_REQ'],
  [0x003f, 'SEV_RET_SEV_STATUS_RESPONSE_TOO_LARGE'],
];

/** SEV_RET_NO_FW_CALL as the __u32 error field of sev_issue_cmd / kvm_sev_cmd carries it. */
export const SEV_RET_NO_FW_CALL_U32 = 0xffffffff;

/**
 * What some codes mean, where a source says so (the rest are only their SEV_RET_* name).
 * [UAPI-7.2] comment on SEV_RET_NO_FW_CALL; drivers/crypto/ccp/sev-dev.c comments on
 * SECURE_DATA_INVALID (INIT retry), INVALID_PAGE_STATE (SNP_PLATFORM_STATUS status page) and
 * DFFLUSH_REQUIRED (SNP_SHUTDOWN_EX); AMDESE/AMDSEV#202 (maintainer answer: 0xe = WBINVD not run).
 */
export const SEV_RET_MEANINGS: Readonly<Record<string, string>> = {
  SEV_RET_NO_FW_CALL: 'an error prevented the SEV firmware from being called at all (kernel-side failure)',
  SEV_RET_SUCCESS: 'success',
  SEV_RET_INVALID_PLATFORM_STATE: 'the platform is not in a state that allows the command',
  SEV_RET_INVALID_CONFIG: 'the firmware rejected the platform configuration',
  SEV_RET_SECURE_DATA_INVALID:
    'the integrity check of SEV persistent data failed (the kernel retries INIT once with a reset state)',
  SEV_RET_INVALID_PAGE_STATE: 'a page given to the firmware was not in the RMP state the command requires',
  SEV_RET_DFFLUSH_REQUIRED: 'a DF_FLUSH must be issued first',
  SEV_RET_WBINVD_REQUIRED: 'WBINVD has not been executed on all CPUs before the command',
  SEV_RET_RMP_INIT_REQUIRED: 'the RMP table must be initialised (SNP_INIT) first',
  SEV_RET_UNSUPPORTED: 'the firmware does not support the command',
  SEV_RET_INVALID_PARAM: 'a command parameter is invalid',
  SEV_RET_INVALID_COMMAND: 'the firmware does not know the command',
};

const SEV_RET_BY_CODE: ReadonlyMap<number, string> = (() => {
  const map = new Map<number, string>();
  for (const [code, name] of SEV_RET_CODES) if (!map.has(code)) map.set(code, name);
  return map;
})();

/** SEV_RET_* name of a firmware status code; -1 and 0xffffffff both give SEV_RET_NO_FW_CALL. */
export function sevRetName(code: number): string | undefined {
  if (code === SEV_RET_NO_FW_CALL_U32) return 'SEV_RET_NO_FW_CALL';
  return SEV_RET_BY_CODE.get(code);
}

export function sevRetMeaning(name: string): string | undefined {
  if (name === 'SEV_RET_INAVLID_CONFIG') return SEV_RET_MEANINGS.SEV_RET_INVALID_CONFIG;
  return SEV_RET_MEANINGS[name];
}

// ---------------------------------------------------------------------------------------
// Platform states and status flags

/** enum sev_state [PSP-SEV-H]: SEV_STATE_UNINIT 0x0, SEV_STATE_INIT 0x1, SEV_STATE_WORKING 0x2. */
export const SEV_PLATFORM_STATES: Readonly<Record<number, string>> = { 0: 'UNINIT', 1: 'INIT', 2: 'WORKING' };

/**
 * SNP platform states: 0 UNINIT, 1 INIT. KVM treats any non-zero state as initialised
 * ([KX-SEV] is_sev_snp_initialized: `initialized = !!status->state`), snphost's "SNP initialized"
 * check passes on `status.state == 1` [VIRTEE-SEV snphost src/ok/mod.rs].
 */
export const SNP_PLATFORM_STATES: Readonly<Record<number, string>> = { 0: 'UNINIT', 1: 'INIT' };

/**
 * sev_user_data_status.flags [UAPI-7.2]: SEV_STATUS_FLAGS_CONFIG_ES 0x0100. Bit 0 (owner) from
 * virtee/sev PlatformStatusFlags: "OWNED = 1 << 0: If set, this platform is owned. Otherwise, it
 * is self-owned." and "ENCRYPTED_STATE = 1 << 8"; snphost's "SEV-ES initialized" reads bit 8.
 */
export const SEV_STATUS_FLAGS: readonly BitName[] = [
  {
    bit: 0,
    name: 'OWNER',
    meaning: 'the platform is externally owned (clear: self-owned)',
    source: 'virtee/sev PlatformStatusFlags::OWNED',
  },
  {
    bit: 8,
    name: 'CONFIG_ES',
    meaning: 'SEV-ES is initialised in the firmware (INIT with the SEV-ES flag)',
    source: 'psp-sev.h SEV_STATUS_FLAGS_CONFIG_ES 0x0100',
  },
];

/** Byte 3 of sev_user_data_snp_status. */
export const SNP_RMP_FLAGS: readonly BitName[] = [
  {
    bit: 0,
    name: 'IS_RMP_INITIALIZED',
    meaning: 'the RMP table is initialised',
    source: 'psp-sev.h sev_user_data_snp_status.is_rmp_initialized',
  },
  {
    bit: 1,
    name: 'ALIAS_CHECK_COMPLETE',
    meaning:
      'alias detection has completed since the last system reset and ' +
      'found no aliasing addresses (firmware Milan 1.55.22, Genoa ' +
      '1.55.38 and later)',
    source: 'virtee/sev src/types/snp/platform.rs PlatformInit::alias_check_complete',
  },
  {
    bit: 3,
    name: 'TIO_EN',
    meaning: 'SEV-TIO is enabled',
    source: 'virtee/sev src/types/snp/platform.rs PlatformInit::is_tio_en',
  },
];

/** Bytes 8-11 of sev_user_data_snp_status [UAPI-7.2] (rapl_dis .. ciphertext_hiding_en new in v6.18). */
export const SNP_FEATURE_FLAGS: readonly BitName[] = [
  {
    bit: 0,
    name: 'MASK_CHIP_ID',
    meaning: 'the chip id is left out of attestation reports',
    source: 'psp-sev.h mask_chip_id',
  },
  {
    bit: 1,
    name: 'MASK_CHIP_KEY',
    meaning: 'attestation reports are not signed with the chip key (VCEK)',
    source: 'psp-sev.h mask_chip_key',
  },
  {
    bit: 2,
    name: 'VLEK_EN',
    meaning: 'a VLEK (Version Loaded Endorsement Key) hashstick is loaded',
    source: 'psp-sev.h vlek_en',
  },
  {
    bit: 3,
    name: 'FEATURE_INFO',
    meaning: 'the SNP_FEATURE_INFO command is available',
    source: 'psp-sev.h feature_info',
  },
  { bit: 4, name: 'RAPL_DIS', meaning: 'RAPL is disabled', source: 'psp-sev.h rapl_dis' },
  {
    bit: 5,
    name: 'CIPHERTEXT_HIDING_CAP',
    meaning: 'the platform can hide DRAM ciphertext',
    source: 'psp-sev.h ciphertext_hiding_cap',
  },
  {
    bit: 6,
    name: 'CIPHERTEXT_HIDING_EN',
    meaning: 'DRAM ciphertext hiding is enabled',
    source: 'psp-sev.h ciphertext_hiding_en',
  },
  {
    bit: 7,
    name: 'TIO_EN',
    meaning: 'SEV-TIO is enabled (reserved in the kernel header)',
    source: 'virtee/sev PlatformPolicy::is_tio_en',
  },
];

/**
 * The host CPUID 0x8000001F fields `snphost ok` reads that KVM's CPUID view does not pass on:
 * EAX bits as cpufeatures.h word 19 numbers them (X86_FEATURE_SEV, X86_FEATURE_SEV_SNP, X86_FEATURE_VM_PAGE_FLUSH,
 * X86_FEATURE_SME_COHERENT; none printed in /proc/cpuinfo) and, where the kernel defines none,
 * as AMD's APM vol. 3 (CPUID Fn8000_001F: EAX bit 5 VMPL, EBX[15:12] NumVMPL).
 */
export const HOST_CPUID_8000001F = {
  sevBit: 1,
  pageFlushBit: 2,
  snpBit: 4,
  vmplBit: 5,
  smeCoherentBit: 10,
  numVmplShift: 12,
  numVmplMask: 0xf,
} as const;

/**
 * SNP_MIN_API_MAJOR / SNP_MIN_API_MINOR in drivers/crypto/ccp/sev-dev.c; snphost's "SEV firmware version" check (>=
 * 1.51).
 */
export const SNP_MIN_FIRMWARE = { major: 1, minor: 51 } as const;

// ---------------------------------------------------------------------------------------
// VMSA SEV_FEATURES bits (KVM_X86_SEV_VMSA_FEATURES, kvm_sev_init.vmsa_features)

export interface VmsaFeature extends BitName {
  /** The SVM_SEV_FEAT_* define, or the SEV_STATUS MSR define the bit is derived from. */
  define: string;
  /** Whether mainline KVM can offer it (sev_supported_vmsa_features), as read in [KX-SEV]. */
  kvm: string;
}

export const VMSA_FEATURES: readonly VmsaFeature[] = [
  {
    bit: 0,
    name: 'SNP_ACTIVE',
    define: 'SVM_SEV_FEAT_SNP_ACTIVE',
    meaning: 'the guest is an SEV-SNP guest',
    kvm: 'set by KVM itself for SNP VMs; never offered to userspace',
    source: 'svm.h BIT(0)',
  },
  {
    bit: 1,
    name: 'VTOM',
    define: 'MSR_AMD64_SNP_VTOM_BIT 3 - 2',
    meaning: 'virtual top-of-memory addressing',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 2,
    name: 'REFLECT_VC',
    define: 'MSR_AMD64_SNP_REFLECT_VC_BIT 4 - 2',
    meaning: 'reflect #VC to the hypervisor',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 3,
    name: 'RESTRICTED_INJECTION',
    define: 'SVM_SEV_FEAT_RESTRICTED_INJECTION',
    meaning: 'restricted interrupt injection',
    kvm: 'defined, not offered',
    source: 'svm.h BIT(3)',
  },
  {
    bit: 4,
    name: 'ALTERNATE_INJECTION',
    define: 'SVM_SEV_FEAT_ALTERNATE_INJECTION',
    meaning: 'alternate interrupt injection',
    kvm: 'defined, not offered',
    source: 'svm.h BIT(4)',
  },
  {
    bit: 5,
    name: 'DEBUG_SWAP',
    define: 'SVM_SEV_FEAT_DEBUG_SWAP',
    meaning: 'debug registers are swapped on world switch (guest data breakpoints)',
    kvm: 'SEV-ES/SNP, when the CPU has DebugSwap and NoNestedDataBp',
    source: 'svm.h BIT(5)',
  },
  {
    bit: 6,
    name: 'PREVENT_HOST_IBS',
    define: 'MSR_AMD64_SNP_PREVENT_HOST_IBS_BIT 8 - 2',
    meaning: 'the host may not use IBS on the guest',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 7,
    name: 'BTB_ISOLATION',
    define: 'SVM_SEV_FEAT_BTB_ISOLATION',
    meaning: 'branch target buffer isolation',
    kvm: 'SNP, from a 2026 series (Kim Phillips)',
    source: 'svm.h BIT(7) patch; msr-index.h bit 9',
  },
  {
    bit: 8,
    name: 'VMPL_SSS',
    define: 'MSR_AMD64_SNP_VMPL_SSS_BIT 10 - 2',
    meaning: 'VMPL supervisor shadow stacks',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 9,
    name: 'SECURE_TSC',
    define: 'SVM_SEV_FEAT_SECURE_TSC',
    meaning: 'Secure TSC',
    kvm: 'SNP only, when the CPU has SNP_SECURE_TSC and tsc_khz is known',
    source: 'svm.h BIT(9)',
  },
  {
    bit: 10,
    name: 'VMGEXIT_PARAMETER',
    define: 'MSR_AMD64_SNP_VMGEXIT_PARAM_BIT 12 - 2',
    meaning: 'VMGEXIT parameter',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 12,
    name: 'IBS_VIRT',
    define: 'MSR_AMD64_SNP_IBS_VIRT_BIT 14 - 2',
    meaning: 'IBS virtualisation',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 14,
    name: 'VMSA_REG_PROT',
    define: 'MSR_AMD64_SNP_VMSA_REG_PROT_BIT 16 - 2',
    meaning: 'VMSA register protection',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 15,
    name: 'SMT_PROTECTION',
    define: 'MSR_AMD64_SNP_SMT_PROT_BIT 17 - 2',
    meaning: 'SMT protection',
    kvm: 'not offered',
    source: 'msr-index.h via SEV_STATUS >> 2',
  },
  {
    bit: 16,
    name: 'SECURE_AVIC',
    define: 'SVM_SEV_FEAT_SECURE_AVIC',
    meaning: 'Secure AVIC',
    kvm: 'Secure AVIC series; KVM host support unverified',
    source: 'svm.h BIT(16) series; msr-index.h bit 18',
  },
  {
    bit: 21,
    name: 'IBPB_ON_ENTRY',
    define: 'SVM_SEV_FEAT_IBPB_ON_ENTRY',
    meaning: 'IBPB on every guest entry',
    kvm: 'SNP, from a 2026 series',
    source: 'svm.h BIT(21) patch; msr-index.h bit 23',
  },
];

// ---------------------------------------------------------------------------------------
// SEV-SNP guest policy (KVM_X86_SNP_POLICY_BITS, kvm_sev_snp_launch_start.policy)

export const SNP_POLICY_FIELDS: readonly FieldName[] = [
  {
    low: 0,
    width: 8,
    name: 'ABI_MINOR',
    meaning: 'minimum firmware ABI minor version',
    source: 'SNP_POLICY_MASK_API_MINOR GENMASK_ULL(7, 0)',
  },
  {
    low: 8,
    width: 8,
    name: 'ABI_MAJOR',
    meaning: 'minimum firmware ABI major version',
    source: 'SNP_POLICY_MASK_API_MAJOR GENMASK_ULL(15, 8)',
  },
];

export const SNP_POLICY_BITS: readonly BitName[] = [
  { bit: 16, name: 'SMT', meaning: 'SMT is allowed', source: 'SNP_POLICY_MASK_SMT BIT_ULL(16)' },
  {
    bit: 17,
    name: 'RSVD_MBO',
    meaning: 'reserved, must be one (KVM rejects SNP_LAUNCH_START without it)',
    source: 'SNP_POLICY_MASK_RSVD_MBO BIT_ULL(17)',
  },
  {
    bit: 18,
    name: 'MIGRATE_MA',
    meaning: 'association with a migration agent is allowed',
    source: 'SNP_POLICY_MASK_MIGRATE_MA BIT_ULL(18)',
  },
  { bit: 19, name: 'DEBUG', meaning: 'debugging is allowed', source: 'SNP_POLICY_MASK_DEBUG BIT_ULL(19)' },
  {
    bit: 20,
    name: 'SINGLE_SOCKET',
    meaning: 'the guest may only run on one socket',
    source: 'SNP_POLICY_MASK_SINGLE_SOCKET BIT_ULL(20)',
  },
  {
    bit: 21,
    name: 'CXL_ALLOW',
    meaning: 'CXL memory may back the guest (firmware SNP_FEATURE_INFO ECX bit 5)',
    source: 'SNP_POLICY_MASK_CXL_ALLOW BIT_ULL(21)',
  },
  {
    bit: 22,
    name: 'MEM_AES_256_XTS',
    meaning: 'AES-256-XTS memory encryption required (ECX bit 4)',
    source: 'SNP_POLICY_MASK_MEM_AES_256_XTS BIT_ULL(22)',
  },
  {
    bit: 23,
    name: 'RAPL_DIS',
    meaning: 'RAPL must be disabled (ECX bit 2)',
    source: 'SNP_POLICY_MASK_RAPL_DIS BIT_ULL(23)',
  },
  {
    bit: 24,
    name: 'CIPHERTEXT_HIDING_DRAM',
    meaning: 'DRAM ciphertext hiding required (ECX bit 3)',
    source: 'SNP_POLICY_MASK_CIPHERTEXT_HIDING_DRAM BIT_ULL(24)',
  },
  {
    bit: 25,
    name: 'PAGE_SWAP_DISABLE',
    meaning: 'page swap disabled (SEV firmware 1.58 and later)',
    source: 'SNP_POLICY_MASK_PAGE_SWAP_DISABLE BIT_ULL(25)',
  },
];

/**
 * KVM_SNP_POLICY_MASK_VALID [KX-SEV]: API_MINOR | API_MAJOR | SMT | RSVD_MBO | DEBUG |
 * SINGLE_SOCKET | CXL_ALLOW | MEM_AES_256_XTS | RAPL_DIS | CIPHERTEXT_HIDING_DRAM |
 * PAGE_SWAP_DISABLE - every policy bit but MIGRATE_MA (18).
 */
export const KVM_SNP_POLICY_MASK_VALID = 0x3fbffffn;

// ---------------------------------------------------------------------------------------
// KVM_X86_GRP_SEV attributes (numbers from lib/knowledge/x86.ts, checked against the 7.2 headers)

export const SEV_ATTRIBUTES: readonly {
  attr: number;
  name: string;
  key: 'vmsaFeatures' | 'snpPolicyBits' | 'snpReqCerts';
  meaning: string;
  since: string;
}[] = [
  {
    attr: KVM_X86_SEV_VMSA_FEATURES,
    name: 'KVM_X86_SEV_VMSA_FEATURES',
    key: 'vmsaFeatures',
    meaning: 'the SEV_FEATURES bits KVM_SEV_INIT2 accepts in vmsa_features',
    since: 'Linux 6.10 (with KVM_SEV_INIT2); without it, only the legacy KVM_SEV_INIT / KVM_SEV_ES_INIT exist',
  },
  {
    attr: KVM_X86_SNP_POLICY_BITS,
    name: 'KVM_X86_SNP_POLICY_BITS',
    key: 'snpPolicyBits',
    meaning: 'the SNP guest policy bits KVM and the firmware support (0 when SNP is not supported)',
    since: 'Linux 6.19',
  },
  {
    attr: KVM_X86_SEV_SNP_REQ_CERTS,
    name: 'KVM_X86_SEV_SNP_REQ_CERTS',
    key: 'snpReqCerts',
    meaning:
      '1 when KVM can exit to userspace (KVM_EXIT_SNP_REQ_CERTS) to fetch certificates for guest attestation requests',
    since: 'after Linux 6.19 (present in the 7.2 headers)',
  },
];

// ---------------------------------------------------------------------------------------
// kvm_amd module parameters that decide SEV support

export interface KvmAmdParameter {
  name: string;
  type: 'bool' | 'uint' | 'int';
  reason: string;
  source: string;
}

/**
 * The kvm_amd parameters a SEV report reads (/sys/module/kvm_amd/parameters/<name>). Booleans
 * print Y/N; very old kernels printed 1/0 for `sev` (enarx-archive/sevctl#63: "newer kernels
 * print Y instead of 1") - both are accepted by parseModuleBool().
 */
export const KVM_AMD_PARAMETERS: readonly KvmAmdParameter[] = [
  {
    name: 'sev',
    type: 'bool',
    reason: 'SEV VMs; sev_hardware_setup() writes back whether SEV ended up usable (effective, not requested)',
    source: 'arch/x86/kvm/svm/sev.c module_param_named(sev, sev_enabled, bool, 0444)',
  },
  {
    name: 'sev_es',
    type: 'bool',
    reason: 'SEV-ES VMs; effective value (needs SEV, MMIO caching, LBRV and ASIDs below the SEV range)',
    source: 'arch/x86/kvm/svm/sev.c module_param_named(sev_es, sev_es_enabled, bool, 0444)',
  },
  {
    name: 'sev_snp',
    type: 'bool',
    reason: 'SEV-SNP VMs (Linux 6.11+); effective value (needs SEV-ES, the RMP and SNP firmware INIT)',
    source: 'arch/x86/kvm/svm/sev.c module_param_named(sev_snp, sev_snp_enabled, bool, 0444)',
  },
  {
    name: 'ciphertext_hiding_asids',
    type: 'uint',
    reason:
      'ASIDs reserved for SNP guests with ciphertext hiding; SEV-ES gets only the rest of the joint range (0 = off)',
    source:
      'arch/x86/kvm/svm/sev.c module_param_named(ciphertext_hiding_asids, nr_ciphertext_hiding_asids, uint, 0444)',
  },
  {
    name: 'debug_swap',
    type: 'bool',
    reason:
      'whether KVM offers DEBUG_SWAP to SEV-ES guests; default N from ' +
      '"SEV: disable SEV-ES DebugSwap by default" (6.8, 6.6.y), Y ' +
      'again from 6.10, removed in 2026',
    source: 'arch/x86/kvm/svm/sev.c module_param_named(debug_swap, sev_es_debug_swap_enabled, bool, 0444)',
  },
  {
    name: 'npt',
    type: 'bool',
    reason: 'SEV requires nested paging: sev_hardware_setup() bails out when !npt_enabled',
    source: 'arch/x86/kvm/svm/sev.c sev_hardware_setup(): if (!sev_enabled || !npt_enabled || !nrips) goto out',
  },
  {
    name: 'nested',
    type: 'int',
    reason:
      "nested SVM for the host's ordinary VMs; SEV guests cannot use it, and a host that is itself a guest " +
      'cannot run SEV VMs',
    source: 'arch/x86/kvm/svm/svm.c module_param(nested, int, 0444)',
  },
];

/** A kvm_amd boolean parameter's text: Y/y/1 true, N/n/0 false, anything else unknown. */
export function parseModuleBool(text: string): boolean | null {
  const t = text.trim();
  if (t === 'Y' || t === 'y' || t === '1') return true;
  if (t === 'N' || t === 'n' || t === '0') return false;
  return null;
}

/**
 * AMD-SB-3023: firmware at or above this SNP SVN (current TCB) no longer allows SEV-ES guests,
 * and kernels that know it drop KVM_X86_SEV_ES_VM once SNP is initialised (kvm_amd then logs
 * "SEV-ES unusable"). Zen3/Zen4 (Milan, Genoa) read the v1 TCB layout, Zen5 (Turin) the v2.
 * drivers/crypto/ccp/sev-dev.c sev_firmware_allows_es() / sev_firmware_supported_vm_types() at
 * v7.2 (Debian unstable linux-source-7.2); the first release that has it is not pinned, so rules
 * use it only with the kernel's own evidence (the missing VM type or the log line).
 */
export const SEV_ES_MAX_SNP_SVN: Readonly<Record<'milan-genoa' | 'turin', number>> = {
  'milan-genoa': 0x1b,
  turin: 0x4,
};

// ---------------------------------------------------------------------------------------
// What the RMP and AMD IOMMU problems in the kernel log mean (arch/x86/virt/svm/sev.c,
// drivers/iommu/amd/init.c iommu_snp_enable() at v7.2), and what fixes them.

export const RMP_PROBLEM_MEANING = 'SEV-SNP is disabled for this boot (the kernel clears sev_snp)';
export const RMP_PROBLEM_FIX = 'BIOS: enable "SNP Memory (RMP Table) Coverage"';

export const IOMMU_PROBLEMS: Readonly<Record<string, { meaning: string; fix: string }>> = {
  'disabled-or-passthrough': {
    meaning:
      'SEV-SNP cannot be supported: it needs the IOMMU on, not in passthrough, with v1 page tables and the SNP feature',
    fix: 'remove iommu=pt / amd_iommu=off from the kernel command line; enable the IOMMU in the BIOS',
  },
  'v2-page-table': {
    meaning:
      'SEV-SNP cannot be supported: it needs the IOMMU on, not in passthrough, with v1 page tables and the SNP feature',
    fix: 'check the BIOS IOMMU settings (SEV-SNP Support)',
  },
  'no-snp-feature': {
    meaning:
      'SEV-SNP cannot be supported: it needs the IOMMU on, not in passthrough, with v1 page tables and the SNP feature',
    fix: 'check the BIOS IOMMU settings (SEV-SNP Support)',
  },
  'rmp-init-failed': {
    meaning: 'SEV-SNP cannot be supported: setting up the RMP table failed (the RMP lines above say why)',
    fix: 'BIOS: enable "SNP Memory (RMP Table) Coverage" so that the RMP covers all memory',
  },
};
