#include "device_handle.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon.h"
#include "args.h"
#include "kvm_abi.h"
#include "kvm_ioctl.h"
#include "sev_ioctl.h"

namespace kvmcaps {
namespace {

enum class Kind { kSystem = 1, kVm = 2, kSev = 4 };

constexpr int kSystemOnly = static_cast<int>(Kind::kSystem);
constexpr int kVmOnly = static_cast<int>(Kind::kVm);
constexpr int kSevOnly = static_cast<int>(Kind::kSev);
constexpr int kSystemOrVm = kSystemOnly | kVmOnly;

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kSystem:
      return "system";
    case Kind::kVm:
      return "vm";
    case Kind::kSev:
      return "sev";
  }
  return "unknown";
}

// What an External handed to JavaScript points at. `fd` is -1 once closed; a closed fd
// number is never used again, since the kernel may have given it to another file.
struct Handle {
  int fd;
  Kind kind;
  std::string path;
  std::shared_ptr<LiveHandles> live;
};

// The External's finalizer: a handle the program forgot to close still gives its fd back.
void FinalizeHandle(napi_env /*env*/, void* data, void* /*hint*/) {
  auto* handle = static_cast<Handle*>(data);
  if (handle->fd >= 0) close(handle->fd);
  handle->live->set.erase(handle);
  delete handle;
}

// Gives `fd` to a new handle, or closes it when no External can be made (an environment
// being torn down).
Napi::Value NewHandle(Napi::Env env, AddonData* data, int fd, Kind kind, const std::string& path) {
  auto* handle = new Handle{fd, kind, path, data->live};
  data->live->set.insert(handle);
  napi_value external;
  if (napi_create_external(env, handle, FinalizeHandle, nullptr, &external) != napi_ok) {
    FinalizeHandle(env, handle, nullptr);
    Napi::Error::New(env).ThrowAsJavaScriptException();
    return Napi::Value();
  }
  return Napi::Value(env, external);
}

void ThrowInvalidThis(Napi::Env env, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", "ERR_INVALID_THIS");
  error.ThrowAsJavaScriptException();
}

// Argument 0 as a handle of this environment, or nullptr after throwing. Two cheap steps
// (napi_get_value_external fails for anything but an External, and runs no preamble):
// the pointer is trusted only once found in the live set, since another addon's External,
// or another loaded copy of this one's, points at anything at all.
Handle* HandleArg(const Napi::CallbackInfo& info) {
  void* raw = nullptr;
  if (napi_get_value_external(info.Env(), info[0], &raw) == napi_ok &&
      static_cast<AddonData*>(info.Data())->live->set.count(raw) != 0) {
    return static_cast<Handle*>(raw);
  }
  ThrowInvalidThis(info.Env(), "Illegal invocation: not a kvm-caps device handle");
  return nullptr;
}

// Returns the open fd, or throws (EBADF after close, TypeError for a kind of handle not
// in `kinds`, a mask of Kind values) and returns -1.
int FdFor(Napi::Env env, const Handle* handle, const char* request, int kinds) {
  if (handle->fd < 0) {
    ThrowSystemError(env, EBADF, "ioctl", request, handle->path);
    return -1;
  }
  if ((kinds & static_cast<int>(handle->kind)) == 0) {
    ThrowInvalidThis(env, std::string(request) + " is not a request for a " + KindName(handle->kind) + " handle");
    return -1;
  }
  return handle->fd;
}

Napi::Value Fail(Napi::Env env, const Handle* handle, int err, const char* request) {
  return ThrowSystemError(env, err, "ioctl", request, handle->path);
}

// Room for the CPUID entries of current x86 hosts (about 60-80) in one call.
constexpr uint32_t kDefaultCpuidCapacity = 128;
// KVM answers E2BIG for 256 (MAX_IO_MSRS) or more MSRs per KVM_GET_MSRS, and the
// caller sees that error; the bound here only keeps the addon from allocating without limit.
constexpr size_t kMaxMsrsPerCall = 65536;
constexpr size_t kMaxCapsPerCall = 65536;

Napi::Object CpuidEntryObject(Napi::Env env, const abi::CpuidEntry2& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("function", Napi::Number::New(env, e.function));
  o.Set("index", Napi::Number::New(env, e.index));
  o.Set("flags", Napi::Number::New(env, e.flags));
  o.Set("eax", Napi::Number::New(env, e.eax));
  o.Set("ebx", Napi::Number::New(env, e.ebx));
  o.Set("ecx", Napi::Number::New(env, e.ecx));
  o.Set("edx", Napi::Number::New(env, e.edx));
  return o;
}

Napi::Array CpuidEntryArray(Napi::Env env, const std::vector<abi::CpuidEntry2>& entries) {
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); i++) out.Set(static_cast<uint32_t>(i), CpuidEntryObject(env, entries[i]));
  return out;
}

Napi::Object HwErrorExtra(Napi::Env env, uint64_t hw_error) {
  Napi::Object extra = Napi::Object::New(env);
  extra.Set("hwError", Napi::BigInt::New(env, hw_error));
  return extra;
}

Napi::Object FirmwareErrorExtra(Napi::Env env, uint32_t fw_error) {
  Napi::Object extra = Napi::Object::New(env);
  extra.Set("firmwareError", Napi::Number::New(env, fw_error));
  return extra;
}

// QEMU starts at 6 entries: the first generation of TDX modules reports 6 CPUID configs.
constexpr uint32_t kDefaultTdxCpuidCapacity = 6;

// One /dev/sev command on the thread pool. It works on its own duplicate of the handle's
// fd, so closing the handle meanwhile cannot redirect the ioctl to a reused fd number.
class SevCommandWorker : public Napi::AsyncWorker {
 public:
  SevCommandWorker(Napi::Env env, int fd, uint32_t command, const char* name, std::string path)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        fd_(fd),
        command_(command),
        name_(name),
        path_(std::move(path)) {}
  ~SevCommandWorker() override {
    if (fd_ >= 0) close(fd_);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    switch (command_) {
      case abi::kSevPlatformStatus:
        err_ = kvmcaps::SevPlatformStatus(fd_, &status_, &fw_error_);
        break;
      case abi::kSnpPlatformStatus:
        err_ = kvmcaps::SnpPlatformStatus(fd_, &snp_, &fw_error_);
        break;
      case abi::kSevGetId2:
        err_ = kvmcaps::SevGetId2(fd_, &id_, &fw_error_);
        break;
    }
    close(fd_);
    fd_ = -1;
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (err_ != 0) {
      Napi::Value error = MakeSystemError(env, err_, "ioctl", name_, path_, FirmwareErrorExtra(env, fw_error_));
      if (error.IsEmpty()) error = env.GetAndClearPendingException().Value();
      deferred_.Reject(error);
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    switch (command_) {
      case abi::kSevPlatformStatus:
        out.Set("apiMajor", status_.api_major);
        out.Set("apiMinor", status_.api_minor);
        out.Set("state", status_.state);
        out.Set("flags", static_cast<uint32_t>(status_.flags));
        out.Set("build", status_.build);
        out.Set("guestCount", static_cast<uint32_t>(status_.guest_count));
        break;
      case abi::kSnpPlatformStatus:
        out.Set("apiMajor", snp_.api_major);
        out.Set("apiMinor", snp_.api_minor);
        out.Set("state", snp_.state);
        out.Set("rmpFlags", snp_.rmp_flags);
        out.Set("buildId", static_cast<uint32_t>(snp_.build_id));
        out.Set("featureFlags", static_cast<uint32_t>(snp_.feature_flags));
        out.Set("guestCount", static_cast<uint32_t>(snp_.guest_count));
        out.Set("currentTcbVersion", Napi::BigInt::New(env, static_cast<uint64_t>(snp_.current_tcb_version)));
        out.Set("reportedTcbVersion", Napi::BigInt::New(env, static_cast<uint64_t>(snp_.reported_tcb_version)));
        break;
      case abi::kSevGetId2:
        out.Set("id", Napi::Buffer<uint8_t>::Copy(env, id_.data(), id_.size()));
        break;
    }
    out.Set("firmwareError", Napi::Number::New(env, fw_error_));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int fd_;
  uint32_t command_;
  const char* name_;
  std::string path_;
  int err_ = 0;
  uint32_t fw_error_ = 0;
  abi::SevUserDataStatus status_{};
  abi::SevUserDataSnpStatus snp_{};
  std::vector<uint8_t> id_;
};

Napi::Value OpenDevice(const Napi::CallbackInfo& info, int flags, Kind kind) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ReadString(info, 0, "path", &path)) return Napi::Value();
  int fd;
  do {
    fd = open(path.c_str(), flags | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ThrowSystemError(env, errno, "open", nullptr, path);
  return NewHandle(env, static_cast<AddonData*>(info.Data()), fd, kind, path);
}

Napi::Value OpenKvm(const Napi::CallbackInfo& info) { return OpenDevice(info, O_RDWR, Kind::kSystem); }

Napi::Value OpenSev(const Napi::CallbackInfo& info) { return OpenDevice(info, O_RDONLY, Kind::kSev); }

Napi::Value Close(const Napi::CallbackInfo& info) {
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  if (handle->fd >= 0) {
    // close() releases the fd even when it reports an error, so it is never retried.
    close(handle->fd);
    handle->fd = -1;
  }
  return info.Env().Undefined();
}

Napi::Value IsClosed(const Napi::CallbackInfo& info) {
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  return Napi::Boolean::New(info.Env(), handle->fd < 0);
}

Napi::Value ApiVersion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_GET_API_VERSION", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int version = 0;
  int err = IoctlInt(fd, abi::kKvmGetApiVersion, 0, &version);
  if (err != 0) return Fail(env, handle, err, "KVM_GET_API_VERSION");
  return Napi::Number::New(env, version);
}

// The call made most often (a report checks a few hundred capabilities), so its success
// path is kept to the ioctl plus four N-API calls (arguments, External, number in, number
// out) and no allocation.
Napi::Value CheckExtension(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  uint32_t cap;
  if (!ReadU32(info, 1, "cap", &cap)) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_CHECK_EXTENSION", kSystemOrVm);
  if (fd < 0) return Napi::Value();
  int value = 0;
  int err = IoctlInt(fd, abi::kKvmCheckExtension, cap, &value);
  if (err != 0) return Fail(env, handle, err, "KVM_CHECK_EXTENSION");
  return Napi::Number::New(env, value);
}

// One KVM_CHECK_EXTENSION per element, in one crossing into the addon. A failed check
// stores the negated errno in its slot (the kernel's own convention); every capability
// value is non-negative, so the two cannot be confused.
Napi::Value CheckExtensions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  std::vector<uint32_t> caps;
  if (!ReadU32List(info, 1, "caps", kMaxCapsPerCall, &caps)) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_CHECK_EXTENSION", kSystemOrVm);
  if (fd < 0) return Napi::Value();
  Napi::Int32Array results = Napi::Int32Array::New(env, caps.size());
  // Allocation fails when the environment is shutting down (a worker being terminated);
  // there is then no buffer to write into.
  if (results.IsEmpty() || env.IsExceptionPending()) return Napi::Value();
  int32_t* out = results.Data();
  for (size_t i = 0; i < caps.size(); i++) {
    int value = 0;
    int err = IoctlInt(fd, abi::kKvmCheckExtension, caps[i], &value);
    out[i] = err != 0 ? -err : value;
  }
  return results;
}

Napi::Value VcpuMmapSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_GET_VCPU_MMAP_SIZE", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int size = 0;
  int err = IoctlInt(fd, abi::kKvmGetVcpuMmapSize, 0, &size);
  if (err != 0) return Fail(env, handle, err, "KVM_GET_VCPU_MMAP_SIZE");
  return Napi::Number::New(env, size);
}

Napi::Value Cpuid(const Napi::CallbackInfo& info, unsigned long request, const char* name) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  uint32_t capacity = kDefaultCpuidCapacity;
  if (!info[1].IsUndefined() && !ReadU32(info, 1, "capacity", &capacity)) return Napi::Value();
  int fd = FdFor(env, handle, name, kSystemOnly);
  if (fd < 0) return Napi::Value();
  std::vector<abi::CpuidEntry2> entries;
  int err = GetCpuid(fd, request, capacity, &entries);
  if (err != 0) return Fail(env, handle, err, name);
  return CpuidEntryArray(env, entries);
}

Napi::Value SupportedCpuid(const Napi::CallbackInfo& info) {
  return Cpuid(info, abi::kKvmGetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID");
}

Napi::Value EmulatedCpuid(const Napi::CallbackInfo& info) {
  return Cpuid(info, abi::kKvmGetEmulatedCpuid, "KVM_GET_EMULATED_CPUID");
}

Napi::Value MsrList(const Napi::CallbackInfo& info, unsigned long request, const char* name) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  int fd = FdFor(env, handle, name, kSystemOnly);
  if (fd < 0) return Napi::Value();
  std::vector<uint32_t> indices;
  int err = GetMsrIndexList(fd, request, &indices);
  if (err != 0) return Fail(env, handle, err, name);
  Napi::Array out = Napi::Array::New(env, indices.size());
  for (size_t i = 0; i < indices.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, indices[i]));
  return out;
}

Napi::Value MsrIndexList(const Napi::CallbackInfo& info) {
  return MsrList(info, abi::kKvmGetMsrIndexList, "KVM_GET_MSR_INDEX_LIST");
}

Napi::Value MsrFeatureIndexList(const Napi::CallbackInfo& info) {
  return MsrList(info, abi::kKvmGetMsrFeatureIndexList, "KVM_GET_MSR_FEATURE_INDEX_LIST");
}

// Returns one BigInt per MSR read; the kernel stops at the first MSR it cannot read, so
// a shorter array than `indices` names that MSR as the first failure.
Napi::Value GetMsrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  std::vector<uint32_t> indices;
  if (!ReadU32List(info, 1, "indices", kMaxMsrsPerCall, &indices)) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_GET_MSRS", kSystemOnly);
  if (fd < 0) return Napi::Value();
  std::vector<uint64_t> values;
  size_t read = 0;
  int err = kvmcaps::GetMsrs(fd, indices, &values, &read);
  if (err != 0) return Fail(env, handle, err, "KVM_GET_MSRS");
  Napi::Array out = Napi::Array::New(env, read);
  for (size_t i = 0; i < read; i++) out.Set(static_cast<uint32_t>(i), Napi::BigInt::New(env, values[i]));
  return out;
}

// KVM_HAS_DEVICE_ATTR answers by its return code alone: true, or the error (ENXIO when
// the group or attribute does not exist).
Napi::Value HasDeviceAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  uint32_t group;
  uint64_t attr;
  if (!ReadU32(info, 1, "group", &group) || !ReadU64(info, 2, "attr", &attr)) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_HAS_DEVICE_ATTR", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int err = kvmcaps::HasDeviceAttr(fd, group, attr);
  if (err != 0) return Fail(env, handle, err, "KVM_HAS_DEVICE_ATTR");
  return Napi::Boolean::New(env, true);
}

Napi::Value GetDeviceAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  uint32_t group;
  uint64_t attr;
  if (!ReadU32(info, 1, "group", &group) || !ReadU64(info, 2, "attr", &attr)) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_GET_DEVICE_ATTR", kSystemOnly);
  if (fd < 0) return Napi::Value();
  uint64_t value = 0;
  int err = kvmcaps::GetDeviceAttr(fd, group, attr, &value);
  if (err != 0) return Fail(env, handle, err, "KVM_GET_DEVICE_ATTR");
  return Napi::BigInt::New(env, value);
}

// KVM_CREATE_VM: the kernel returns the VM fd with O_CLOEXEC already set
// (kvm_dev_ioctl_create_vm), and closing it destroys the VM.
Napi::Value CreateVm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  uint32_t type;
  if (!ReadU32(info, 1, "type", &type)) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_CREATE_VM", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int vm_fd = -1;
  int err = IoctlInt(fd, abi::kKvmCreateVm, type, &vm_fd);
  if (err != 0) return Fail(env, handle, err, "KVM_CREATE_VM");
  return NewHandle(env, static_cast<AddonData*>(info.Data()), vm_fd, Kind::kVm, handle->path);
}

Napi::Value TdxCapabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  uint32_t capacity = kDefaultTdxCpuidCapacity;
  if (!info[1].IsUndefined() && !ReadU32(info, 1, "capacity", &capacity)) return Napi::Value();
  int fd = FdFor(env, handle, "KVM_TDX_CAPABILITIES", kVmOnly);
  if (fd < 0) return Napi::Value();
  TdxCapabilitiesResult caps;
  uint64_t hw_error = 0;
  int err = kvmcaps::TdxCapabilities(fd, capacity, &caps, &hw_error);
  if (err != 0) {
    return ThrowSystemError(env, err, "ioctl", "KVM_TDX_CAPABILITIES", handle->path, HwErrorExtra(env, hw_error));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("supportedAttrs", Napi::BigInt::New(env, caps.supported_attrs));
  out.Set("supportedXfam", Napi::BigInt::New(env, caps.supported_xfam));
  out.Set("kernelTdvmcallinfo1R11", Napi::BigInt::New(env, caps.kernel_tdvmcallinfo_1_r11));
  out.Set("userTdvmcallinfo1R11", Napi::BigInt::New(env, caps.user_tdvmcallinfo_1_r11));
  out.Set("kernelTdvmcallinfo1R12", Napi::BigInt::New(env, caps.kernel_tdvmcallinfo_1_r12));
  out.Set("userTdvmcallinfo1R12", Napi::BigInt::New(env, caps.user_tdvmcallinfo_1_r12));
  out.Set("cpuid", CpuidEntryArray(env, caps.cpuid));
  out.Set("hwError", Napi::BigInt::New(env, hw_error));
  return out;
}

// tdxInitVm(h, { attributes, xfam, cpuid }): measurement registers are left zero.
Napi::Value TdxInitVm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  Napi::Object params;
  if (!ReadObject(info, 1, "params", &params)) return Napi::Value();
  uint64_t attributes = 0;
  uint64_t xfam = 0;
  std::vector<abi::CpuidEntry2> cpuid;
  if (!ReadU64Value(env, params.Get("attributes"), "params.attributes", &attributes) ||
      !ReadU64Value(env, params.Get("xfam"), "params.xfam", &xfam) ||
      !ReadCpuidEntries(env, params.Get("cpuid"), "params.cpuid", kMaxCpuidEntries, &cpuid)) {
    return Napi::Value();
  }
  int fd = FdFor(env, handle, "KVM_TDX_INIT_VM", kVmOnly);
  if (fd < 0) return Napi::Value();
  uint64_t hw_error = 0;
  int err = kvmcaps::TdxInitVm(fd, attributes, xfam, cpuid, &hw_error);
  if (err != 0) {
    return ThrowSystemError(env, err, "ioctl", "KVM_TDX_INIT_VM", handle->path, HwErrorExtra(env, hw_error));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("hwError", Napi::BigInt::New(env, hw_error));
  return out;
}

// sevInit2(h, { vmsaFeatures, flags, ghcbVersion }).
Napi::Value SevInit2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  Napi::Object params;
  if (!ReadObject(info, 1, "params", &params)) return Napi::Value();
  uint64_t vmsa_features = 0;
  uint32_t flags = 0;
  uint32_t ghcb_version = 0;
  if (!ReadU64Value(env, params.Get("vmsaFeatures"), "params.vmsaFeatures", &vmsa_features) ||
      !ReadU32Value(env, params.Get("flags"), "params.flags", &flags) ||
      !ReadU32Value(env, params.Get("ghcbVersion"), "params.ghcbVersion", &ghcb_version)) {
    return Napi::Value();
  }
  if (ghcb_version > UINT16_MAX) {
    Napi::RangeError error = Napi::RangeError::New(
        env, "The value of \"params.ghcbVersion\" is out of range. It must be an integer >= 0 and <= 65535.");
    error.Set("code", "ERR_OUT_OF_RANGE");
    error.ThrowAsJavaScriptException();
    return Napi::Value();
  }
  int fd = FdFor(env, handle, "KVM_SEV_INIT2", kVmOnly);
  if (fd < 0) return Napi::Value();
  uint32_t fw_error = 0;
  int err = kvmcaps::SevInit2(fd, vmsa_features, flags, static_cast<uint16_t>(ghcb_version), &fw_error);
  if (err != 0) {
    return ThrowSystemError(env, err, "ioctl", "KVM_SEV_INIT2", handle->path, FirmwareErrorExtra(env, fw_error));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("firmwareError", Napi::Number::New(env, fw_error));
  return out;
}

// Queues one /dev/sev command on the thread pool (firmware commands can take long) and
// returns its promise.
Napi::Value SevCommand(const Napi::CallbackInfo& info, uint32_t command, const char* name) {
  Napi::Env env = info.Env();
  Handle* handle = HandleArg(info);
  if (handle == nullptr) return Napi::Value();
  int fd = FdFor(env, handle, name, kSevOnly);
  if (fd < 0) return Napi::Value();
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ThrowSystemError(env, errno, "fcntl", name, handle->path);
  auto* worker = new SevCommandWorker(env, dup_fd, command, name, handle->path);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // The worker deletes itself when done.
  return promise;
}

Napi::Value SevPlatformStatus(const Napi::CallbackInfo& info) {
  return SevCommand(info, abi::kSevPlatformStatus, "SEV_PLATFORM_STATUS");
}

Napi::Value SnpPlatformStatus(const Napi::CallbackInfo& info) {
  return SevCommand(info, abi::kSnpPlatformStatus, "SNP_PLATFORM_STATUS");
}

Napi::Value SevGetId2(const Napi::CallbackInfo& info) { return SevCommand(info, abi::kSevGetId2, "SEV_GET_ID2"); }

}  // namespace

void DefineHandleFunctions(Napi::Env env, Napi::Object bindings, AddonData* data) {
  using Make = Napi::Function (*)(napi_env, const char*, void*);
  const std::pair<const char*, Make> functions[] = {
      {"openKvm", &Napi::Function::New<OpenKvm>},
      {"openSev", &Napi::Function::New<OpenSev>},
      {"close", &Napi::Function::New<Close>},
      {"isClosed", &Napi::Function::New<IsClosed>},
      {"apiVersion", &Napi::Function::New<ApiVersion>},
      {"checkExtension", &Napi::Function::New<CheckExtension>},
      {"checkExtensions", &Napi::Function::New<CheckExtensions>},
      {"vcpuMmapSize", &Napi::Function::New<VcpuMmapSize>},
      {"supportedCpuid", &Napi::Function::New<SupportedCpuid>},
      {"emulatedCpuid", &Napi::Function::New<EmulatedCpuid>},
      {"msrIndexList", &Napi::Function::New<MsrIndexList>},
      {"msrFeatureIndexList", &Napi::Function::New<MsrFeatureIndexList>},
      {"getMsrs", &Napi::Function::New<GetMsrs>},
      {"hasDeviceAttr", &Napi::Function::New<HasDeviceAttr>},
      {"getDeviceAttr", &Napi::Function::New<GetDeviceAttr>},
      {"createVm", &Napi::Function::New<CreateVm>},
      {"tdxCapabilities", &Napi::Function::New<TdxCapabilities>},
      {"tdxInitVm", &Napi::Function::New<TdxInitVm>},
      {"sevInit2", &Napi::Function::New<SevInit2>},
      {"sevPlatformStatus", &Napi::Function::New<SevPlatformStatus>},
      {"snpPlatformStatus", &Napi::Function::New<SnpPlatformStatus>},
      {"sevGetId2", &Napi::Function::New<SevGetId2>},
  };
  // The callback data is the environment's AddonData, so no call has to ask N-API for it.
  for (const auto& [name, make] : functions) bindings.Set(name, make(env, name, data));
}

}  // namespace kvmcaps
