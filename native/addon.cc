// Entry point. The module exports one function, init(makeError), which takes the error
// factory from lib/errors.ts and returns the bindings; so no native call can fail before
// it knows how to report a failure.
#include "addon.h"

#include "device_handle.h"

namespace kvmcaps {

Napi::Value MakeSystemError(Napi::Env env, int err, const char* syscall, const char* request, const std::string& path,
                            Napi::Object extra) {
  AddonData* data = env.GetInstanceData<AddonData>();
  Napi::Value error = data->make_error.Call({
      Napi::Number::New(env, err),
      Napi::String::New(env, syscall),
      request != nullptr ? Napi::String::New(env, request) : env.Undefined(),
      Napi::String::New(env, path),
      extra.IsEmpty() ? env.Undefined() : static_cast<Napi::Value>(extra),
  });
  if (env.IsExceptionPending()) return Napi::Value();
  return error;
}

Napi::Value ThrowSystemError(Napi::Env env, int err, const char* syscall, const char* request, const std::string& path,
                             Napi::Object extra) {
  Napi::Value error = MakeSystemError(env, err, syscall, request, path, extra);
  if (!error.IsEmpty()) Napi::Error(env, error).ThrowAsJavaScriptException();
  return Napi::Value();
}

namespace {

Napi::Value InitBindings(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) {
    Napi::TypeError error = Napi::TypeError::New(env, "The \"makeError\" argument must be of type function");
    error.Set("code", "ERR_INVALID_ARG_TYPE");
    error.ThrowAsJavaScriptException();
    return Napi::Value();
  }
  AddonData* data = env.GetInstanceData<AddonData>();
  data->make_error = Napi::Persistent(info[0].As<Napi::Function>());
  Napi::Object bindings = Napi::Object::New(env);
  DefineHandleFunctions(env, bindings, data);
  return bindings;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // Deleted with the environment.
  exports.Set("init", Napi::Function::New(env, InitBindings, "init"));
  return exports;
}

}  // namespace kvmcaps

// NODE_API_MODULE needs an unqualified name.
static Napi::Object InitKvmCaps(Napi::Env env, Napi::Object exports) { return kvmcaps::Init(env, exports); }
NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitKvmCaps)
