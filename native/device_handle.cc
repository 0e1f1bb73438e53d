#include "device_handle.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "addon.h"
#include "args.h"
#include "kvm_abi.h"
#include "kvm_ioctl.h"
#include "sev_ioctl.h"

namespace kvmcaps {
namespace {

constexpr int kSystemOnly = static_cast<int>(DeviceHandle::Kind::kSystem);
constexpr int kVmOnly = static_cast<int>(DeviceHandle::Kind::kVm);
constexpr int kSevOnly = static_cast<int>(DeviceHandle::Kind::kSev);
constexpr int kSystemOrVm = kSystemOnly | kVmOnly;

const char* KindName(DeviceHandle::Kind kind) {
  switch (kind) {
    case DeviceHandle::Kind::kSystem: return "system";
    case DeviceHandle::Kind::kVm: return "vm";
    case DeviceHandle::Kind::kSev: return "sev";
  }
  return "unknown";
}

// Room for the CPUID entries of current x86 hosts (about 60-80) in one call.
constexpr uint32_t kDefaultCpuidCapacity = 128;
// KVM answers E2BIG for 256 (MAX_IO_MSRS) or more MSRs per KVM_GET_MSRS, and the
// caller sees that error; the bound here only keeps the addon from allocating without limit.
constexpr size_t kMaxMsrsPerCall = 65536;
constexpr size_t kMaxCapsPerCall = 65536;

// The fd being handed to a new DeviceHandle. JavaScript cannot forge an External, so only
// Open and CreateVm can construct a handle.
struct PendingFd {
  int fd;
  DeviceHandle::Kind kind;
  uint32_t vm_type;
  std::string path;
  bool taken;
};

Napi::Value NewHandle(Napi::Env env, PendingFd pending) {
  Napi::Object handle =
      env.GetInstanceData<AddonData>()->handle_ctor.New({Napi::External<PendingFd>::New(env, &pending)});
  if (!pending.taken) {
    close(pending.fd);  // The constructor threw before owning the fd.
    return Napi::Value();
  }
  return handle;
}

Napi::Array CpuidEntryArray(Napi::Env env, const std::vector<abi::CpuidEntry2>& entries);

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

}  // namespace

template <Napi::Value (DeviceHandle::*Method)(const Napi::CallbackInfo&)>
Napi::Value DeviceHandle::Dispatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* raw = nullptr;
  // napi_unwrap fails for an object no addon wrapped; the live set rejects one another
  // addon wrapped, and a half-constructed handle.
  if (!info.This().IsObject() || napi_unwrap(env, info.This(), &raw) != napi_ok ||
      env.GetInstanceData<AddonData>()->live->set.count(raw) == 0) {
    Napi::TypeError error = Napi::TypeError::New(env, "Illegal invocation: not a DeviceHandle");
    error.Set("code", "ERR_INVALID_THIS");
    error.ThrowAsJavaScriptException();
    return Napi::Value();
  }
  auto* handle = static_cast<DeviceHandle*>(static_cast<ObjectWrap<DeviceHandle>*>(raw));
  return (handle->*Method)(info);
}

Napi::Function DeviceHandle::DefineClass(Napi::Env env) {
  Napi::Function ctor = ObjectWrap<DeviceHandle>::DefineClass(env, "DeviceHandle", {});
  // Class templates only take primitive values, so the dispatching functions are put
  // on the prototype once the class exists.
  Napi::Object proto = ctor.Get("prototype").As<Napi::Object>();
  auto method = [env, proto](const char* name, Napi::Function::Callback cb) {
    return Napi::PropertyDescriptor::Function(env, proto, name, cb, napi_default);
  };
  proto.DefineProperties({
      method("close", Dispatch<&DeviceHandle::Close>),
      method("isClosed", Dispatch<&DeviceHandle::IsClosed>),
      method("apiVersion", Dispatch<&DeviceHandle::ApiVersion>),
      method("checkExtension", Dispatch<&DeviceHandle::CheckExtension>),
      method("checkExtensions", Dispatch<&DeviceHandle::CheckExtensions>),
      method("vcpuMmapSize", Dispatch<&DeviceHandle::VcpuMmapSize>),
      method("supportedCpuid", Dispatch<&DeviceHandle::SupportedCpuid>),
      method("emulatedCpuid", Dispatch<&DeviceHandle::EmulatedCpuid>),
      method("msrIndexList", Dispatch<&DeviceHandle::MsrIndexList>),
      method("msrFeatureIndexList", Dispatch<&DeviceHandle::MsrFeatureIndexList>),
      method("getMsrs", Dispatch<&DeviceHandle::GetMsrs>),
      method("hasDeviceAttr", Dispatch<&DeviceHandle::HasDeviceAttr>),
      method("getDeviceAttr", Dispatch<&DeviceHandle::GetDeviceAttr>),
      method("createVm", Dispatch<&DeviceHandle::CreateVm>),
      method("tdxCapabilities", Dispatch<&DeviceHandle::TdxCapabilities>),
      method("tdxInitVm", Dispatch<&DeviceHandle::TdxInitVm>),
      method("sevInit2", Dispatch<&DeviceHandle::SevInit2>),
      method("sevPlatformStatus", Dispatch<&DeviceHandle::SevPlatformStatus>),
      method("snpPlatformStatus", Dispatch<&DeviceHandle::SnpPlatformStatus>),
      method("sevGetId2", Dispatch<&DeviceHandle::SevGetId2>),
  });
  return ctor;
}

DeviceHandle::DeviceHandle(const Napi::CallbackInfo& info) : ObjectWrap<DeviceHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsExternal()) {
    Napi::TypeError error = Napi::TypeError::New(env, "Illegal constructor: use openKvm() or createVm()");
    error.Set("code", "ERR_ILLEGAL_CONSTRUCTOR");
    error.ThrowAsJavaScriptException();
    return;
  }
  PendingFd* pending = info[0].As<Napi::External<PendingFd>>().Data();
  live_ = env.GetInstanceData<AddonData>()->live;
  live_->set.insert(static_cast<ObjectWrap<DeviceHandle>*>(this));
  fd_ = pending->fd;
  kind_ = pending->kind;
  vm_type_ = pending->vm_type;
  path_ = pending->path;
  pending->taken = true;
  Napi::Object self = info.This().As<Napi::Object>();
  self.DefineProperties({
      Napi::PropertyDescriptor::Value("path", Napi::String::New(env, path_), napi_enumerable),
      Napi::PropertyDescriptor::Value("kind", Napi::String::New(env, KindName(kind_)), napi_enumerable),
      Napi::PropertyDescriptor::Value(
          "vmType", kind_ == Kind::kVm ? Napi::Number::New(env, vm_type_) : env.Null(), napi_enumerable),
  });
}

// The finalizer: a handle the program forgot to close still gives its fd back.
DeviceHandle::~DeviceHandle() {
  if (fd_ >= 0) close(fd_);
  if (live_) live_->set.erase(static_cast<ObjectWrap<DeviceHandle>*>(this));
}

namespace {

Napi::Value OpenDevice(const Napi::CallbackInfo& info, int flags, DeviceHandle::Kind kind) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ReadString(info, 0, "path", &path)) return Napi::Value();
  int fd;
  do {
    fd = open(path.c_str(), flags | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ThrowSystemError(env, errno, "open", nullptr, path);
  return NewHandle(env, PendingFd{fd, kind, 0, path, false});
}

}  // namespace

Napi::Value DeviceHandle::OpenKvm(const Napi::CallbackInfo& info) { return OpenDevice(info, O_RDWR, Kind::kSystem); }

Napi::Value DeviceHandle::OpenSev(const Napi::CallbackInfo& info) { return OpenDevice(info, O_RDONLY, Kind::kSev); }

int DeviceHandle::FdFor(Napi::Env env, const char* request, int kinds) {
  if (fd_ < 0) {
    ThrowSystemError(env, EBADF, "ioctl", request, path_);
    return -1;
  }
  if ((kinds & static_cast<int>(kind_)) == 0) {
    Napi::TypeError error = Napi::TypeError::New(
        env, std::string(request) + " is not a request for a " + KindName(kind_) + " handle");
    error.Set("code", "ERR_INVALID_THIS");
    error.ThrowAsJavaScriptException();
    return -1;
  }
  return fd_;
}

Napi::Value DeviceHandle::Fail(Napi::Env env, int err, const char* request) {
  return ThrowSystemError(env, err, "ioctl", request, path_);
}

Napi::Value DeviceHandle::Close(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) {
    // close() releases the fd even when it reports an error, so it is never retried.
    close(fd_);
    fd_ = -1;
  }
  return info.Env().Undefined();
}

Napi::Value DeviceHandle::IsClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), fd_ < 0); }

Napi::Value DeviceHandle::ApiVersion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdFor(env, "KVM_GET_API_VERSION", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int version = 0;
  int err = IoctlInt(fd, abi::kKvmGetApiVersion, 0, &version);
  if (err != 0) return Fail(env, err, "KVM_GET_API_VERSION");
  return Napi::Number::New(env, version);
}

Napi::Value DeviceHandle::CheckExtension(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t cap;
  if (!ReadU32(info, 0, "cap", &cap)) return Napi::Value();
  int fd = FdFor(env, "KVM_CHECK_EXTENSION", kSystemOrVm);
  if (fd < 0) return Napi::Value();
  int value = 0;
  int err = IoctlInt(fd, abi::kKvmCheckExtension, cap, &value);
  if (err != 0) return Fail(env, err, "KVM_CHECK_EXTENSION");
  return Napi::Number::New(env, value);
}

// One KVM_CHECK_EXTENSION per element, in one crossing into the addon. A failed check
// stores the negated errno in its slot (the kernel's own convention); every capability
// value is non-negative, so the two cannot be confused.
Napi::Value DeviceHandle::CheckExtensions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint32_t> caps;
  if (!ReadU32List(info, 0, "caps", kMaxCapsPerCall, &caps)) return Napi::Value();
  int fd = FdFor(env, "KVM_CHECK_EXTENSION", kSystemOrVm);
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

Napi::Value DeviceHandle::VcpuMmapSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdFor(env, "KVM_GET_VCPU_MMAP_SIZE", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int size = 0;
  int err = IoctlInt(fd, abi::kKvmGetVcpuMmapSize, 0, &size);
  if (err != 0) return Fail(env, err, "KVM_GET_VCPU_MMAP_SIZE");
  return Napi::Number::New(env, size);
}

Napi::Value DeviceHandle::Cpuid(const Napi::CallbackInfo& info, unsigned long request, const char* name) {
  Napi::Env env = info.Env();
  uint32_t capacity = kDefaultCpuidCapacity;
  if (!info[0].IsUndefined() && !ReadU32(info, 0, "capacity", &capacity)) return Napi::Value();
  int fd = FdFor(env, name, kSystemOnly);
  if (fd < 0) return Napi::Value();
  std::vector<abi::CpuidEntry2> entries;
  int err = GetCpuid(fd, request, capacity, &entries);
  if (err != 0) return Fail(env, err, name);
  return CpuidEntryArray(env, entries);
}

Napi::Value DeviceHandle::SupportedCpuid(const Napi::CallbackInfo& info) {
  return Cpuid(info, abi::kKvmGetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID");
}

Napi::Value DeviceHandle::EmulatedCpuid(const Napi::CallbackInfo& info) {
  return Cpuid(info, abi::kKvmGetEmulatedCpuid, "KVM_GET_EMULATED_CPUID");
}

Napi::Value DeviceHandle::MsrList(const Napi::CallbackInfo& info, unsigned long request, const char* name) {
  Napi::Env env = info.Env();
  int fd = FdFor(env, name, kSystemOnly);
  if (fd < 0) return Napi::Value();
  std::vector<uint32_t> indices;
  int err = GetMsrIndexList(fd, request, &indices);
  if (err != 0) return Fail(env, err, name);
  Napi::Array out = Napi::Array::New(env, indices.size());
  for (size_t i = 0; i < indices.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, indices[i]));
  return out;
}

Napi::Value DeviceHandle::MsrIndexList(const Napi::CallbackInfo& info) {
  return MsrList(info, abi::kKvmGetMsrIndexList, "KVM_GET_MSR_INDEX_LIST");
}

Napi::Value DeviceHandle::MsrFeatureIndexList(const Napi::CallbackInfo& info) {
  return MsrList(info, abi::kKvmGetMsrFeatureIndexList, "KVM_GET_MSR_FEATURE_INDEX_LIST");
}

// Returns one BigInt per MSR read; the kernel stops at the first MSR it cannot read, so
// a shorter array than `indices` names that MSR as the first failure.
Napi::Value DeviceHandle::GetMsrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint32_t> indices;
  if (!ReadU32List(info, 0, "indices", kMaxMsrsPerCall, &indices)) return Napi::Value();
  int fd = FdFor(env, "KVM_GET_MSRS", kSystemOnly);
  if (fd < 0) return Napi::Value();
  std::vector<uint64_t> values;
  size_t read = 0;
  int err = kvmcaps::GetMsrs(fd, indices, &values, &read);
  if (err != 0) return Fail(env, err, "KVM_GET_MSRS");
  Napi::Array out = Napi::Array::New(env, read);
  for (size_t i = 0; i < read; i++) out.Set(static_cast<uint32_t>(i), Napi::BigInt::New(env, values[i]));
  return out;
}

// KVM_HAS_DEVICE_ATTR answers by its return code alone: true, or the error (ENXIO when
// the group or attribute does not exist).
Napi::Value DeviceHandle::HasDeviceAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t group;
  uint64_t attr;
  if (!ReadU32(info, 0, "group", &group) || !ReadU64(info, 1, "attr", &attr)) return Napi::Value();
  int fd = FdFor(env, "KVM_HAS_DEVICE_ATTR", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int err = kvmcaps::HasDeviceAttr(fd, group, attr);
  if (err != 0) return Fail(env, err, "KVM_HAS_DEVICE_ATTR");
  return Napi::Boolean::New(env, true);
}

Napi::Value DeviceHandle::GetDeviceAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t group;
  uint64_t attr;
  if (!ReadU32(info, 0, "group", &group) || !ReadU64(info, 1, "attr", &attr)) return Napi::Value();
  int fd = FdFor(env, "KVM_GET_DEVICE_ATTR", kSystemOnly);
  if (fd < 0) return Napi::Value();
  uint64_t value = 0;
  int err = kvmcaps::GetDeviceAttr(fd, group, attr, &value);
  if (err != 0) return Fail(env, err, "KVM_GET_DEVICE_ATTR");
  return Napi::BigInt::New(env, value);
}

// KVM_CREATE_VM: the kernel returns the VM fd with O_CLOEXEC already set
// (kvm_dev_ioctl_create_vm), and closing it destroys the VM.
Napi::Value DeviceHandle::CreateVm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t type;
  if (!ReadU32(info, 0, "type", &type)) return Napi::Value();
  int fd = FdFor(env, "KVM_CREATE_VM", kSystemOnly);
  if (fd < 0) return Napi::Value();
  int vm_fd = -1;
  int err = IoctlInt(fd, abi::kKvmCreateVm, type, &vm_fd);
  if (err != 0) return Fail(env, err, "KVM_CREATE_VM");
  return NewHandle(env, PendingFd{vm_fd, Kind::kVm, type, path_, false});
}

Napi::Value DeviceHandle::TdxCapabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t capacity = kDefaultTdxCpuidCapacity;
  if (!info[0].IsUndefined() && !ReadU32(info, 0, "capacity", &capacity)) return Napi::Value();
  int fd = FdFor(env, "KVM_TDX_CAPABILITIES", kVmOnly);
  if (fd < 0) return Napi::Value();
  TdxCapabilitiesResult caps;
  uint64_t hw_error = 0;
  int err = kvmcaps::TdxCapabilities(fd, capacity, &caps, &hw_error);
  if (err != 0) return ThrowSystemError(env, err, "ioctl", "KVM_TDX_CAPABILITIES", path_, HwErrorExtra(env, hw_error));
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

// tdxInitVm({ attributes, xfam, cpuid }): measurement registers are left zero.
Napi::Value DeviceHandle::TdxInitVm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object params;
  if (!ReadObject(info, 0, "params", &params)) return Napi::Value();
  uint64_t attributes = 0;
  uint64_t xfam = 0;
  std::vector<abi::CpuidEntry2> cpuid;
  if (!ReadU64Value(env, params.Get("attributes"), "params.attributes", &attributes) ||
      !ReadU64Value(env, params.Get("xfam"), "params.xfam", &xfam) ||
      !ReadCpuidEntries(env, params.Get("cpuid"), "params.cpuid", kMaxCpuidEntries, &cpuid)) {
    return Napi::Value();
  }
  int fd = FdFor(env, "KVM_TDX_INIT_VM", kVmOnly);
  if (fd < 0) return Napi::Value();
  uint64_t hw_error = 0;
  int err = kvmcaps::TdxInitVm(fd, attributes, xfam, cpuid, &hw_error);
  if (err != 0) return ThrowSystemError(env, err, "ioctl", "KVM_TDX_INIT_VM", path_, HwErrorExtra(env, hw_error));
  Napi::Object out = Napi::Object::New(env);
  out.Set("hwError", Napi::BigInt::New(env, hw_error));
  return out;
}

// sevInit2({ vmsaFeatures, flags, ghcbVersion }).
Napi::Value DeviceHandle::SevInit2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object params;
  if (!ReadObject(info, 0, "params", &params)) return Napi::Value();
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
  int fd = FdFor(env, "KVM_SEV_INIT2", kVmOnly);
  if (fd < 0) return Napi::Value();
  uint32_t fw_error = 0;
  int err = kvmcaps::SevInit2(fd, vmsa_features, flags, static_cast<uint16_t>(ghcb_version), &fw_error);
  if (err != 0) return ThrowSystemError(env, err, "ioctl", "KVM_SEV_INIT2", path_, FirmwareErrorExtra(env, fw_error));
  Napi::Object out = Napi::Object::New(env);
  out.Set("firmwareError", Napi::Number::New(env, fw_error));
  return out;
}

Napi::Value DeviceHandle::SevCommand(const Napi::CallbackInfo& info, uint32_t command, const char* name) {
  Napi::Env env = info.Env();
  int fd = FdFor(env, name, kSevOnly);
  if (fd < 0) return Napi::Value();
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ThrowSystemError(env, errno, "fcntl", name, path_);
  auto* worker = new SevCommandWorker(env, dup_fd, command, name, path_);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // The worker deletes itself when done.
  return promise;
}

Napi::Value DeviceHandle::SevPlatformStatus(const Napi::CallbackInfo& info) {
  return SevCommand(info, abi::kSevPlatformStatus, "SEV_PLATFORM_STATUS");
}

Napi::Value DeviceHandle::SnpPlatformStatus(const Napi::CallbackInfo& info) {
  return SevCommand(info, abi::kSnpPlatformStatus, "SNP_PLATFORM_STATUS");
}

Napi::Value DeviceHandle::SevGetId2(const Napi::CallbackInfo& info) { return SevCommand(info, abi::kSevGetId2, "SEV_GET_ID2"); }

}  // namespace kvmcaps
