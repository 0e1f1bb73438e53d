#include "kvm_handle.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "addon.h"
#include "args.h"
#include "kvm_abi.h"
#include "kvm_ioctl.h"

namespace kvmcaps {
namespace {

constexpr napi_type_tag kHandleTag = {0x6b766d2d63617073ULL, 0x6b766d68616e646cULL};

// Room for the CPUID entries of current x86 hosts (about 60-80) in one call.
constexpr uint32_t kDefaultCpuidCapacity = 128;
// KVM answers E2BIG for 256 (MAX_IO_MSRS) or more MSRs per KVM_GET_MSRS, and the
// caller sees that error; the bound here only keeps the addon from allocating without limit.
constexpr size_t kMaxMsrsPerCall = 65536;
constexpr size_t kMaxCapsPerCall = 65536;

// The fd being handed to a new KvmHandle. JavaScript cannot forge an External, so only
// Open and CreateVm can construct a handle.
struct PendingFd {
  int fd;
  KvmHandle::Kind kind;
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

}  // namespace

template <Napi::Value (KvmHandle::*Method)(const Napi::CallbackInfo&)>
Napi::Value KvmHandle::Dispatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool tagged = false;
  napi_value self = info.This();
  if (!info.This().IsObject() || napi_check_object_type_tag(env, self, &kHandleTag, &tagged) != napi_ok ||
      !tagged) {
    Napi::TypeError error = Napi::TypeError::New(env, "Illegal invocation: not a KvmHandle");
    error.Set("code", "ERR_INVALID_THIS");
    error.ThrowAsJavaScriptException();
    return Napi::Value();
  }
  KvmHandle* handle = Unwrap(info.This().As<Napi::Object>());
  if (handle == nullptr) return Napi::Value();
  return (handle->*Method)(info);
}

Napi::Function KvmHandle::DefineClass(Napi::Env env) {
  Napi::Function ctor = ObjectWrap<KvmHandle>::DefineClass(env, "KvmHandle", {});
  // Class templates only take primitive values, so the dispatching functions are put
  // on the prototype once the class exists.
  Napi::Object proto = ctor.Get("prototype").As<Napi::Object>();
  auto method = [env, proto](const char* name, Napi::Function::Callback cb) {
    return Napi::PropertyDescriptor::Function(env, proto, name, cb, napi_default);
  };
  proto.DefineProperties({
      method("close", Dispatch<&KvmHandle::Close>),
      method("isClosed", Dispatch<&KvmHandle::IsClosed>),
      method("apiVersion", Dispatch<&KvmHandle::ApiVersion>),
      method("checkExtension", Dispatch<&KvmHandle::CheckExtension>),
      method("checkExtensions", Dispatch<&KvmHandle::CheckExtensions>),
      method("vcpuMmapSize", Dispatch<&KvmHandle::VcpuMmapSize>),
      method("supportedCpuid", Dispatch<&KvmHandle::SupportedCpuid>),
      method("emulatedCpuid", Dispatch<&KvmHandle::EmulatedCpuid>),
      method("msrIndexList", Dispatch<&KvmHandle::MsrIndexList>),
      method("msrFeatureIndexList", Dispatch<&KvmHandle::MsrFeatureIndexList>),
      method("getMsrs", Dispatch<&KvmHandle::GetMsrs>),
      method("hasDeviceAttr", Dispatch<&KvmHandle::HasDeviceAttr>),
      method("getDeviceAttr", Dispatch<&KvmHandle::GetDeviceAttr>),
      method("createVm", Dispatch<&KvmHandle::CreateVm>),
  });
  return ctor;
}

KvmHandle::KvmHandle(const Napi::CallbackInfo& info) : ObjectWrap<KvmHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsExternal()) {
    Napi::TypeError error = Napi::TypeError::New(env, "Illegal constructor: use openKvm() or createVm()");
    error.Set("code", "ERR_ILLEGAL_CONSTRUCTOR");
    error.ThrowAsJavaScriptException();
    return;
  }
  PendingFd* pending = info[0].As<Napi::External<PendingFd>>().Data();
  if (napi_type_tag_object(env, info.This(), &kHandleTag) != napi_ok) {
    Napi::Error::New(env, "could not tag KvmHandle").ThrowAsJavaScriptException();
    return;
  }
  fd_ = pending->fd;
  kind_ = pending->kind;
  vm_type_ = pending->vm_type;
  path_ = pending->path;
  pending->taken = true;
  Napi::Object self = info.This().As<Napi::Object>();
  self.DefineProperties({
      Napi::PropertyDescriptor::Value("path", Napi::String::New(env, path_), napi_enumerable),
      Napi::PropertyDescriptor::Value("kind", Napi::String::New(env, kind_ == Kind::kSystem ? "system" : "vm"),
                                      napi_enumerable),
      Napi::PropertyDescriptor::Value(
          "vmType", kind_ == Kind::kVm ? Napi::Number::New(env, vm_type_) : env.Null(), napi_enumerable),
  });
}

// The finalizer: a handle the program forgot to close still gives its fd back.
KvmHandle::~KvmHandle() {
  if (fd_ >= 0) close(fd_);
}

Napi::Value KvmHandle::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ReadString(info, 0, "path", &path)) return Napi::Value();
  int fd;
  do {
    fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ThrowSystemError(env, errno, "open", nullptr, path);
  return NewHandle(env, PendingFd{fd, Kind::kSystem, 0, path, false});
}

int KvmHandle::FdFor(Napi::Env env, const char* request, bool system_only) {
  if (fd_ < 0) {
    ThrowSystemError(env, EBADF, "ioctl", request, path_);
    return -1;
  }
  if (system_only && kind_ != Kind::kSystem) {
    Napi::TypeError error =
        Napi::TypeError::New(env, std::string(request) + " is a system ioctl and needs a /dev/kvm handle, not a VM");
    error.Set("code", "ERR_INVALID_THIS");
    error.ThrowAsJavaScriptException();
    return -1;
  }
  return fd_;
}

Napi::Value KvmHandle::Fail(Napi::Env env, int err, const char* request) {
  return ThrowSystemError(env, err, "ioctl", request, path_);
}

Napi::Value KvmHandle::Close(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) {
    // close() releases the fd even when it reports an error, so it is never retried.
    close(fd_);
    fd_ = -1;
  }
  return info.Env().Undefined();
}

Napi::Value KvmHandle::IsClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), fd_ < 0); }

Napi::Value KvmHandle::ApiVersion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdFor(env, "KVM_GET_API_VERSION", true);
  if (fd < 0) return Napi::Value();
  int version = 0;
  int err = IoctlInt(fd, abi::kKvmGetApiVersion, 0, &version);
  if (err != 0) return Fail(env, err, "KVM_GET_API_VERSION");
  return Napi::Number::New(env, version);
}

Napi::Value KvmHandle::CheckExtension(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t cap;
  if (!ReadU32(info, 0, "cap", &cap)) return Napi::Value();
  int fd = FdFor(env, "KVM_CHECK_EXTENSION", false);
  if (fd < 0) return Napi::Value();
  int value = 0;
  int err = IoctlInt(fd, abi::kKvmCheckExtension, cap, &value);
  if (err != 0) return Fail(env, err, "KVM_CHECK_EXTENSION");
  return Napi::Number::New(env, value);
}

// One KVM_CHECK_EXTENSION per element, in one crossing into the addon. A failed check
// stores the negated errno in its slot (the kernel's own convention); every capability
// value is non-negative, so the two cannot be confused.
Napi::Value KvmHandle::CheckExtensions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint32_t> caps;
  if (!ReadU32List(info, 0, "caps", kMaxCapsPerCall, &caps)) return Napi::Value();
  int fd = FdFor(env, "KVM_CHECK_EXTENSION", false);
  if (fd < 0) return Napi::Value();
  Napi::Int32Array results = Napi::Int32Array::New(env, caps.size());
  int32_t* out = results.Data();
  for (size_t i = 0; i < caps.size(); i++) {
    int value = 0;
    int err = IoctlInt(fd, abi::kKvmCheckExtension, caps[i], &value);
    out[i] = err != 0 ? -err : value;
  }
  return results;
}

Napi::Value KvmHandle::VcpuMmapSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdFor(env, "KVM_GET_VCPU_MMAP_SIZE", true);
  if (fd < 0) return Napi::Value();
  int size = 0;
  int err = IoctlInt(fd, abi::kKvmGetVcpuMmapSize, 0, &size);
  if (err != 0) return Fail(env, err, "KVM_GET_VCPU_MMAP_SIZE");
  return Napi::Number::New(env, size);
}

Napi::Value KvmHandle::Cpuid(const Napi::CallbackInfo& info, unsigned long request, const char* name) {
  Napi::Env env = info.Env();
  uint32_t capacity = kDefaultCpuidCapacity;
  if (!info[0].IsUndefined() && !ReadU32(info, 0, "capacity", &capacity)) return Napi::Value();
  int fd = FdFor(env, name, true);
  if (fd < 0) return Napi::Value();
  std::vector<abi::CpuidEntry2> entries;
  int err = GetCpuid(fd, request, capacity, &entries);
  if (err != 0) return Fail(env, err, name);
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); i++) out.Set(static_cast<uint32_t>(i), CpuidEntryObject(env, entries[i]));
  return out;
}

Napi::Value KvmHandle::SupportedCpuid(const Napi::CallbackInfo& info) {
  return Cpuid(info, abi::kKvmGetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID");
}

Napi::Value KvmHandle::EmulatedCpuid(const Napi::CallbackInfo& info) {
  return Cpuid(info, abi::kKvmGetEmulatedCpuid, "KVM_GET_EMULATED_CPUID");
}

Napi::Value KvmHandle::MsrList(const Napi::CallbackInfo& info, unsigned long request, const char* name) {
  Napi::Env env = info.Env();
  int fd = FdFor(env, name, true);
  if (fd < 0) return Napi::Value();
  std::vector<uint32_t> indices;
  int err = GetMsrIndexList(fd, request, &indices);
  if (err != 0) return Fail(env, err, name);
  Napi::Array out = Napi::Array::New(env, indices.size());
  for (size_t i = 0; i < indices.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, indices[i]));
  return out;
}

Napi::Value KvmHandle::MsrIndexList(const Napi::CallbackInfo& info) {
  return MsrList(info, abi::kKvmGetMsrIndexList, "KVM_GET_MSR_INDEX_LIST");
}

Napi::Value KvmHandle::MsrFeatureIndexList(const Napi::CallbackInfo& info) {
  return MsrList(info, abi::kKvmGetMsrFeatureIndexList, "KVM_GET_MSR_FEATURE_INDEX_LIST");
}

// Returns one BigInt per MSR read; the kernel stops at the first MSR it cannot read, so
// a shorter array than `indices` names that MSR as the first failure.
Napi::Value KvmHandle::GetMsrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint32_t> indices;
  if (!ReadU32List(info, 0, "indices", kMaxMsrsPerCall, &indices)) return Napi::Value();
  int fd = FdFor(env, "KVM_GET_MSRS", true);
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
Napi::Value KvmHandle::HasDeviceAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t group;
  uint64_t attr;
  if (!ReadU32(info, 0, "group", &group) || !ReadU64(info, 1, "attr", &attr)) return Napi::Value();
  int fd = FdFor(env, "KVM_HAS_DEVICE_ATTR", true);
  if (fd < 0) return Napi::Value();
  int err = kvmcaps::HasDeviceAttr(fd, group, attr);
  if (err != 0) return Fail(env, err, "KVM_HAS_DEVICE_ATTR");
  return Napi::Boolean::New(env, true);
}

Napi::Value KvmHandle::GetDeviceAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t group;
  uint64_t attr;
  if (!ReadU32(info, 0, "group", &group) || !ReadU64(info, 1, "attr", &attr)) return Napi::Value();
  int fd = FdFor(env, "KVM_GET_DEVICE_ATTR", true);
  if (fd < 0) return Napi::Value();
  uint64_t value = 0;
  int err = kvmcaps::GetDeviceAttr(fd, group, attr, &value);
  if (err != 0) return Fail(env, err, "KVM_GET_DEVICE_ATTR");
  return Napi::BigInt::New(env, value);
}

// KVM_CREATE_VM: the kernel returns the VM fd with O_CLOEXEC already set
// (kvm_dev_ioctl_create_vm), and closing it destroys the VM.
Napi::Value KvmHandle::CreateVm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t type;
  if (!ReadU32(info, 0, "type", &type)) return Napi::Value();
  int fd = FdFor(env, "KVM_CREATE_VM", true);
  if (fd < 0) return Napi::Value();
  int vm_fd = -1;
  int err = IoctlInt(fd, abi::kKvmCreateVm, type, &vm_fd);
  if (err != 0) return Fail(env, err, "KVM_CREATE_VM");
  return NewHandle(env, PendingFd{vm_fd, Kind::kVm, type, path_, false});
}

}  // namespace kvmcaps
