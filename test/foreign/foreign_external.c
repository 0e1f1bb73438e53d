/*
 * Another addon, for test/native-errors.test.ts: external(address) returns an External
 * holding any pointer asked for (null, a small number, an unmapped address), so the test
 * can hand kvm-caps Externals it did not make. kvm-caps must refuse them without reading
 * through the pointer; dereferencing any of these would crash the process.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>

static napi_value External(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double address = 0;
  napi_value result = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_double(env, argv[0], &address) != napi_ok ||
      napi_create_external(env, (void*)(uintptr_t)address, NULL, NULL, &result) != napi_ok) {
    napi_throw_type_error(env, NULL, "external(address: number)");
    return NULL;
  }
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "external", NAPI_AUTO_LENGTH, External, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "external", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
