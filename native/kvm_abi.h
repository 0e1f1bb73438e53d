// Kernel ABI for the read-only KVM requests kvm-caps issues, written here because
// the build machines' own headers (Linux 6.1) predate several of them. Every number and
// layout is checked against the Linux 7.2 UAPI headers by test/abi.test.ts; the
// static_asserts below keep a local edit from silently changing a layout.
#ifndef KVM_CAPS_NATIVE_KVM_ABI_H_
#define KVM_CAPS_NATIVE_KVM_ABI_H_

#include <cstddef>
#include <cstdint>

namespace kvmcaps::abi {

// _IOC() from include/uapi/asm-generic/ioctl.h, which x86 and arm64 share:
// nr in bits 0-7, type in 8-15, argument size in 16-29, direction in 30-31.
constexpr uint32_t kIocNone = 0;
constexpr uint32_t kIocWrite = 1;
constexpr uint32_t kIocRead = 2;

constexpr unsigned long Ioc(uint32_t dir, uint32_t type, uint32_t nr, size_t size) {
  return (static_cast<unsigned long>(dir) << 30) | (static_cast<unsigned long>(size) << 16) |
         (static_cast<unsigned long>(type) << 8) | nr;
}

constexpr uint32_t kKvmIo = 0xAE;

// struct kvm_cpuid_entry2 (arch/x86/include/uapi/asm/kvm.h)
struct CpuidEntry2 {
  uint32_t function;
  uint32_t index;
  uint32_t flags;
  uint32_t eax;
  uint32_t ebx;
  uint32_t ecx;
  uint32_t edx;
  uint32_t padding[3];
};
static_assert(sizeof(CpuidEntry2) == 40, "kvm_cpuid_entry2 is 40 bytes");
static_assert(offsetof(CpuidEntry2, function) == 0, "kvm_cpuid_entry2.function");
static_assert(offsetof(CpuidEntry2, index) == 4, "kvm_cpuid_entry2.index");
static_assert(offsetof(CpuidEntry2, flags) == 8, "kvm_cpuid_entry2.flags");
static_assert(offsetof(CpuidEntry2, eax) == 12, "kvm_cpuid_entry2.eax");
static_assert(offsetof(CpuidEntry2, ebx) == 16, "kvm_cpuid_entry2.ebx");
static_assert(offsetof(CpuidEntry2, ecx) == 20, "kvm_cpuid_entry2.ecx");
static_assert(offsetof(CpuidEntry2, edx) == 24, "kvm_cpuid_entry2.edx");

// struct kvm_cpuid2: a count followed by a flexible array of CpuidEntry2.
struct Cpuid2 {
  uint32_t nent;
  uint32_t padding;
};
static_assert(sizeof(Cpuid2) == 8, "kvm_cpuid2 header is 8 bytes");
static_assert(offsetof(Cpuid2, nent) == 0, "kvm_cpuid2.nent");
constexpr size_t kCpuid2EntriesOffset = sizeof(Cpuid2);

// struct kvm_msr_list: a count followed by a flexible array of u32 MSR indices.
struct MsrList {
  uint32_t nmsrs;
};
static_assert(sizeof(MsrList) == 4, "kvm_msr_list header is 4 bytes");
constexpr size_t kMsrListIndicesOffset = sizeof(MsrList);

// struct kvm_msr_entry and struct kvm_msrs (its header) for KVM_GET_MSRS.
struct MsrEntry {
  uint32_t index;
  uint32_t reserved;
  uint64_t data;
};
static_assert(sizeof(MsrEntry) == 16, "kvm_msr_entry is 16 bytes");
static_assert(offsetof(MsrEntry, index) == 0, "kvm_msr_entry.index");
static_assert(offsetof(MsrEntry, data) == 8, "kvm_msr_entry.data");

struct Msrs {
  uint32_t nmsrs;
  uint32_t pad;
};
static_assert(sizeof(Msrs) == 8, "kvm_msrs header is 8 bytes");
constexpr size_t kMsrsEntriesOffset = sizeof(Msrs);

// struct kvm_device_attr (include/uapi/linux/kvm.h)
struct DeviceAttr {
  uint32_t flags;
  uint32_t group;
  uint64_t attr;
  uint64_t addr;
};
static_assert(sizeof(DeviceAttr) == 24, "kvm_device_attr is 24 bytes");
static_assert(offsetof(DeviceAttr, flags) == 0, "kvm_device_attr.flags");
static_assert(offsetof(DeviceAttr, group) == 4, "kvm_device_attr.group");
static_assert(offsetof(DeviceAttr, attr) == 8, "kvm_device_attr.attr");
static_assert(offsetof(DeviceAttr, addr) == 16, "kvm_device_attr.addr");

// struct kvm_tdx_cmd (arch/x86/include/uapi/asm/kvm.h): KVM_MEMORY_ENCRYPT_OP's argument on a TD.
struct TdxCmd {
  uint32_t id;
  uint32_t flags;
  uint64_t data;
  uint64_t hw_error;
};
static_assert(sizeof(TdxCmd) == 24, "kvm_tdx_cmd is 24 bytes");
static_assert(offsetof(TdxCmd, data) == 8, "kvm_tdx_cmd.data");
static_assert(offsetof(TdxCmd, hw_error) == 16, "kvm_tdx_cmd.hw_error");

// enum kvm_tdx_cmd_id: only the two sub-commands kvm-caps issues.
constexpr uint32_t kKvmTdxCapabilities = 0;
constexpr uint32_t kKvmTdxInitVm = 1;

// struct kvm_tdx_capabilities: fixed words, then a struct kvm_cpuid2 with its entries.
struct TdxCapabilities {
  uint64_t supported_attrs;
  uint64_t supported_xfam;
  uint64_t kernel_tdvmcallinfo_1_r11;
  uint64_t user_tdvmcallinfo_1_r11;
  uint64_t kernel_tdvmcallinfo_1_r12;
  uint64_t user_tdvmcallinfo_1_r12;
  uint64_t reserved[250];
  Cpuid2 cpuid;
};
static_assert(sizeof(TdxCapabilities) == 2056, "kvm_tdx_capabilities header is 2056 bytes");
static_assert(offsetof(TdxCapabilities, supported_xfam) == 8, "kvm_tdx_capabilities.supported_xfam");
static_assert(offsetof(TdxCapabilities, user_tdvmcallinfo_1_r12) == 40, "kvm_tdx_capabilities.user_tdvmcallinfo_1_r12");
static_assert(offsetof(TdxCapabilities, cpuid) == 2048, "kvm_tdx_capabilities.cpuid");
constexpr size_t kTdxCapabilitiesEntriesOffset = sizeof(TdxCapabilities);

// struct kvm_tdx_init_vm: TD parameters, then a struct kvm_cpuid2 with its entries.
struct TdxInitVm {
  uint64_t attributes;
  uint64_t xfam;
  uint64_t mrconfigid[6];
  uint64_t mrowner[6];
  uint64_t mrownerconfig[6];
  uint64_t reserved[12];
  Cpuid2 cpuid;
};
static_assert(sizeof(TdxInitVm) == 264, "kvm_tdx_init_vm header is 264 bytes");
static_assert(offsetof(TdxInitVm, xfam) == 8, "kvm_tdx_init_vm.xfam");
static_assert(offsetof(TdxInitVm, mrconfigid) == 16, "kvm_tdx_init_vm.mrconfigid");
static_assert(offsetof(TdxInitVm, reserved) == 160, "kvm_tdx_init_vm.reserved");
static_assert(offsetof(TdxInitVm, cpuid) == 256, "kvm_tdx_init_vm.cpuid");
constexpr size_t kTdxInitVmEntriesOffset = sizeof(TdxInitVm);

// struct kvm_sev_cmd: KVM_MEMORY_ENCRYPT_OP's argument on an SEV VM.
struct SevCmd {
  uint32_t id;
  uint32_t pad0;
  uint64_t data;
  uint32_t error;
  uint32_t sev_fd;
};
static_assert(sizeof(SevCmd) == 24, "kvm_sev_cmd is 24 bytes");
static_assert(offsetof(SevCmd, data) == 8, "kvm_sev_cmd.data");
static_assert(offsetof(SevCmd, error) == 16, "kvm_sev_cmd.error");
static_assert(offsetof(SevCmd, sev_fd) == 20, "kvm_sev_cmd.sev_fd");

// enum sev_cmd_id: the only SEV sub-command kvm-caps issues (with --deep).
constexpr uint32_t kKvmSevInit2 = 22;

// struct kvm_sev_init: KVM_SEV_INIT2's parameters.
struct SevInit {
  uint64_t vmsa_features;
  uint32_t flags;
  uint16_t ghcb_version;
  uint16_t pad1;
  uint32_t pad2[8];
};
static_assert(sizeof(SevInit) == 48, "kvm_sev_init is 48 bytes");
static_assert(offsetof(SevInit, flags) == 8, "kvm_sev_init.flags");
static_assert(offsetof(SevInit, ghcb_version) == 12, "kvm_sev_init.ghcb_version");
static_assert(offsetof(SevInit, pad2) == 16, "kvm_sev_init.pad2");

// Request numbers (include/uapi/linux/kvm.h). Only read-only requests appear here,
// plus KVM_CREATE_VM, whose VM lives exactly as long as its fd, and
// KVM_MEMORY_ENCRYPT_OP, whose sub-commands are limited to the ids above, all acting on
// such a throwaway VM.
constexpr unsigned long kKvmGetApiVersion = Ioc(kIocNone, kKvmIo, 0x00, 0);
constexpr unsigned long kKvmCreateVm = Ioc(kIocNone, kKvmIo, 0x01, 0);
constexpr unsigned long kKvmGetMsrIndexList = Ioc(kIocRead | kIocWrite, kKvmIo, 0x02, sizeof(MsrList));
constexpr unsigned long kKvmCheckExtension = Ioc(kIocNone, kKvmIo, 0x03, 0);
constexpr unsigned long kKvmGetVcpuMmapSize = Ioc(kIocNone, kKvmIo, 0x04, 0);
constexpr unsigned long kKvmGetSupportedCpuid = Ioc(kIocRead | kIocWrite, kKvmIo, 0x05, sizeof(Cpuid2));
constexpr unsigned long kKvmGetEmulatedCpuid = Ioc(kIocRead | kIocWrite, kKvmIo, 0x09, sizeof(Cpuid2));
constexpr unsigned long kKvmGetMsrFeatureIndexList = Ioc(kIocRead | kIocWrite, kKvmIo, 0x0a, sizeof(MsrList));
constexpr unsigned long kKvmGetMsrs = Ioc(kIocRead | kIocWrite, kKvmIo, 0x88, sizeof(Msrs));
// KVM_MEMORY_ENCRYPT_OP is declared with an unsigned long argument; it carries a pointer.
constexpr unsigned long kKvmMemoryEncryptOp = Ioc(kIocRead | kIocWrite, kKvmIo, 0xba, sizeof(unsigned long));
// The kernel declares KVM_GET_DEVICE_ATTR as _IOW although it writes through attr.addr.
constexpr unsigned long kKvmGetDeviceAttr = Ioc(kIocWrite, kKvmIo, 0xe2, sizeof(DeviceAttr));
constexpr unsigned long kKvmHasDeviceAttr = Ioc(kIocWrite, kKvmIo, 0xe3, sizeof(DeviceAttr));

}  // namespace kvmcaps::abi

#endif  // KVM_CAPS_NATIVE_KVM_ABI_H_
