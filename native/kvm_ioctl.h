// The ioctls themselves, free of Node-API so that each can be read against the kernel's
// documentation on its own. Every function returns 0 on success or a positive errno.
#ifndef KVM_CAPS_NATIVE_KVM_IOCTL_H_
#define KVM_CAPS_NATIVE_KVM_IOCTL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kvm_abi.h"

namespace kvmcaps {

// Upper bounds for the growable buffers. The kernel caps CPUID answers at
// KVM_MAX_CPUID_ENTRIES (256) and MSR lists at a few hundred; the bounds leave room for
// growth while stopping a kernel that answers E2BIG forever.
constexpr uint32_t kMaxCpuidEntries = 4096;
constexpr uint32_t kMaxMsrIndices = 65536;

// ioctl() with an integer argument and result (KVM_GET_API_VERSION, KVM_CHECK_EXTENSION,
// KVM_CREATE_VM, ...). EINTR is retried: these requests have no partial effect (so are the
// other read-only requests below, except the two that change a VM's state: see TdxInitVm).
int IoctlInt(int fd, unsigned long request, unsigned long arg, int* result);

// KVM_GET_SUPPORTED_CPUID / KVM_GET_EMULATED_CPUID. The kernel answers E2BIG without
// saying how many entries it needs, so the buffer doubles from `capacity` up to the bound.
int GetCpuid(int fd, unsigned long request, uint32_t capacity, std::vector<abi::CpuidEntry2>* out);

// KVM_GET_MSR_INDEX_LIST / KVM_GET_MSR_FEATURE_INDEX_LIST. The kernel writes the needed
// count back on E2BIG; if it ever does not, the buffer doubles instead.
int GetMsrIndexList(int fd, unsigned long request, std::vector<uint32_t>* out);

// KVM_GET_MSRS on the system fd: reads feature MSRs until the first one that fails.
// `read` receives how many of `indices` were read, in order.
int GetMsrs(int fd, const std::vector<uint32_t>& indices, std::vector<uint64_t>* values, size_t* read);

int GetDeviceAttr(int fd, uint32_t group, uint64_t attr, uint64_t* value);
int HasDeviceAttr(int fd, uint32_t group, uint64_t attr);

struct TdxCapabilitiesResult {
  uint64_t supported_attrs;
  uint64_t supported_xfam;
  uint64_t kernel_tdvmcallinfo_1_r11;
  uint64_t user_tdvmcallinfo_1_r11;
  uint64_t kernel_tdvmcallinfo_1_r12;
  uint64_t user_tdvmcallinfo_1_r12;
  std::vector<abi::CpuidEntry2> cpuid;
};

// KVM_MEMORY_ENCRYPT_OP(KVM_TDX_CAPABILITIES) on a TD's VM fd. The kernel answers E2BIG
// without writing back the count it needs, so the CPUID array doubles from `capacity`
// up to the bound. `hw_error` receives kvm_tdx_cmd.hw_error whether or not the call failed.
int TdxCapabilities(int vm_fd, uint32_t capacity, TdxCapabilitiesResult* out, uint64_t* hw_error);

// KVM_MEMORY_ENCRYPT_OP(KVM_TDX_INIT_VM): initialises the throwaway TD with these
// parameters (measurement registers zero). Closing the VM fd releases the TD. Made once:
// EINTR is returned, not retried (the request changes the TD's state).
int TdxInitVm(int vm_fd, uint64_t attributes, uint64_t xfam, const std::vector<abi::CpuidEntry2>& cpuid,
              uint64_t* hw_error);

// KVM_MEMORY_ENCRYPT_OP(KVM_SEV_INIT2) on a VM of an SEV type. The VM holds an ASID
// until its fd is closed. `fw_error` receives kvm_sev_cmd.error. Made once: EINTR is
// returned, not retried (the request changes the VM's state).
int SevInit2(int vm_fd, uint64_t vmsa_features, uint32_t flags, uint16_t ghcb_version, uint32_t* fw_error);

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_KVM_IOCTL_H_
