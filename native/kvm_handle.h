// KvmHandle owns one file descriptor: either /dev/kvm (a system handle) or a VM created
// from it. Each method issues exactly one kind of read-only request; which requests a
// handle accepts depends on its kind, as in the kernel's documentation (system ioctls on
// /dev/kvm, vm ioctls on a VM fd). Closing a VM handle destroys the VM.
#ifndef KVM_CAPS_NATIVE_KVM_HANDLE_H_
#define KVM_CAPS_NATIVE_KVM_HANDLE_H_

#include <napi.h>

#include <cstdint>
#include <string>

namespace kvmcaps {

class KvmHandle : public Napi::ObjectWrap<KvmHandle> {
 public:
  enum class Kind { kSystem, kVm };

  static Napi::Function DefineClass(Napi::Env env);
  // openKvm(path): opens the device O_RDWR | O_CLOEXEC and returns a system handle.
  static Napi::Value Open(const Napi::CallbackInfo& info);

  explicit KvmHandle(const Napi::CallbackInfo& info);
  ~KvmHandle() override;

 private:
  // Returns the open fd, or throws (EBADF after close, TypeError for the wrong kind of
  // handle) and returns -1. The fd number is never used again once closed.
  int FdFor(Napi::Env env, const char* request, bool system_only);
  Napi::Value Fail(Napi::Env env, int err, const char* request);

  // Methods live on the prototype behind Dispatch, which checks that `this` is a
  // KvmHandle (by type tag) before unwrapping it.
  template <Napi::Value (KvmHandle::*Method)(const Napi::CallbackInfo&)>
  static Napi::Value Dispatch(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);

  Napi::Value ApiVersion(const Napi::CallbackInfo& info);
  Napi::Value CheckExtension(const Napi::CallbackInfo& info);
  Napi::Value CheckExtensions(const Napi::CallbackInfo& info);
  Napi::Value VcpuMmapSize(const Napi::CallbackInfo& info);
  Napi::Value SupportedCpuid(const Napi::CallbackInfo& info);
  Napi::Value EmulatedCpuid(const Napi::CallbackInfo& info);
  Napi::Value MsrIndexList(const Napi::CallbackInfo& info);
  Napi::Value MsrFeatureIndexList(const Napi::CallbackInfo& info);
  Napi::Value GetMsrs(const Napi::CallbackInfo& info);
  Napi::Value HasDeviceAttr(const Napi::CallbackInfo& info);
  Napi::Value GetDeviceAttr(const Napi::CallbackInfo& info);
  Napi::Value CreateVm(const Napi::CallbackInfo& info);

  Napi::Value Cpuid(const Napi::CallbackInfo& info, unsigned long request, const char* name);
  Napi::Value MsrList(const Napi::CallbackInfo& info, unsigned long request, const char* name);

  int fd_ = -1;
  Kind kind_ = Kind::kSystem;
  uint32_t vm_type_ = 0;
  std::string path_;
};

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_KVM_HANDLE_H_
