// A device handle owns one file descriptor: /dev/kvm (a 'system' handle), a VM created
// from it ('vm'), or /dev/sev ('sev'). JavaScript holds it as an External whose finalizer
// closes the fd if the program did not; lib/native/handle.ts keeps that External in a
// private field. Each request is a plain function taking the handle as its first
// argument, and issues exactly one kind of read-only request; which requests a handle
// accepts depends on its kind, as in the kernel's documentation (system ioctls on
// /dev/kvm, vm ioctls on a VM fd, SEV_ISSUE_CMD on /dev/sev). Closing a VM handle
// destroys the VM.
//
// There is no ObjectWrap: napi_unwrap, which checking a wrapped `this` needs, runs a
// preamble (a TryCatch and a private-symbol lookup) worth a quarter of a checkExtension
// call, while an External is checked without one.
#ifndef KVM_CAPS_NATIVE_DEVICE_HANDLE_H_
#define KVM_CAPS_NATIVE_DEVICE_HANDLE_H_

#include <napi.h>

#include "addon.h"

namespace kvmcaps {

// Sets the handle functions on `bindings`, each with `data` as its callback data:
//   openKvm(path): opens the device O_RDWR | O_CLOEXEC and returns a system handle.
//   openSev(path): opens the device O_RDONLY | O_CLOEXEC, so the kernel itself refuses
//     every command that needs a writable fd (all that change platform state).
//   close(h), isClosed(h), and one function per request: apiVersion(h), checkExtension(h, cap),
//   ..., createVm(h, type) (which returns a VM handle), sevGetId2(h).
void DefineHandleFunctions(Napi::Env env, Napi::Object bindings, AddonData* data);

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_DEVICE_HANDLE_H_
