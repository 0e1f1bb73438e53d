// Which CPUID leaves are indexed by their sub-leaf (ECX). KVM matches a kvm_cpuid_entry2 to a
// (function, index) query by function alone unless the entry carries
// KVM_CPUID_FLAG_SIGNIFCANT_INDEX (arch/x86/kvm/cpuid.c kvm_find_cpuid_entry2()), so a VMM
// sets that flag from what each leaf is: QEMU does so for the leaves it enumerates by
// sub-leaf (target/i386/kvm/kvm.c kvm_x86_build_cpuid(): 4, 7, 0xb, 0xd, 0x12, 0x14, 0x1d,
// 0x1e, 0x1f, 0x24 ...), and the kernel lists them in cpuid_function_is_indexed().

/** KVM_CPUID_FLAG_SIGNIFCANT_INDEX (include/uapi asm/kvm.h; the kernel's spelling). */
export const KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

/**
 * arch/x86/include/asm/cpuid/api.h cpuid_function_is_indexed() in Linux 7.2 (test/
 * tdx-kernel-truth.test.ts compares the two).
 */
export const INDEXED_CPUID_FUNCTIONS: readonly number[] = [
  0x4, 0x7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1d, 0x1e, 0x1f, 0x24, 0x8000001d,
];

/** The kvm_cpuid_entry2.flags a VMM gives a leaf it passes to KVM: by what the leaf is, never copied. */
export function cpuidEntryFlags(fn: number): number {
  return INDEXED_CPUID_FUNCTIONS.includes(fn) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
}
