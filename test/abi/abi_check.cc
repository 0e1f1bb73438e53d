// Checks native/kvm_abi.h against the kernel's own UAPI headers: every request number,
// every struct size, and every field's offset and size. Compiled by test/abi.test.ts with
// the Linux 7.2 headers first on the include path.
//
// Each check is one line of a list below, so extending it is one line per item:
//   KVM_ABI_REQUESTS:  X(<kernel macro>, <kvm_abi.h constant>)
//   KVM_ABI_STRUCTS:   X(<kernel struct>, <kvm_abi.h struct>)
//   KVM_ABI_FIELDS:    X(<kernel struct>, <kernel field>, <kvm_abi.h struct>, <kvm_abi.h field>)
//   KVM_ABI_OFFSETS:   X(<kernel struct>, <kernel field>, <kvm_abi.h offset constant>)
//                      for flexible array members, which kvm_abi.h describes by offset
// Add headers (e.g. <linux/psp-sev.h> for sev_issue_cmd) to the includes below.
//
// The program prints one tab-separated line per check:
//   <kind> <name> <kernel value> <kvm_abi.h value>
// so the test can report every mismatch by name. Unless ABI_CHECK_PRINT_ONLY is defined,
// the same checks are also static_asserts, so a mismatch fails the compile.
#include <linux/kvm.h>
#include <linux/psp-sev.h>

#include <cstddef>
#include <cstdio>
#include <cstring>

#include "kvm_abi.h"
#include "sev_abi.h"

namespace abi = kvmcaps::abi;

#define KVM_ABI_REQUESTS(X)                                      \
  X(KVM_GET_API_VERSION, kKvmGetApiVersion)                      \
  X(KVM_CREATE_VM, kKvmCreateVm)                                 \
  X(KVM_GET_MSR_INDEX_LIST, kKvmGetMsrIndexList)                 \
  X(KVM_CHECK_EXTENSION, kKvmCheckExtension)                     \
  X(KVM_GET_VCPU_MMAP_SIZE, kKvmGetVcpuMmapSize)                 \
  X(KVM_GET_SUPPORTED_CPUID, kKvmGetSupportedCpuid)              \
  X(KVM_GET_EMULATED_CPUID, kKvmGetEmulatedCpuid)                \
  X(KVM_GET_MSR_FEATURE_INDEX_LIST, kKvmGetMsrFeatureIndexList)  \
  X(KVM_GET_MSRS, kKvmGetMsrs)                                   \
  X(KVM_GET_DEVICE_ATTR, kKvmGetDeviceAttr)                      \
  X(KVM_HAS_DEVICE_ATTR, kKvmHasDeviceAttr)                      \
  X(KVM_MEMORY_ENCRYPT_OP, kKvmMemoryEncryptOp)                  \
  X(KVM_TDX_CAPABILITIES, kKvmTdxCapabilities)                   \
  X(KVM_TDX_INIT_VM, kKvmTdxInitVm)                              \
  X(KVM_SEV_INIT2, kKvmSevInit2)                                 \
  X(SEV_ISSUE_CMD, kSevIssueCmd)                                 \
  X(SEV_PLATFORM_STATUS, kSevPlatformStatus)                     \
  X(SEV_GET_ID2, kSevGetId2)                                     \
  X(SNP_PLATFORM_STATUS, kSnpPlatformStatus)

#define KVM_ABI_STRUCTS(X)                 \
  X(kvm_cpuid_entry2, CpuidEntry2)         \
  X(kvm_cpuid2, Cpuid2)                    \
  X(kvm_msr_list, MsrList)                 \
  X(kvm_msr_entry, MsrEntry)               \
  X(kvm_msrs, Msrs)                        \
  X(kvm_device_attr, DeviceAttr)           \
  X(kvm_tdx_cmd, TdxCmd)                   \
  X(kvm_tdx_capabilities, TdxCapabilities) \
  X(kvm_tdx_init_vm, TdxInitVm)            \
  X(kvm_sev_cmd, SevCmd)                   \
  X(kvm_sev_init, SevInit)                 \
  X(sev_issue_cmd, SevIssueCmd)            \
  X(sev_user_data_status, SevUserDataStatus) \
  X(sev_user_data_get_id2, SevUserDataGetId2) \
  X(sev_user_data_snp_status, SevUserDataSnpStatus)

#define KVM_ABI_FIELDS(X)                                          \
  X(kvm_cpuid_entry2, function, CpuidEntry2, function)             \
  X(kvm_cpuid_entry2, index, CpuidEntry2, index)                   \
  X(kvm_cpuid_entry2, flags, CpuidEntry2, flags)                   \
  X(kvm_cpuid_entry2, eax, CpuidEntry2, eax)                       \
  X(kvm_cpuid_entry2, ebx, CpuidEntry2, ebx)                       \
  X(kvm_cpuid_entry2, ecx, CpuidEntry2, ecx)                       \
  X(kvm_cpuid_entry2, edx, CpuidEntry2, edx)                       \
  X(kvm_cpuid_entry2, padding, CpuidEntry2, padding)               \
  X(kvm_cpuid2, nent, Cpuid2, nent)                                \
  X(kvm_cpuid2, padding, Cpuid2, padding)                          \
  X(kvm_msr_list, nmsrs, MsrList, nmsrs)                           \
  X(kvm_msr_entry, index, MsrEntry, index)                         \
  X(kvm_msr_entry, reserved, MsrEntry, reserved)                   \
  X(kvm_msr_entry, data, MsrEntry, data)                           \
  X(kvm_msrs, nmsrs, Msrs, nmsrs)                                  \
  X(kvm_msrs, pad, Msrs, pad)                                      \
  X(kvm_device_attr, flags, DeviceAttr, flags)                     \
  X(kvm_device_attr, group, DeviceAttr, group)                     \
  X(kvm_device_attr, attr, DeviceAttr, attr)                       \
  X(kvm_device_attr, addr, DeviceAttr, addr)                       \
  X(kvm_tdx_cmd, id, TdxCmd, id)                                   \
  X(kvm_tdx_cmd, flags, TdxCmd, flags)                             \
  X(kvm_tdx_cmd, data, TdxCmd, data)                               \
  X(kvm_tdx_cmd, hw_error, TdxCmd, hw_error)                       \
  X(kvm_tdx_capabilities, supported_attrs, TdxCapabilities, supported_attrs) \
  X(kvm_tdx_capabilities, supported_xfam, TdxCapabilities, supported_xfam)   \
  X(kvm_tdx_capabilities, kernel_tdvmcallinfo_1_r11, TdxCapabilities, kernel_tdvmcallinfo_1_r11) \
  X(kvm_tdx_capabilities, user_tdvmcallinfo_1_r11, TdxCapabilities, user_tdvmcallinfo_1_r11)     \
  X(kvm_tdx_capabilities, kernel_tdvmcallinfo_1_r12, TdxCapabilities, kernel_tdvmcallinfo_1_r12) \
  X(kvm_tdx_capabilities, user_tdvmcallinfo_1_r12, TdxCapabilities, user_tdvmcallinfo_1_r12)     \
  X(kvm_tdx_capabilities, reserved, TdxCapabilities, reserved)     \
  X(kvm_tdx_capabilities, cpuid, TdxCapabilities, cpuid)           \
  X(kvm_tdx_init_vm, attributes, TdxInitVm, attributes)            \
  X(kvm_tdx_init_vm, xfam, TdxInitVm, xfam)                        \
  X(kvm_tdx_init_vm, mrconfigid, TdxInitVm, mrconfigid)            \
  X(kvm_tdx_init_vm, mrowner, TdxInitVm, mrowner)                  \
  X(kvm_tdx_init_vm, mrownerconfig, TdxInitVm, mrownerconfig)      \
  X(kvm_tdx_init_vm, reserved, TdxInitVm, reserved)                \
  X(kvm_tdx_init_vm, cpuid, TdxInitVm, cpuid)                      \
  X(kvm_sev_cmd, id, SevCmd, id)                                   \
  X(kvm_sev_cmd, pad0, SevCmd, pad0)                               \
  X(kvm_sev_cmd, data, SevCmd, data)                               \
  X(kvm_sev_cmd, error, SevCmd, error)                             \
  X(kvm_sev_cmd, sev_fd, SevCmd, sev_fd)                           \
  X(kvm_sev_init, vmsa_features, SevInit, vmsa_features)           \
  X(kvm_sev_init, flags, SevInit, flags)                           \
  X(kvm_sev_init, ghcb_version, SevInit, ghcb_version)             \
  X(kvm_sev_init, pad1, SevInit, pad1)                             \
  X(kvm_sev_init, pad2, SevInit, pad2)                             \
  X(sev_issue_cmd, cmd, SevIssueCmd, cmd)                          \
  X(sev_issue_cmd, data, SevIssueCmd, data)                        \
  X(sev_issue_cmd, error, SevIssueCmd, error)                      \
  X(sev_user_data_status, api_major, SevUserDataStatus, api_major) \
  X(sev_user_data_status, api_minor, SevUserDataStatus, api_minor) \
  X(sev_user_data_status, state, SevUserDataStatus, state)         \
  X(sev_user_data_status, flags, SevUserDataStatus, flags)         \
  X(sev_user_data_status, build, SevUserDataStatus, build)         \
  X(sev_user_data_status, guest_count, SevUserDataStatus, guest_count) \
  X(sev_user_data_get_id2, address, SevUserDataGetId2, address)    \
  X(sev_user_data_get_id2, length, SevUserDataGetId2, length)      \
  X(sev_user_data_snp_status, api_major, SevUserDataSnpStatus, api_major) \
  X(sev_user_data_snp_status, api_minor, SevUserDataSnpStatus, api_minor) \
  X(sev_user_data_snp_status, state, SevUserDataSnpStatus, state)  \
  X(sev_user_data_snp_status, build_id, SevUserDataSnpStatus, build_id) \
  X(sev_user_data_snp_status, guest_count, SevUserDataSnpStatus, guest_count) \
  X(sev_user_data_snp_status, current_tcb_version, SevUserDataSnpStatus, current_tcb_version) \
  X(sev_user_data_snp_status, reported_tcb_version, SevUserDataSnpStatus, reported_tcb_version)

#define KVM_ABI_OFFSETS(X)                                 \
  X(kvm_cpuid2, entries, kCpuid2EntriesOffset)             \
  X(kvm_msr_list, indices, kMsrListIndicesOffset)          \
  X(kvm_msrs, entries, kMsrsEntriesOffset)                \
  X(kvm_tdx_capabilities, cpuid.entries, kTdxCapabilitiesEntriesOffset) \
  X(kvm_tdx_init_vm, cpuid.entries, kTdxInitVmEntriesOffset)

// The element type of each flexible array must be the one kvm_abi.h uses with it.
#define KVM_ABI_FLEX_ELEMENTS(X)                    \
  X(kvm_cpuid2, entries, abi::CpuidEntry2)          \
  X(kvm_msr_list, indices, uint32_t)                \
  X(kvm_msrs, entries, abi::MsrEntry)

#ifndef ABI_CHECK_PRINT_ONLY
#define ASSERT_REQUEST(macro, ours) \
  static_assert((unsigned long)(macro) == abi::ours, #macro " != kvm_abi.h " #ours);
#define ASSERT_STRUCT(kernel, ours) \
  static_assert(sizeof(struct kernel) == sizeof(abi::ours), "sizeof(struct " #kernel ") != sizeof(" #ours ")");
#define ASSERT_FIELD(kernel, kfield, ours, ofield)                                        \
  static_assert(offsetof(struct kernel, kfield) == offsetof(abi::ours, ofield),           \
                "offsetof(struct " #kernel ", " #kfield ") != offsetof(" #ours ", " #ofield ")"); \
  static_assert(sizeof(kernel::kfield) == sizeof(abi::ours::ofield),                      \
                "sizeof(struct " #kernel "." #kfield ") != sizeof(" #ours "." #ofield ")");
#define ASSERT_OFFSET(kernel, kfield, ours) \
  static_assert(offsetof(struct kernel, kfield) == abi::ours, "offsetof(struct " #kernel ", " #kfield ") != " #ours);
#define ASSERT_FLEX(kernel, kfield, element)                          \
  static_assert(sizeof(kernel::kfield[0]) == sizeof(element),         \
                "sizeof(struct " #kernel "." #kfield "[0]) != sizeof(" #element ")");
KVM_ABI_REQUESTS(ASSERT_REQUEST)
KVM_ABI_STRUCTS(ASSERT_STRUCT)
KVM_ABI_FIELDS(ASSERT_FIELD)
KVM_ABI_OFFSETS(ASSERT_OFFSET)
KVM_ABI_FLEX_ELEMENTS(ASSERT_FLEX)
#endif

static void Line(const char* kind, const char* name, unsigned long long kernel, unsigned long long ours) {
  std::printf("%s\t%s\t%llu\t%llu\n", kind, name, kernel, ours);
}

// sev_user_data_snp_status has bitfields, which offsetof cannot name: set each in the
// kernel's struct and see which bit of kvm_abi's raw container it lands in.
#define SNP_STATUS_BITS(X)                   \
  X(is_rmp_initialized, rmp_flags, 0)        \
  X(mask_chip_id, feature_flags, 0)          \
  X(mask_chip_key, feature_flags, 1)         \
  X(vlek_en, feature_flags, 2)               \
  X(feature_info, feature_flags, 3)          \
  X(rapl_dis, feature_flags, 4)              \
  X(ciphertext_hiding_cap, feature_flags, 5) \
  X(ciphertext_hiding_en, feature_flags, 6)

static void Bitfields() {
#define PRINT_BIT(kfield, container, bit)                                             \
  {                                                                                   \
    struct sev_user_data_snp_status kernel;                                           \
    std::memset(&kernel, 0, sizeof(kernel));                                          \
    kernel.kfield = 1;                                                                \
    abi::SevUserDataSnpStatus ours;                                                   \
    std::memcpy(&ours, &kernel, sizeof(ours));                                        \
    Line("bit", "struct sev_user_data_snp_status." #kfield, 1ULL << (bit), ours.container); \
  }
  SNP_STATUS_BITS(PRINT_BIT)
}

int main() {
#define PRINT_REQUEST(macro, ours) Line("request", #macro, (unsigned long)(macro), abi::ours);
#define PRINT_STRUCT(kernel, ours) Line("sizeof", "struct " #kernel, sizeof(struct kernel), sizeof(abi::ours));
#define PRINT_FIELD(kernel, kfield, ours, ofield)                                                      \
  Line("offsetof", "struct " #kernel "." #kfield, offsetof(struct kernel, kfield), offsetof(abi::ours, ofield)); \
  Line("sizeof", "struct " #kernel "." #kfield, sizeof(kernel::kfield), sizeof(abi::ours::ofield));
#define PRINT_OFFSET(kernel, kfield, ours) \
  Line("offsetof", "struct " #kernel "." #kfield, offsetof(struct kernel, kfield), abi::ours);
#define PRINT_FLEX(kernel, kfield, element) \
  Line("sizeof", "struct " #kernel "." #kfield "[0]", sizeof(kernel::kfield[0]), sizeof(element));
  KVM_ABI_REQUESTS(PRINT_REQUEST)
  KVM_ABI_STRUCTS(PRINT_STRUCT)
  KVM_ABI_FIELDS(PRINT_FIELD)
  KVM_ABI_OFFSETS(PRINT_OFFSET)
  KVM_ABI_FLEX_ELEMENTS(PRINT_FLEX)
  Bitfields();
  return 0;
}
