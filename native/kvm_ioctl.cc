#include "kvm_ioctl.h"

#include <errno.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

namespace kvmcaps {
namespace {

// ioctl() retried on EINTR; `Arg` is a pointer to a kernel struct or an integer.
template <typename Arg>
int Retry(int fd, unsigned long request, Arg arg, int* result) {
  int r;
  do {
    r = ioctl(fd, request, arg);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return errno;
  if (result != nullptr) *result = r;
  return 0;
}

// ioctl() made exactly once, for requests that change the VM's state (KVM_TDX_INIT_VM,
// KVM_SEV_INIT2): after EINTR the kernel may have done part of the work, and repeating the
// request is not the same as making it once, so EINTR goes back to the caller.
template <typename Arg>
int Once(int fd, unsigned long request, Arg arg) {
  return ioctl(fd, request, arg) < 0 ? errno : 0;
}

// A zeroed, 8-byte aligned buffer of `bytes` bytes; the kernel structs hold u64 fields.
std::vector<uint64_t> AlignedBuffer(size_t bytes) { return std::vector<uint64_t>((bytes + 7) / 8, 0); }

}  // namespace

int IoctlInt(int fd, unsigned long request, unsigned long arg, int* result) { return Retry(fd, request, arg, result); }

int GetCpuid(int fd, unsigned long request, uint32_t capacity, std::vector<abi::CpuidEntry2>* out) {
  uint32_t nent = std::clamp<uint32_t>(capacity, 1, kMaxCpuidEntries);
  for (;;) {
    std::vector<uint64_t> buf = AlignedBuffer(abi::kCpuid2EntriesOffset + nent * sizeof(abi::CpuidEntry2));
    auto* header = reinterpret_cast<abi::Cpuid2*>(buf.data());
    header->nent = nent;
    int err = Retry(fd, request, buf.data(), nullptr);
    if (err == E2BIG && nent < kMaxCpuidEntries) {
      nent = std::min(nent * 2, kMaxCpuidEntries);
      continue;
    }
    if (err != 0) return err;
    // The kernel never reports more entries than it was given room for; a count beyond
    // the buffer would be a kernel bug, and is refused rather than read out of bounds.
    if (header->nent > nent) return EOVERFLOW;
    const auto* entries = reinterpret_cast<const abi::CpuidEntry2*>(reinterpret_cast<const char*>(buf.data()) +
                                                                    abi::kCpuid2EntriesOffset);
    out->assign(entries, entries + header->nent);
    return 0;
  }
}

int GetMsrIndexList(int fd, unsigned long request, std::vector<uint32_t>* out) {
  uint32_t capacity = 0;  // The first call asks the kernel for the count.
  for (;;) {
    std::vector<uint64_t> buf = AlignedBuffer(abi::kMsrListIndicesOffset + capacity * sizeof(uint32_t));
    auto* header = reinterpret_cast<abi::MsrList*>(buf.data());
    header->nmsrs = capacity;
    int err = Retry(fd, request, buf.data(), nullptr);
    if (err == E2BIG) {
      uint32_t wanted = header->nmsrs > capacity ? header->nmsrs : std::max<uint32_t>(capacity * 2, 64);
      if (capacity >= kMaxMsrIndices) return E2BIG;
      capacity = std::min(wanted, kMaxMsrIndices);
      continue;
    }
    if (err != 0) return err;
    if (header->nmsrs > capacity) return EOVERFLOW;
    const auto* indices =
        reinterpret_cast<const uint32_t*>(reinterpret_cast<const char*>(buf.data()) + abi::kMsrListIndicesOffset);
    out->assign(indices, indices + header->nmsrs);
    return 0;
  }
}

int GetMsrs(int fd, const std::vector<uint32_t>& indices, std::vector<uint64_t>* values, size_t* read) {
  std::vector<uint64_t> buf = AlignedBuffer(abi::kMsrsEntriesOffset + indices.size() * sizeof(abi::MsrEntry));
  auto* header = reinterpret_cast<abi::Msrs*>(buf.data());
  header->nmsrs = static_cast<uint32_t>(indices.size());
  auto* entries = reinterpret_cast<abi::MsrEntry*>(reinterpret_cast<char*>(buf.data()) + abi::kMsrsEntriesOffset);
  for (size_t i = 0; i < indices.size(); i++) entries[i].index = indices[i];
  int count = 0;
  int err = Retry(fd, abi::kKvmGetMsrs, buf.data(), &count);
  if (err != 0) return err;
  if (count < 0 || static_cast<size_t>(count) > indices.size()) return EOVERFLOW;
  values->resize(static_cast<size_t>(count));
  for (int i = 0; i < count; i++) (*values)[i] = entries[i].data;
  *read = static_cast<size_t>(count);
  return 0;
}

int GetDeviceAttr(int fd, uint32_t group, uint64_t attr, uint64_t* value) {
  uint64_t data = 0;
  abi::DeviceAttr request{};
  request.group = group;
  request.attr = attr;
  request.addr = reinterpret_cast<uintptr_t>(&data);
  int err = Retry(fd, abi::kKvmGetDeviceAttr, &request, nullptr);
  if (err != 0) return err;
  *value = data;
  return 0;
}

int HasDeviceAttr(int fd, uint32_t group, uint64_t attr) {
  abi::DeviceAttr request{};
  request.group = group;
  request.attr = attr;
  return Retry(fd, abi::kKvmHasDeviceAttr, &request, nullptr);
}

int TdxCapabilities(int vm_fd, uint32_t capacity, TdxCapabilitiesResult* out, uint64_t* hw_error) {
  uint32_t nent = std::clamp<uint32_t>(capacity, 1, kMaxCpuidEntries);
  for (;;) {
    std::vector<uint64_t> buf = AlignedBuffer(sizeof(abi::TdxCapabilities) + nent * sizeof(abi::CpuidEntry2));
    auto* caps = reinterpret_cast<abi::TdxCapabilities*>(buf.data());
    caps->cpuid.nent = nent;
    abi::TdxCmd cmd{};
    cmd.id = abi::kKvmTdxCapabilities;
    cmd.data = reinterpret_cast<uintptr_t>(caps);
    int err = Retry(vm_fd, abi::kKvmMemoryEncryptOp, &cmd, nullptr);
    *hw_error = cmd.hw_error;
    if (err == E2BIG && nent < kMaxCpuidEntries) {
      nent = std::min(nent * 2, kMaxCpuidEntries);
      continue;
    }
    if (err != 0) return err;
    if (caps->cpuid.nent > nent) return EOVERFLOW;
    out->supported_attrs = caps->supported_attrs;
    out->supported_xfam = caps->supported_xfam;
    out->kernel_tdvmcallinfo_1_r11 = caps->kernel_tdvmcallinfo_1_r11;
    out->user_tdvmcallinfo_1_r11 = caps->user_tdvmcallinfo_1_r11;
    out->kernel_tdvmcallinfo_1_r12 = caps->kernel_tdvmcallinfo_1_r12;
    out->user_tdvmcallinfo_1_r12 = caps->user_tdvmcallinfo_1_r12;
    const auto* entries = reinterpret_cast<const abi::CpuidEntry2*>(reinterpret_cast<const char*>(buf.data()) +
                                                                    abi::kTdxCapabilitiesEntriesOffset);
    out->cpuid.assign(entries, entries + caps->cpuid.nent);
    return 0;
  }
}

int TdxInitVm(int vm_fd, uint64_t attributes, uint64_t xfam, const std::vector<abi::CpuidEntry2>& cpuid,
              uint64_t* hw_error) {
  std::vector<uint64_t> buf = AlignedBuffer(sizeof(abi::TdxInitVm) + cpuid.size() * sizeof(abi::CpuidEntry2));
  auto* params = reinterpret_cast<abi::TdxInitVm*>(buf.data());
  params->attributes = attributes;
  params->xfam = xfam;
  params->cpuid.nent = static_cast<uint32_t>(cpuid.size());
  if (!cpuid.empty()) {  // memcpy from an empty vector's null data() is undefined behaviour.
    std::memcpy(reinterpret_cast<char*>(buf.data()) + abi::kTdxInitVmEntriesOffset, cpuid.data(),
                cpuid.size() * sizeof(abi::CpuidEntry2));
  }
  abi::TdxCmd cmd{};
  cmd.id = abi::kKvmTdxInitVm;
  cmd.data = reinterpret_cast<uintptr_t>(params);
  int err = Once(vm_fd, abi::kKvmMemoryEncryptOp, &cmd);
  *hw_error = cmd.hw_error;
  return err;
}

int SevInit2(int vm_fd, uint64_t vmsa_features, uint32_t flags, uint16_t ghcb_version, uint32_t* fw_error) {
  abi::SevInit init{};
  init.vmsa_features = vmsa_features;
  init.flags = flags;
  init.ghcb_version = ghcb_version;
  abi::SevCmd cmd{};
  cmd.id = abi::kKvmSevInit2;
  cmd.data = reinterpret_cast<uintptr_t>(&init);
  // INIT2 needs no /dev/sev fd (only the launch commands do); an invalid one is explicit.
  cmd.sev_fd = UINT32_MAX;
  int err = Once(vm_fd, abi::kKvmMemoryEncryptOp, &cmd);
  *fw_error = cmd.error;
  return err;
}

}  // namespace kvmcaps
