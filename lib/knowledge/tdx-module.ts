// What the public TDX module releases are and report, and which CPUID bits QEMU treats as fixed
// for a TD: the facts kvm-caps' TDX personas are built from and phase-2 rules (TDX_FEATURES0
// against the kernel's requirements; configurable vs native vs fixed CPUID) will ask.
//
// Sources:
//   [BIN]  intel/tdx-module-binaries mapping_file.json (commit 53e0e6e4775e): each published
//          module's version and TDX_FEATURES0.
//   [SRC]  intel/tdx-module tag TDX_1.5.01 (commit 72d8cffb214b, 2024-02-22):
//          include/auto_gen/cpuid_configurations.c cpuid_configurable[] (CPUID_CONFIG: the 12
//          configurable leaves, CONFIG_DIRECT and ALLOW_DIRECT masks), and
//          src/common/data_structures/td_control_structures.h TDX_ATTRIBUTES_FIXED0/1 and
//          TDX_XFAM_FIXED0/1.
//   [QEMU] QEMU target/i386/kvm/tdx.c tdx_fixed1_bits (CPUID bits a TD always has: "fixed1").

/** A published TDX module release [BIN]. */
export interface TdxModuleRelease {
  /** major.minor.update, as the kernel prints it (TDX_VERSION_FMT). */
  version: string;
  tdxFeatures0: bigint;
}

export const TDX_MODULE_RELEASES: readonly TdxModuleRelease[] = [
  { version: '1.5.01', tdxFeatures0: 0xf0fbfn },
  { version: '1.5.05', tdxFeatures0: 0x61f0fbfn },
  { version: '1.5.06', tdxFeatures0: 0x2e1f0fbfn },
  { version: '1.5.08', tdxFeatures0: 0x22e1f0fbfn },
  { version: '1.5.09', tdxFeatures0: 0x26f1f0fbfn },
  { version: '1.5.13', tdxFeatures0: 0x226f1f0fbfn },
  { version: '1.5.16', tdxFeatures0: 0x226f3f0fbfn },
  { version: '2.0.02', tdxFeatures0: 0x22e1f0fbfn },
  { version: '2.0.04', tdxFeatures0: 0x12af1f0fbfn },
  { version: '2.0.05', tdxFeatures0: 0x226f3f0fbfn },
  { version: '2.0.08', tdxFeatures0: 0x32a71f0fbfn },
];

export interface CpuidRegs {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/**
 * One CPUID_CONFIG entry of a module: the VMM configures CONFIG_DIRECT bits, and ALLOW_DIRECT bits where the CPU has
 * them.
 */
export interface TdxCpuidConfig {
  function: number;
  /** The sub-leaf; null where the module says "no sub-leaf" (0xffffffff; KVM reports index 0). */
  subleaf: number | null;
  configDirect: CpuidRegs;
  allowDirect: CpuidRegs;
}

const regs = (r: Partial<CpuidRegs>): CpuidRegs => ({ eax: 0, ebx: 0, ecx: 0, edx: 0, ...r });

/** The TDX module 1.5.01's TD configuration limits [SRC]. */
export const TDX_MODULE_1_5_01 = {
  version: '1.5.01',
  /** cpuid_configurable[], in its CPUID_CONFIG order (index 0-11), which KVM_TDX_CAPABILITIES keeps. */
  cpuidConfig: [
    {
      function: 0x1,
      subleaf: null,
      configDirect: regs({ eax: 0x0fff3fff, ebx: 0x00ff0000 }),
      allowDirect: regs({ ecx: 0x31044d88, edx: 0xb8440000 }),
    },
    {
      function: 0x4,
      subleaf: 0,
      configDirect: regs({ eax: 0xffffc3ff, ebx: 0xfffff000, ecx: 0xffffffff, edx: 0xfffffffb }),
      allowDirect: regs({}),
    },
    {
      function: 0x4,
      subleaf: 1,
      configDirect: regs({ eax: 0xffffc3ff, ebx: 0xfffff000, ecx: 0xffffffff, edx: 0xfffffffb }),
      allowDirect: regs({}),
    },
    {
      function: 0x4,
      subleaf: 2,
      configDirect: regs({ eax: 0xffffc3ff, ebx: 0xfffff000, ecx: 0xffffffff, edx: 0xfffffffb }),
      allowDirect: regs({}),
    },
    {
      function: 0x4,
      subleaf: 3,
      configDirect: regs({ eax: 0xffffc3ff, ebx: 0xfffff000, ecx: 0xffffffff, edx: 0x7 }),
      allowDirect: regs({}),
    },
    {
      function: 0x7,
      subleaf: 0,
      configDirect: regs({}),
      allowDirect: regs({ ebx: 0xdc2b9b18, ecx: 0x02417f65, edx: 0x0005411c }),
    },
    { function: 0x7, subleaf: 1, configDirect: regs({}), allowDirect: regs({ eax: 0x1d30 }) },
    { function: 0xa, subleaf: null, configDirect: regs({}), allowDirect: regs({}) },
    { function: 0x1c, subleaf: null, configDirect: regs({}), allowDirect: regs({ eax: 0xff }) },
    { function: 0x80000008, subleaf: null, configDirect: regs({}), allowDirect: regs({ ebx: 0x200 }) },
    { function: 0x7, subleaf: 2, configDirect: regs({}), allowDirect: regs({ edx: 0x28 }) },
    { function: 0x23, subleaf: 0, configDirect: regs({}), allowDirect: regs({ eax: 0xf }) },
  ] as readonly TdxCpuidConfig[],
  /** TDX_ATTRIBUTES_FIXED0: DEBUG (0), SEPT_VE_DISABLE (28), MIGRATABLE (29), PKS (30), PERFMON (63) may be set. */
  attributesFixed0: 0x8000000070000001n,
  attributesFixed1: 0n,
  xfamFixed0: 0x6dbe7n,
  /** x87 and SSE state are always in a TD's XFAM. */
  xfamFixed1: 0x3n,
} as const;

/**
 * A CPUID bit QEMU's tdx_fixed1_bits says every TD has [QEMU], with the kernel's cpufeatures.h name where it has one.
 */
export interface FixedCpuidBit {
  function: number;
  index: number;
  reg: keyof CpuidRegs;
  bit: number;
  /** QEMU's name (CPUID_EXT_SSE3 ...). */
  qemu: string;
  /** X86_FEATURE_* in arch/x86/include/asm/cpufeatures.h, when the kernel names the bit. */
  kernel?: string;
}

const f = (
  fn: number,
  index: number,
  reg: keyof CpuidRegs,
  bit: number,
  qemu: string,
  kernel?: string,
): FixedCpuidBit =>
  kernel === undefined ? { function: fn, index, reg, bit, qemu } : { function: fn, index, reg, bit, qemu, kernel };

export const QEMU_TDX_FIXED1_BITS: readonly FixedCpuidBit[] = [
  f(0x1, 0, 'ecx', 0, 'CPUID_EXT_SSE3', 'XMM3'),
  f(0x1, 0, 'ecx', 1, 'CPUID_EXT_PCLMULQDQ', 'PCLMULQDQ'),
  f(0x1, 0, 'ecx', 2, 'CPUID_EXT_DTES64', 'DTES64'),
  f(0x1, 0, 'ecx', 4, 'CPUID_EXT_DSCPL', 'DSCPL'),
  f(0x1, 0, 'ecx', 9, 'CPUID_EXT_SSSE3', 'SSSE3'),
  f(0x1, 0, 'ecx', 13, 'CPUID_EXT_CX16', 'CX16'),
  f(0x1, 0, 'ecx', 15, 'CPUID_EXT_PDCM', 'PDCM'),
  f(0x1, 0, 'ecx', 17, 'CPUID_EXT_PCID', 'PCID'),
  f(0x1, 0, 'ecx', 19, 'CPUID_EXT_SSE41', 'XMM4_1'),
  f(0x1, 0, 'ecx', 20, 'CPUID_EXT_SSE42', 'XMM4_2'),
  f(0x1, 0, 'ecx', 21, 'CPUID_EXT_X2APIC', 'X2APIC'),
  f(0x1, 0, 'ecx', 22, 'CPUID_EXT_MOVBE', 'MOVBE'),
  f(0x1, 0, 'ecx', 23, 'CPUID_EXT_POPCNT', 'POPCNT'),
  f(0x1, 0, 'ecx', 25, 'CPUID_EXT_AES', 'AES'),
  f(0x1, 0, 'ecx', 26, 'CPUID_EXT_XSAVE', 'XSAVE'),
  f(0x1, 0, 'ecx', 30, 'CPUID_EXT_RDRAND', 'RDRAND'),
  f(0x1, 0, 'ecx', 31, 'CPUID_EXT_HYPERVISOR', 'HYPERVISOR'),
  f(0x1, 0, 'edx', 0, 'CPUID_FP87', 'FPU'),
  f(0x1, 0, 'edx', 1, 'CPUID_VME', 'VME'),
  f(0x1, 0, 'edx', 2, 'CPUID_DE', 'DE'),
  f(0x1, 0, 'edx', 3, 'CPUID_PSE', 'PSE'),
  f(0x1, 0, 'edx', 4, 'CPUID_TSC', 'TSC'),
  f(0x1, 0, 'edx', 5, 'CPUID_MSR', 'MSR'),
  f(0x1, 0, 'edx', 6, 'CPUID_PAE', 'PAE'),
  f(0x1, 0, 'edx', 7, 'CPUID_MCE', 'MCE'),
  f(0x1, 0, 'edx', 8, 'CPUID_CX8', 'CX8'),
  f(0x1, 0, 'edx', 9, 'CPUID_APIC', 'APIC'),
  f(0x1, 0, 'edx', 11, 'CPUID_SEP', 'SEP'),
  f(0x1, 0, 'edx', 12, 'CPUID_MTRR', 'MTRR'),
  f(0x1, 0, 'edx', 13, 'CPUID_PGE', 'PGE'),
  f(0x1, 0, 'edx', 14, 'CPUID_MCA', 'MCA'),
  f(0x1, 0, 'edx', 15, 'CPUID_CMOV', 'CMOV'),
  f(0x1, 0, 'edx', 16, 'CPUID_PAT', 'PAT'),
  f(0x1, 0, 'edx', 19, 'CPUID_CLFLUSH', 'CLFLUSH'),
  f(0x1, 0, 'edx', 21, 'CPUID_DTS', 'DS'),
  f(0x1, 0, 'edx', 23, 'CPUID_MMX', 'MMX'),
  f(0x1, 0, 'edx', 24, 'CPUID_FXSR', 'FXSR'),
  f(0x1, 0, 'edx', 25, 'CPUID_SSE', 'XMM'),
  f(0x1, 0, 'edx', 26, 'CPUID_SSE2', 'XMM2'),
  f(0x6, 0, 'eax', 2, 'CPUID_6_EAX_ARAT', 'ARAT'),
  f(0x7, 0, 'ebx', 0, 'CPUID_7_0_EBX_FSGSBASE', 'FSGSBASE'),
  f(0x7, 0, 'ebx', 6, 'CPUID_7_0_EBX_FDP_EXCPTN_ONLY', 'FDP_EXCPTN_ONLY'),
  f(0x7, 0, 'ebx', 7, 'CPUID_7_0_EBX_SMEP', 'SMEP'),
  f(0x7, 0, 'ebx', 10, 'CPUID_7_0_EBX_INVPCID', 'INVPCID'),
  f(0x7, 0, 'ebx', 13, 'CPUID_7_0_EBX_ZERO_FCS_FDS', 'ZERO_FCS_FDS'),
  f(0x7, 0, 'ebx', 18, 'CPUID_7_0_EBX_RDSEED', 'RDSEED'),
  f(0x7, 0, 'ebx', 20, 'CPUID_7_0_EBX_SMAP', 'SMAP'),
  f(0x7, 0, 'ebx', 23, 'CPUID_7_0_EBX_CLFLUSHOPT', 'CLFLUSHOPT'),
  f(0x7, 0, 'ebx', 24, 'CPUID_7_0_EBX_CLWB', 'CLWB'),
  f(0x7, 0, 'ebx', 29, 'CPUID_7_0_EBX_SHA_NI', 'SHA_NI'),
  f(0x7, 0, 'ecx', 24, 'CPUID_7_0_ECX_BUS_LOCK_DETECT', 'BUS_LOCK_DETECT'),
  f(0x7, 0, 'ecx', 27, 'CPUID_7_0_ECX_MOVDIRI', 'MOVDIRI'),
  f(0x7, 0, 'ecx', 28, 'CPUID_7_0_ECX_MOVDIR64B', 'MOVDIR64B'),
  f(0x7, 0, 'edx', 10, 'CPUID_7_0_EDX_MD_CLEAR', 'MD_CLEAR'),
  f(0x7, 0, 'edx', 26, 'CPUID_7_0_EDX_SPEC_CTRL', 'SPEC_CTRL'),
  f(0x7, 0, 'edx', 27, 'CPUID_7_0_EDX_STIBP', 'INTEL_STIBP'),
  f(0x7, 0, 'edx', 28, 'CPUID_7_0_EDX_FLUSH_L1D', 'FLUSH_L1D'),
  f(0x7, 0, 'edx', 29, 'CPUID_7_0_EDX_ARCH_CAPABILITIES', 'ARCH_CAPABILITIES'),
  f(0x7, 0, 'edx', 30, 'CPUID_7_0_EDX_CORE_CAPABILITY', 'CORE_CAPABILITIES'),
  f(0x7, 0, 'edx', 31, 'CPUID_7_0_EDX_SPEC_CTRL_SSBD', 'SPEC_CTRL_SSBD'),
  // CPUID 7.2 EDX and 0x80000007 EDX: positions as KVM's arch/x86/kvm/reverse_cpuid.h (7.2) has them.
  f(0x7, 2, 'edx', 0, 'CPUID_7_2_EDX_PSFD'),
  f(0x7, 2, 'edx', 1, 'CPUID_7_2_EDX_IPRED_CTRL'),
  f(0x7, 2, 'edx', 2, 'CPUID_7_2_EDX_RRSBA_CTRL'),
  f(0x7, 2, 'edx', 4, 'CPUID_7_2_EDX_BHI_CTRL'),
  f(0xd, 0, 'eax', 0, 'XSTATE_FP_MASK'),
  f(0xd, 0, 'eax', 1, 'XSTATE_SSE_MASK'),
  f(0xd, 1, 'eax', 0, 'CPUID_XSAVE_XSAVEOPT', 'XSAVEOPT'),
  f(0xd, 1, 'eax', 1, 'CPUID_XSAVE_XSAVEC', 'XSAVEC'),
  f(0xd, 1, 'eax', 2, 'CPUID_XSAVE_XGETBV1', 'XGETBV1'),
  f(0xd, 1, 'eax', 3, 'CPUID_XSAVE_XSAVES', 'XSAVES'),
  f(0x80000001, 0, 'ecx', 0, 'CPUID_EXT3_LAHF_LM', 'LAHF_LM'),
  f(0x80000001, 0, 'ecx', 5, 'CPUID_EXT3_ABM', 'ABM'),
  f(0x80000001, 0, 'ecx', 8, 'CPUID_EXT3_3DNOWPREFETCH', '3DNOWPREFETCH'),
  f(0x80000001, 0, 'edx', 11, 'CPUID_EXT2_SYSCALL', 'SYSCALL'),
  f(0x80000001, 0, 'edx', 20, 'CPUID_EXT2_NX', 'NX'),
  f(0x80000001, 0, 'edx', 26, 'CPUID_EXT2_PDPE1GB', 'GBPAGES'),
  f(0x80000001, 0, 'edx', 27, 'CPUID_EXT2_RDTSCP', 'RDTSCP'),
  f(0x80000001, 0, 'edx', 29, 'CPUID_EXT2_LM', 'LM'),
  f(0x80000007, 0, 'edx', 8, 'CPUID_APM_INVTSC'),
];
