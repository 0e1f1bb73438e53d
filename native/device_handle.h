// DeviceHandle owns one file descriptor: /dev/kvm (a 'system' handle), a VM created from
// it ('vm'), or /dev/sev ('sev'). Each method issues exactly one kind of read-only
// request; which requests a handle accepts depends on its kind, as in the kernel's
// documentation (system ioctls on /dev/kvm, vm ioctls on a VM fd, SEV_ISSUE_CMD on
// /dev/sev). Closing a VM handle destroys the VM.
#ifndef KVM_CAPS_NATIVE_DEVICE_HANDLE_H_
#define KVM_CAPS_NATIVE_DEVICE_HANDLE_H_

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>

#include "addon.h"

namespace kvmcaps {

class DeviceHandle : public Napi::ObjectWrap<DeviceHandle> {
 public:
  enum class Kind { kSystem = 1, kVm = 2, kSev = 4 };

  static Napi::Function DefineClass(Napi::Env env);
  // openKvm(path): opens the device O_RDWR | O_CLOEXEC and returns a system handle.
  static Napi::Value OpenKvm(const Napi::CallbackInfo& info);
  // openSev(path): opens the device O_RDONLY | O_CLOEXEC, so the kernel itself refuses
  // every command that needs a writable fd (all that change platform state).
  static Napi::Value OpenSev(const Napi::CallbackInfo& info);

  explicit DeviceHandle(const Napi::CallbackInfo& info);
  ~DeviceHandle() override;

 private:
  // Returns the open fd, or throws (EBADF after close, TypeError for a kind of handle not
  // in `kinds`, a mask of Kind values) and returns -1. A closed fd number is never reused.
  int FdFor(Napi::Env env, const char* request, int kinds);
  Napi::Value Fail(Napi::Env env, int err, const char* request);

  // Methods live on the prototype behind Dispatch, which checks that `this` is a live
  // DeviceHandle of this environment before using it.
  template <Napi::Value (DeviceHandle::*Method)(const Napi::CallbackInfo&)>
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
  Napi::Value TdxCapabilities(const Napi::CallbackInfo& info);
  Napi::Value TdxInitVm(const Napi::CallbackInfo& info);
  Napi::Value SevInit2(const Napi::CallbackInfo& info);
  Napi::Value SevPlatformStatus(const Napi::CallbackInfo& info);
  Napi::Value SnpPlatformStatus(const Napi::CallbackInfo& info);
  Napi::Value SevGetId2(const Napi::CallbackInfo& info);

  Napi::Value Cpuid(const Napi::CallbackInfo& info, unsigned long request, const char* name);
  Napi::Value MsrList(const Napi::CallbackInfo& info, unsigned long request, const char* name);
  // Queues one /dev/sev command on the thread pool (firmware commands can take long) and
  // returns its promise.
  Napi::Value SevCommand(const Napi::CallbackInfo& info, uint32_t command, const char* name);

  int fd_ = -1;
  std::shared_ptr<LiveHandles> live_;
  Kind kind_ = Kind::kSystem;
  uint32_t vm_type_ = 0;
  std::string path_;
};

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_DEVICE_HANDLE_H_
