#include "args.h"

#include <cmath>

namespace kvmcaps {
namespace {

const char* TypeName(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "boolean";
    case napi_number:
      return "number";
    case napi_string:
      return "string";
    case napi_symbol:
      return "symbol";
    case napi_object:
      return "object";
    case napi_function:
      return "function";
    case napi_external:
      return "external";
    case napi_bigint:
      return "bigint";
  }
  return "unknown";
}

bool Fail(Napi::Env env, bool range, const std::string& message) {
  Napi::Error error = range ? static_cast<Napi::Error>(Napi::RangeError::New(env, message))
                            : static_cast<Napi::Error>(Napi::TypeError::New(env, message));
  error.Set("code", range ? "ERR_OUT_OF_RANGE" : "ERR_INVALID_ARG_TYPE");
  error.ThrowAsJavaScriptException();
  return false;
}

bool WrongValueType(Napi::Env env, Napi::Value value, const char* name, const char* expected) {
  return Fail(env, false,
              std::string("The \"") + name + "\" argument must be " + expected + ". Received type " + TypeName(value));
}

bool WrongType(const Napi::CallbackInfo& info, size_t i, const char* name, const char* expected) {
  return WrongValueType(info.Env(), info[i], name, expected);
}

bool OutOfRange(Napi::Env env, const char* name, const std::string& range) {
  return Fail(env, true, std::string("The value of \"") + name + "\" is out of range. It must be " + range + ".");
}

std::string MaxLength(size_t max) { return "at most " + std::to_string(max) + " elements long"; }

constexpr const char* kU32Range = "an integer >= 0 and <= 4294967295";

bool IsU32(double d) { return std::isfinite(d) && std::trunc(d) == d && d >= 0 && d <= 4294967295.0; }

bool NumberToU32(Napi::Env env, double d, const char* name, uint32_t* out) {
  if (!IsU32(d)) return OutOfRange(env, name, kU32Range);
  *out = static_cast<uint32_t>(d);
  return true;
}

}  // namespace

bool ReadString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (!info[i].IsString()) return WrongType(info, i, name, "of type string");
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    return Fail(info.Env(), false, std::string("The \"") + name + "\" argument must not contain null bytes");
  }
  return true;
}

bool ReadObject(const Napi::CallbackInfo& info, size_t i, const char* name, Napi::Object* out) {
  if (!info[i].IsObject() || info[i].IsArray()) return WrongType(info, i, name, "of type object");
  *out = info[i].As<Napi::Object>();
  return true;
}

bool ReadU32Value(Napi::Env env, Napi::Value value, const char* name, uint32_t* out) {
  double d;
  // One call instead of napi_typeof then napi_get_value_double: it fails for a non-number.
  if (napi_get_value_double(env, value, &d) != napi_ok) return WrongValueType(env, value, name, "of type number");
  return NumberToU32(env, d, name, out);
}

bool ReadU64Value(Napi::Env env, Napi::Value value, const char* name, uint64_t* out) {
  constexpr const char* kRange = "an integer >= 0 and < 2n ** 64n";
  if (value.IsBigInt()) {
    int sign = 0;
    size_t words = 1;
    uint64_t word = 0;
    // ToWords reports the sign and word count, so negative and wider values are caught.
    value.As<Napi::BigInt>().ToWords(&sign, &words, &word);
    if (sign != 0 || words > 1) return OutOfRange(env, name, kRange);
    *out = word;
    return true;
  }
  if (!value.IsNumber()) return WrongValueType(env, value, name, "of type number or bigint");
  double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < 0 || d > 9007199254740991.0) {
    return OutOfRange(env, name, kRange);
  }
  *out = static_cast<uint64_t>(d);
  return true;
}

bool ReadU32(const Napi::CallbackInfo& info, size_t i, const char* name, uint32_t* out) {
  return ReadU32Value(info.Env(), info[i], name, out);
}

bool ReadU64(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t* out) {
  return ReadU64Value(info.Env(), info[i], name, out);
}

bool ReadCpuidEntries(Napi::Env env, Napi::Value value, const char* name, size_t max,
                      std::vector<abi::CpuidEntry2>* out) {
  if (!value.IsArray()) return WrongValueType(env, value, name, "an instance of Array");
  Napi::Array array = value.As<Napi::Array>();
  if (array.Length() > max) return OutOfRange(env, name, MaxLength(max));
  out->assign(array.Length(), abi::CpuidEntry2{});
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value element = array.Get(k);
    if (env.IsExceptionPending()) return false;
    std::string element_name = std::string(name) + "[" + std::to_string(k) + "]";
    if (!element.IsObject()) return WrongValueType(env, element, element_name.c_str(), "of type object");
    Napi::Object entry = element.As<Napi::Object>();
    abi::CpuidEntry2& e = (*out)[k];
    const std::pair<const char*, uint32_t*> fields[] = {
        {"function", &e.function}, {"index", &e.index}, {"flags", &e.flags}, {"eax", &e.eax},
        {"ebx", &e.ebx},           {"ecx", &e.ecx},     {"edx", &e.edx},
    };
    for (const auto& [field, slot] : fields) {
      Napi::Value v = entry.Get(field);
      if (env.IsExceptionPending()) return false;
      if (!ReadU32Value(env, v, (element_name + "." + field).c_str(), slot)) return false;
    }
  }
  return true;
}

bool ReadU32List(const Napi::CallbackInfo& info, size_t i, const char* name, size_t max, std::vector<uint32_t>* out) {
  Napi::Env env = info.Env();
  if (info[i].IsTypedArray() && info[i].As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array) {
    Napi::Uint32Array array = info[i].As<Napi::Uint32Array>();
    if (array.ElementLength() > max) return OutOfRange(env, name, MaxLength(max));
    out->assign(array.Data(), array.Data() + array.ElementLength());
    return true;
  }
  if (!info[i].IsArray()) return WrongType(info, i, name, "an instance of Uint32Array or Array");
  Napi::Array array = info[i].As<Napi::Array>();
  uint32_t length = array.Length();
  if (length > max) return OutOfRange(env, name, MaxLength(max));
  out->resize(length);
  for (uint32_t k = 0; k < length; k++) {
    Napi::Value element = array.Get(k);
    if (env.IsExceptionPending()) return false;
    double d = 0;
    if (napi_get_value_double(env, element, &d) == napi_ok && IsU32(d)) {
      (*out)[k] = static_cast<uint32_t>(d);
      continue;
    }
    std::string element_name = std::string(name) + "[" + std::to_string(k) + "]";
    if (!element.IsNumber()) return WrongValueType(env, element, element_name.c_str(), "of type number");
    return OutOfRange(env, element_name.c_str(), kU32Range);
  }
  return true;
}

}  // namespace kvmcaps
