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
// KVM_CREATE_VM, ...). EINTR is retried: these requests have no partial effect.
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

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_KVM_IOCTL_H_
