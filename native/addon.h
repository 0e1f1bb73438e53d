// Per-environment state of the addon. Each main thread or worker that loads the addon
// gets its own AddonData through Napi::Env instance data; nothing is static.
#ifndef KVM_CAPS_NATIVE_ADDON_H_
#define KVM_CAPS_NATIVE_ADDON_H_

#include <napi.h>

#include <memory>
#include <string>
#include <unordered_set>

namespace kvmcaps {

// The handles alive in one environment. A function looks up the pointer of the External
// it is given here before dereferencing it: an External made by another addon, or by
// another copy of this one, holds a pointer to something else. Shared with each handle,
// so it outlives whichever of AddonData and the last handle is finalized last.
struct LiveHandles {
  std::unordered_set<const void*> set;
};

struct AddonData {
  std::shared_ptr<LiveHandles> live = std::make_shared<LiveHandles>();
  // lib/errors.ts's factory, handed over by init(): (errno, syscall, request, path) => Error.
  Napi::FunctionReference make_error;
};

// The Node-style error lib/native/errors.ts builds for a failed system call. `request`
// may be null (open); `extra` (optional) adds fields such as hwError or firmwareError.
// Returns an empty value if building it threw.
Napi::Value MakeSystemError(Napi::Env env, int err, const char* syscall, const char* request, const std::string& path,
                            Napi::Object extra = Napi::Object());

// Throws MakeSystemError's error. Returns an empty value for the caller to return.
Napi::Value ThrowSystemError(Napi::Env env, int err, const char* syscall, const char* request, const std::string& path,
                             Napi::Object extra = Napi::Object());

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_ADDON_H_
