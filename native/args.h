// Argument checks shared by every native function. On failure each throws a TypeError
// (ERR_INVALID_ARG_TYPE) or RangeError (ERR_OUT_OF_RANGE) in Node's wording and
// returns false.
#ifndef KVM_CAPS_NATIVE_ARGS_H_
#define KVM_CAPS_NATIVE_ARGS_H_

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kvm_abi.h"

namespace kvmcaps {

// The same checks on a value already in hand (an object's property); `name` is the
// field's name in error messages ("params.xfam"). A message is only built on failure:
// the success path allocates nothing.
bool ReadU32Value(Napi::Env env, Napi::Value value, const char* name, uint32_t* out);
bool ReadU64Value(Napi::Env env, Napi::Value value, const char* name, uint64_t* out);
// An array of { function, index, flags, eax, ebx, ecx, edx } objects, at most `max` long.
bool ReadCpuidEntries(Napi::Env env, Napi::Value value, const char* name, size_t max,
                      std::vector<abi::CpuidEntry2>* out);

bool ReadString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out);
bool ReadObject(const Napi::CallbackInfo& info, size_t i, const char* name, Napi::Object* out);
bool ReadU32(const Napi::CallbackInfo& info, size_t i, const char* name, uint32_t* out);
// Accepts a non-negative safe-integer number or a BigInt below 2^64.
bool ReadU64(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t* out);
// Accepts a Uint32Array or an array of u32 numbers, at most `max` long.
bool ReadU32List(const Napi::CallbackInfo& info, size_t i, const char* name, size_t max, std::vector<uint32_t>* out);

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_ARGS_H_
