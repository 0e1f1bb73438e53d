// Per-environment state of the addon. Each main thread or worker that loads the addon
// gets its own AddonData through Napi::Env instance data; nothing is static.
#ifndef KVM_CAPS_NATIVE_ADDON_H_
#define KVM_CAPS_NATIVE_ADDON_H_

#include <napi.h>

#include <string>

namespace kvmcaps {

struct AddonData {
  // lib/errors.ts's factory, handed over by init(): (errno, syscall, request, path) => Error.
  Napi::FunctionReference make_error;
  Napi::FunctionReference handle_ctor;
};

// Throws the Node-style error that lib/errors.ts builds for a failed system call.
// `request` may be null (open). Returns an empty value for the caller to return.
Napi::Value ThrowSystemError(Napi::Env env, int err, const char* syscall, const char* request,
                             const std::string& path);

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_ADDON_H_
