// The x86 CPU vendors KVM runs on, keyed by the vendor_id /proc/cpuinfo prints (the kernel's
// cpu_dev .c_ident; kvm-caps reads it trimmed, so Zhaoxin's "  Shanghai  " is "Shanghai").
// Read in linux-source-7.2:
// - VMX (kvm_intel, firmware switch IA32_FEATURE_CONTROL): init_ia32_feat_ctl() is called by
//   arch/x86/kernel/cpu/intel.c, centaur.c and zhaoxin.c only.
// - SVM (kvm_amd, firmware switch VM_CR.SVMDIS): arch/x86/kvm/svm/svm.c __kvm_is_svm_supported()
//   refuses any CPU that "isn't AMD or Hygon"; amd.c and hygon.c read MSR_VM_CR.
// - Confidential guests: TDX is Intel's (arch/x86/virt/vmx/tdx/tdx.c tdx_init() reads the Intel
//   MSR_IA32_MKTME_KEYID_PARTITIONING and SEAM registers). SEV, SEV-ES and SEV-SNP need the AMD
//   PSP through the ccp driver (arch/x86/kvm/svm/sev.c sev_guest_init() -> sev_platform_init()),
//   and drivers/crypto/ccp/sp-pci.c sp_pci_table lists AMD devices only; hygon.c, unlike amd.c,
//   never runs early_detect_mem_encrypt(). So on mainline kernels a Hygon CPU runs kvm_amd but
//   no SEV guest (Hygon's CSV lives in vendor kernels), and its `vendor` is 'other'.

/** Whose confidential-computing technologies a CPU has: Intel's (TDX), AMD's (SEV), or neither. */
export type CpuVendor = 'intel' | 'amd' | 'other';

export interface CpuVendorRow {
  /** vendor_id as /proc/cpuinfo prints it, trimmed. */
  readonly vendorId: string;
  readonly vendor: CpuVendor;
  /** The /proc/cpuinfo flag of the virtualization extension KVM drives on this CPU. */
  readonly flag: 'vmx' | 'svm';
}

export const CPU_VENDORS: readonly CpuVendorRow[] = [
  { vendorId: 'GenuineIntel', vendor: 'intel', flag: 'vmx' },
  { vendorId: 'CentaurHauls', vendor: 'other', flag: 'vmx' },
  { vendorId: 'Shanghai', vendor: 'other', flag: 'vmx' },
  { vendorId: 'AuthenticAMD', vendor: 'amd', flag: 'svm' },
  { vendorId: 'HygonGenuine', vendor: 'other', flag: 'svm' },
];

/** The row for a vendor_id (padding ignored); undefined for a vendor KVM has no x86 extension for, or none read. */
export function cpuVendor(vendorId: string | null | undefined): CpuVendorRow | undefined {
  const id = vendorId?.trim();
  return CPU_VENDORS.find((row) => row.vendorId === id);
}

/** The KVM vendor module that drives a virtualization extension. */
export function vendorModule(flag: CpuVendorRow['flag']): 'kvm_intel' | 'kvm_amd' {
  return flag === 'vmx' ? 'kvm_intel' : 'kvm_amd';
}
