// CPUID feature-bit tables: data only, the single source of truth for lib/decode/cpuid-entry.ts.
//
// Naming rule (read from the kernel, not from memory):
//   1. the /proc/cpuinfo name from arch/x86/include/asm/cpufeatures.h (the quoted string at the
//      start of the comment; since Linux 6.11 only quoted names are printed);
//   2. a bit the kernel defines but does not print: its X86_FEATURE_ suffix, lower-cased
//      (also arch/x86/kvm/reverse_cpuid.h and arch/x86/kernel/cpu/scattered.c for KVM-only and
//      scattered bits);
//   3. an architectural bit the kernel does not define: the Intel SDM / AMD APM mnemonic,
//      lower-cased. Every such name is listed in NOT_IN_PROC_CPUINFO with the others the kernel
//      never prints.
// Bits that no source names are absent; the decoder reports them by number.
//
// Kernel source read: a late-2025 mainline cpufeatures.h (NCAPINTS 22, with X86_FEATURE_ZEN6 and
// MOVRS), cross-checked against the 6.13/6.14 versions; the "word N" comments below cite it.

export type Register = 'eax' | 'ebx' | 'ecx' | 'edx';

export interface FeatureRegister {
  /** CPUID leaf (EAX input). */
  function: number;
  /** CPUID subleaf (ECX input); 0 for leaves without subleaves. */
  index: number;
  register: Register;
  title: string;
  /** Bit number -> feature name. */
  bits: Readonly<Record<number, string>>;
}

/**
 * The leaf 1 EDX bits that leaf 0x80000001 EDX repeats with the same meaning (AMD APM); the kernel
 * names them once, in cpufeatures.h word 0.
 */
const SHARED_EDX_BITS: Readonly<Record<number, string>> = {
  0: 'fpu',
  1: 'vme',
  2: 'de',
  3: 'pse',
  4: 'tsc',
  5: 'msr',
  6: 'pae',
  7: 'mce',
  8: 'cx8',
  9: 'apic',
  12: 'mtrr',
  13: 'pge',
  14: 'mca',
  15: 'cmov',
  16: 'pat',
  17: 'pse36',
  23: 'mmx',
  24: 'fxsr',
};

export const CPUID_FEATURE_REGISTERS: readonly FeatureRegister[] = [
  {
    // cpufeatures.h word 0 ("Intel-defined CPU features, CPUID level 0x00000001 (EDX)").
    function: 0x1,
    index: 0,
    register: 'edx',
    title: 'Standard features (EDX)',
    bits: {
      ...SHARED_EDX_BITS,
      11: 'sep',
      18: 'pn',
      19: 'clflush',
      21: 'dts', // X86_FEATURE_DS
      22: 'acpi',
      25: 'sse', // X86_FEATURE_XMM
      26: 'sse2', // X86_FEATURE_XMM2
      27: 'ss', // X86_FEATURE_SELFSNOOP
      28: 'ht',
      29: 'tm', // X86_FEATURE_ACC
      30: 'ia64',
      31: 'pbe',
    },
  },
  {
    // cpufeatures.h word 4 ("Intel-defined CPU features, CPUID level 0x00000001 (ECX)").
    function: 0x1,
    index: 0,
    register: 'ecx',
    title: 'Standard features (ECX)',
    bits: {
      0: 'pni', // X86_FEATURE_XMM3
      1: 'pclmulqdq',
      2: 'dtes64',
      3: 'monitor', // X86_FEATURE_MWAIT
      4: 'ds_cpl',
      5: 'vmx',
      6: 'smx',
      7: 'est',
      8: 'tm2',
      9: 'ssse3',
      10: 'cid',
      11: 'sdbg',
      12: 'fma',
      13: 'cx16',
      14: 'xtpr',
      15: 'pdcm',
      17: 'pcid',
      18: 'dca',
      19: 'sse4_1',
      20: 'sse4_2',
      21: 'x2apic',
      22: 'movbe',
      23: 'popcnt',
      24: 'tsc_deadline_timer',
      25: 'aes',
      26: 'xsave',
      27: 'osxsave', // not printed
      28: 'avx',
      29: 'f16c',
      30: 'rdrand',
      31: 'hypervisor',
    },
  },
  {
    // cpufeatures.h word 9 ("CPUID level 0x00000007:0 (EBX)").
    function: 0x7,
    index: 0,
    register: 'ebx',
    title: 'Structured extended features, subleaf 0 (EBX)',
    bits: {
      0: 'fsgsbase',
      1: 'tsc_adjust',
      2: 'sgx',
      3: 'bmi1',
      4: 'hle',
      5: 'avx2',
      6: 'fdp_excptn_only', // not printed
      7: 'smep',
      8: 'bmi2',
      9: 'erms',
      10: 'invpcid',
      11: 'rtm',
      12: 'cqm',
      13: 'zero_fcs_fds', // not printed
      14: 'mpx',
      15: 'rdt_a',
      16: 'avx512f',
      17: 'avx512dq',
      18: 'rdseed',
      19: 'adx',
      20: 'smap',
      21: 'avx512ifma',
      23: 'clflushopt',
      24: 'clwb',
      25: 'intel_pt',
      26: 'avx512pf',
      27: 'avx512er',
      28: 'avx512cd',
      29: 'sha_ni',
      30: 'avx512bw',
      31: 'avx512vl',
    },
  },
  {
    // cpufeatures.h word 16 ("CPUID level 0x00000007:0 (ECX)"); bit 0 is the SDM's PREFETCHWT1,
    // which the kernel does not define.
    function: 0x7,
    index: 0,
    register: 'ecx',
    title: 'Structured extended features, subleaf 0 (ECX)',
    bits: {
      0: 'prefetchwt1', // SDM
      1: 'avx512vbmi',
      2: 'umip',
      3: 'pku',
      4: 'ospke',
      5: 'waitpkg',
      6: 'avx512_vbmi2',
      7: 'shstk', // not printed
      8: 'gfni',
      9: 'vaes',
      10: 'vpclmulqdq',
      11: 'avx512_vnni',
      12: 'avx512_bitalg',
      13: 'tme',
      14: 'avx512_vpopcntdq',
      16: 'la57',
      22: 'rdpid',
      24: 'bus_lock_detect',
      25: 'cldemote',
      27: 'movdiri',
      28: 'movdir64b',
      29: 'enqcmd',
      30: 'sgx_lc',
    },
  },
  {
    // cpufeatures.h word 18 ("CPUID level 0x00000007:0 (EDX)").
    function: 0x7,
    index: 0,
    register: 'edx',
    title: 'Structured extended features, subleaf 0 (EDX)',
    bits: {
      2: 'avx512_4vnniw',
      3: 'avx512_4fmaps',
      4: 'fsrm',
      8: 'avx512_vp2intersect',
      9: 'srbds_ctrl', // not printed
      10: 'md_clear',
      11: 'rtm_always_abort', // not printed
      13: 'tsx_force_abort', // not printed
      14: 'serialize',
      15: 'hybrid_cpu', // not printed
      16: 'tsxldtrk',
      18: 'pconfig',
      19: 'arch_lbr',
      20: 'ibt',
      22: 'amx_bf16',
      23: 'avx512_fp16',
      24: 'amx_tile',
      25: 'amx_int8',
      26: 'spec_ctrl', // not printed
      27: 'intel_stibp', // not printed
      28: 'flush_l1d',
      29: 'arch_capabilities',
      30: 'core_capabilities', // not printed
      31: 'spec_ctrl_ssbd', // not printed
    },
  },
  {
    // cpufeatures.h word 12 ("CPUID level 0x00000007:1 (EAX)").
    function: 0x7,
    index: 1,
    register: 'eax',
    title: 'Structured extended features, subleaf 1 (EAX)',
    bits: {
      0: 'sha512', // not printed
      1: 'sm3', // not printed
      2: 'sm4', // not printed
      4: 'avx_vnni',
      5: 'avx512_bf16',
      6: 'lass',
      7: 'cmpccxadd', // not printed
      8: 'arch_perfmon_ext', // not printed
      10: 'fzrm', // not printed
      11: 'fsrs', // not printed
      12: 'fsrc', // not printed
      17: 'fred',
      18: 'lkgs', // not printed
      19: 'wrmsrns', // not printed
      21: 'amx_fp16', // not printed
      23: 'avx_ifma', // not printed
      26: 'lam',
      31: 'movrs', // not printed
    },
  },
  {
    // arch/x86/kernel/cpu/scattered.c: { X86_FEATURE_INTEL_PPIN, CPUID_EBX, 0, 0x00000007, 1 }.
    function: 0x7,
    index: 1,
    register: 'ebx',
    title: 'Structured extended features, subleaf 1 (EBX)',
    bits: {
      0: 'intel_ppin',
    },
  },
  {
    // KVM-only word CPUID_7_1_EDX in arch/x86/kvm/reverse_cpuid.h; bit 21 is X86_FEATURE_APX
    // (scattered.c, not printed); bit 18 is the SDM's CET_SSS, which the kernel does not define.
    function: 0x7,
    index: 1,
    register: 'edx',
    title: 'Structured extended features, subleaf 1 (EDX)',
    bits: {
      4: 'avx_vnni_int8',
      5: 'avx_ne_convert',
      8: 'amx_complex',
      10: 'avx_vnni_int16',
      14: 'prefetchiti',
      18: 'cet_sss', // SDM
      19: 'avx10',
      21: 'apx',
    },
  },
  {
    // cpufeatures.h word 10 ("Extended state features, CPUID level 0x0000000d:1 (EAX)").
    function: 0xd,
    index: 1,
    register: 'eax',
    title: 'XSAVE extended features (EAX)',
    bits: {
      0: 'xsaveopt',
      1: 'xsavec',
      2: 'xgetbv1',
      3: 'xsaves',
      4: 'xfd', // not printed
    },
  },
  {
    // cpufeatures.h word 1 ("AMD-defined CPU features, CPUID level 0x80000001"). The kernel leaves
    // out the bits that duplicate leaf 1 EDX; the APM defines them with the same meaning, so they
    // carry the leaf-1 names here.
    function: 0x80000001,
    index: 0,
    register: 'edx',
    title: 'Extended features (EDX)',
    bits: {
      ...SHARED_EDX_BITS,
      11: 'syscall',
      19: 'mp',
      20: 'nx',
      22: 'mmxext',
      25: 'fxsr_opt',
      26: 'pdpe1gb', // X86_FEATURE_GBPAGES
      27: 'rdtscp',
      29: 'lm',
      30: '3dnowext',
      31: '3dnow',
    },
  },
  {
    // cpufeatures.h word 6 ("More extended AMD flags: CPUID level 0x80000001, ECX").
    function: 0x80000001,
    index: 0,
    register: 'ecx',
    title: 'Extended features (ECX)',
    bits: {
      0: 'lahf_lm',
      1: 'cmp_legacy',
      2: 'svm',
      3: 'extapic',
      4: 'cr8_legacy',
      5: 'abm',
      6: 'sse4a',
      7: 'misalignsse',
      8: '3dnowprefetch',
      9: 'osvw',
      10: 'ibs',
      11: 'xop',
      12: 'skinit',
      13: 'wdt',
      15: 'lwp',
      16: 'fma4',
      17: 'tce',
      19: 'nodeid_msr',
      21: 'tbm',
      22: 'topoext',
      23: 'perfctr_core',
      24: 'perfctr_nb',
      26: 'bpext',
      27: 'ptsc',
      28: 'perfctr_llc',
      29: 'mwaitx',
    },
  },
  {
    // cpufeatures.h word 13 ("AMD-defined CPU features, CPUID level 0x80000008 (EBX)"); bit 6 is
    // X86_FEATURE_MBA via scattered.c ({ X86_FEATURE_MBA, CPUID_EBX, 6, 0x80000008, 0 }).
    function: 0x80000008,
    index: 0,
    register: 'ebx',
    title: 'Extended features, address sizes leaf (EBX)',
    bits: {
      0: 'clzero',
      1: 'irperf',
      2: 'xsaveerptr',
      3: 'invlpgb', // not printed
      4: 'rdpru',
      6: 'mba',
      9: 'wbnoinvd',
      12: 'amd_ibpb', // not printed
      14: 'amd_ibrs', // not printed
      15: 'amd_stibp', // not printed
      17: 'amd_stibp_always_on', // not printed
      19: 'amd_ibrs_same_mode', // not printed
      20: 'efer_lmsle_mbz', // not printed
      23: 'amd_ppin',
      24: 'amd_ssbd', // not printed
      25: 'virt_ssbd',
      26: 'amd_ssb_no', // not printed
      27: 'cppc',
      28: 'amd_psfd', // not printed
      29: 'btc_no', // not printed
      30: 'amd_ibpb_ret', // not printed
      31: 'brs',
    },
  },
  {
    // cpufeatures.h word 15 ("AMD SVM Feature Identification, CPUID level 0x8000000a (EDX)").
    // Bits 17, 19, 21, 23, 24, 26 and 27 are APM names (GMET, SSSCheck, ROGPT, HOST_MCE_OVERRIDE,
    // TlbiCtl, IbsVirt, ExtLvtAvicAccessChg) the kernel does not define.
    function: 0x8000000a,
    index: 0,
    register: 'edx',
    title: 'SVM features (EDX)',
    bits: {
      0: 'npt',
      1: 'lbrv',
      2: 'svm_lock', // X86_FEATURE_SVML
      3: 'nrip_save', // X86_FEATURE_NRIPS
      4: 'tsc_scale', // X86_FEATURE_TSCRATEMSR
      5: 'vmcb_clean', // X86_FEATURE_VMCBCLEAN
      6: 'flushbyasid',
      7: 'decodeassists',
      10: 'pausefilter',
      12: 'pfthreshold',
      13: 'avic',
      15: 'v_vmsave_vmload',
      16: 'vgif',
      17: 'gmet', // APM
      18: 'x2avic',
      19: 'ssscheck', // APM
      20: 'v_spec_ctrl',
      21: 'rogpt', // APM
      23: 'host_mce_override', // APM
      24: 'tlbictl', // APM
      25: 'vnmi',
      26: 'ibsvirt', // APM
      27: 'extlvtavicaccesschg', // APM
      28: 'svme_addr_chk', // not printed
      29: 'bus_lock_threshold', // not printed
      30: 'idle_hlt', // not printed
    },
  },
  {
    // cpufeatures.h word 19 ("AMD-defined memory encryption features, CPUID level 0x8000001f
    // (EAX)"); bit 26 (X86_FEATURE_SECURE_AVIC) is from the Secure AVIC series that adds it
    // between SEGMENTED_RMP and ALLOWED_SEV_FEATURES. Bits 5-7, 11-13, 15-19 and 24 are APM
    // names (VMPL, RMPQUERY, VmplSSS, 64BitHost, RestrictedInjection, AlternateInjection,
    // PreventHostIbs, VTE, VmgexitParameter, VirtualTomMsr, IbsVirtGuestCtl, VmsaRegProt) the
    // kernel does not define; bits 25 (SmtProtection) and 31 (IbpbOnEntry) carry the names the
    // kernel gives the matching SEV_STATUS features.
    function: 0x8000001f,
    index: 0,
    register: 'eax',
    title: 'Memory encryption features (EAX)',
    bits: {
      0: 'sme',
      1: 'sev',
      2: 'vm_page_flush', // not printed
      3: 'sev_es',
      4: 'sev_snp',
      5: 'vmpl', // APM
      6: 'rmpquery', // APM
      7: 'vmplsss', // APM
      8: 'snp_secure_tsc', // not printed
      9: 'v_tsc_aux', // not printed
      10: 'sme_coherent', // not printed
      11: '64bithost', // APM
      12: 'restrictedinjection', // APM
      13: 'alternateinjection', // APM
      14: 'debug_swap',
      15: 'preventhostibs', // APM
      16: 'vte', // APM
      17: 'vmgexitparameter', // APM
      18: 'virtualtommsr', // APM
      19: 'ibsvirtguestctl', // APM
      21: 'rmpread', // not printed
      23: 'segmented_rmp', // not printed
      24: 'vmsaregprot', // APM
      25: 'smt_prot', // the kernel's name for it: MSR_AMD64_SNP_SMT_PROT ("SMTProt"), msr-index.h / coco/sev/core.c 7.2
      26: 'secure_avic', // not printed
      27: 'allowed_sev_features', // not printed
      28: 'svsm',
      30: 'hv_inuse_wr_allowed', // not printed
      31: 'ibpb_on_entry', // APM IbpbOnEntry; the kernel's MSR_AMD64_SNP_IBPB_ON_ENTRY ("IBPBOnEntry")
    },
  },
  {
    // cpufeatures.h word 20 ("AMD-defined Extended Feature 2 EAX, CPUID level 0x80000021 (EAX)");
    // bit 22 is X86_FEATURE_AMD_WORKLOAD_CLASS via scattered.c. Bits 3, 7 and 13 are APM names
    // (SmmPgCfgLock, UpperAddressIgnore, PrefetchCtlMsr) the kernel does not define.
    function: 0x80000021,
    index: 0,
    register: 'eax',
    title: 'Extended features 2 (EAX)',
    bits: {
      0: 'no_nested_data_bp',
      1: 'wrmsr_xx_base_ns',
      2: 'lfence_rdtsc',
      3: 'smmpgcfglock', // APM
      4: 'tlbsync_sfw_no', // Linux 7.2 cpufeatures.h word 20 (erratum 1718 fixed in microcode)
      5: 'verw_clear',
      6: 'null_sel_clr_base',
      7: 'upperaddressignore', // APM
      8: 'autoibrs',
      9: 'no_smm_ctl_msr',
      13: 'prefetchctlmsr', // APM
      17: 'gp_on_user_cpuid',
      20: 'prefetchi',
      22: 'amd_workload_class',
      23: 'avx512_bmm',
      24: 'eraps',
      27: 'sbpb',
      28: 'ibpb_brtype',
      29: 'srso_no',
      30: 'srso_user_kernel_no',
      31: 'srso_bp_spec_reduce',
    },
  },
];

/**
 * Names in CPUID_FEATURE_REGISTERS that the kernel never prints in /proc/cpuinfo's "flags": bits
 * it defines without a quoted name (rule 2 above) and names it does not define at all (rule 3).
 * Every other name in the table is the kernel's own /proc/cpuinfo spelling.
 */
export const NOT_IN_PROC_CPUINFO: ReadonlySet<string> = new Set([
  // Kernel-defined, not printed.
  'osxsave',
  'fdp_excptn_only',
  'zero_fcs_fds',
  'shstk',
  'srbds_ctrl',
  'rtm_always_abort',
  'tsx_force_abort',
  'hybrid_cpu',
  'spec_ctrl',
  'intel_stibp',
  'core_capabilities',
  'spec_ctrl_ssbd',
  'sha512',
  'sm3',
  'sm4',
  'cmpccxadd',
  'arch_perfmon_ext',
  'fzrm',
  'fsrs',
  'fsrc',
  'lkgs',
  'wrmsrns',
  'amx_fp16',
  'avx_ifma',
  'movrs',
  'avx_vnni_int8',
  'avx_ne_convert',
  'amx_complex',
  'avx_vnni_int16',
  'prefetchiti',
  'avx10',
  'apx',
  'xfd',
  'invlpgb',
  'amd_ibpb',
  'amd_ibrs',
  'amd_stibp',
  'amd_stibp_always_on',
  'amd_ibrs_same_mode',
  'efer_lmsle_mbz',
  'amd_ssbd',
  'amd_ssb_no',
  'amd_psfd',
  'btc_no',
  'amd_ibpb_ret',
  'svme_addr_chk',
  'bus_lock_threshold',
  'idle_hlt',
  'vm_page_flush',
  'snp_secure_tsc',
  'v_tsc_aux',
  'sme_coherent',
  'rmpread',
  'segmented_rmp',
  'secure_avic',
  'allowed_sev_features',
  'hv_inuse_wr_allowed',
  'no_nested_data_bp',
  'wrmsr_xx_base_ns',
  'lfence_rdtsc',
  'tlbsync_sfw_no',
  'verw_clear',
  'null_sel_clr_base',
  'autoibrs',
  'no_smm_ctl_msr',
  'gp_on_user_cpuid',
  'prefetchi',
  'amd_workload_class',
  'avx512_bmm',
  'eraps',
  'sbpb',
  'ibpb_brtype',
  'srso_no',
  'srso_user_kernel_no',
  'srso_bp_spec_reduce',
  // Not defined by the kernel: SDM / APM mnemonics.
  'prefetchwt1',
  'cet_sss',
  'gmet',
  'ssscheck',
  'rogpt',
  'host_mce_override',
  'tlbictl',
  'ibsvirt',
  'extlvtavicaccesschg',
  'vmpl',
  'rmpquery',
  'vmplsss',
  '64bithost',
  'restrictedinjection',
  'alternateinjection',
  'preventhostibs',
  'vte',
  'vmgexitparameter',
  'virtualtommsr',
  'ibsvirtguestctl',
  'vmsaregprot',
  'smt_prot',
  'ibpb_on_entry',
  'smmpgcfglock',
  'upperaddressignore',
  'prefetchctlmsr',
]);

/**
 * XSAVE state components (bit numbers of XCR0 | IA32_XSS), names from the kernel's
 * enum xfeature (arch/x86/include/asm/fpu/types.h) lower-cased. Where the kernel only has a
 * placeholder (XFEATURE_PT_UNIMPLEMENTED_SO_FAR, XFEATURE_RSRVD_COMP_13/14/16) the name is the
 * SDM's (Vol. 1 ch. 13.1: PT, HDC, UINTR, HWP state).
 */
export const XSAVE_COMPONENTS: readonly (readonly [bit: number, name: string, description: string])[] = [
  [0, 'fp', 'x87 floating-point state'],
  [1, 'sse', 'SSE state (XMM registers, MXCSR)'],
  [2, 'ymm', 'AVX state (upper halves of YMM0-15)'],
  [3, 'bndregs', 'MPX bound registers'],
  [4, 'bndcsr', 'MPX BNDCFGU/BNDSTATUS'],
  [5, 'opmask', 'AVX-512 opmask registers k0-k7'],
  [6, 'zmm_hi256', 'AVX-512 upper halves of ZMM0-15'],
  [7, 'hi16_zmm', 'AVX-512 ZMM16-31'],
  [8, 'pt', 'Processor Trace state (supervisor)'],
  [9, 'pkru', 'Protection Keys for Userspace (PKRU)'],
  [10, 'pasid', 'PASID state (supervisor)'],
  [11, 'cet_user', 'CET user state (supervisor)'],
  [12, 'cet_kernel', 'CET supervisor state (supervisor)'],
  [13, 'hdc', 'Hardware Duty Cycling state (supervisor)'],
  [14, 'uintr', 'User interrupt state (supervisor)'],
  [15, 'lbr', 'Architectural LBR state (supervisor)'],
  [16, 'hwp', 'Hardware P-state state (supervisor)'],
  [17, 'xtile_cfg', 'AMX TILECFG'],
  [18, 'xtile_data', 'AMX TILEDATA'],
  [19, 'apx', 'APX extended GPRs R16-R31'],
];
