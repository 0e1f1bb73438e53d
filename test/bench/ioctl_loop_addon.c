/*
 * The C baseline run inside the benchmark's own node process: the loops of ioctl_loop.c,
 * as a tiny addon of the benchmark (not of kvm-caps). A node process has
 * several threads and a large address space, and the kernel charges its ioctls for that;
 * this loop pays the same, so the addon's call can be put against the bare ioctl as this
 * very process gets it.
 *
 *   loop(path, count, caps) -> ns per iteration of one KVM_CHECK_EXTENSION per element of
 *                              caps (a Uint32Array), after count/10 iterations to warm up
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static napi_value Loop(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char path[4096];
  size_t path_length = 0;
  uint32_t count = 0;
  napi_typedarray_type type;
  size_t ncaps = 0;
  void* data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_length) != napi_ok ||
      path_length >= sizeof path - 1 ||
      napi_get_value_uint32(env, argv[1], &count) != napi_ok || count == 0 ||
      napi_get_typedarray_info(env, argv[2], &type, &ncaps, &data, NULL, NULL) != napi_ok ||
      type != napi_uint32_array) {
    napi_throw_type_error(env, NULL, "loop(path: string, count: number > 0, caps: Uint32Array)");
    return NULL;
  }
  const uint32_t* caps = data;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    napi_throw_error(env, NULL, "loop: cannot open the device");
    return NULL;
  }
  // Failures are counted, not checked in the loop, as the addon's batch does; a device that
  // is not KVM (every call failing) is refused below rather than timed.
  long failed = 0;
  for (uint32_t i = 0; i < count / 10; i++)
    for (size_t k = 0; k < ncaps; k++) failed += ioctl(fd, KVM_CHECK_EXTENSION, (unsigned long)caps[k]) < 0;
  uint64_t start = now_ns();
  for (uint32_t i = 0; i < count; i++)
    for (size_t k = 0; k < ncaps; k++) failed += ioctl(fd, KVM_CHECK_EXTENSION, (unsigned long)caps[k]) < 0;
  uint64_t elapsed = now_ns() - start;
  close(fd);
  if (ncaps > 0 && failed == ((long)count + count / 10) * (long)ncaps) {
    napi_throw_error(env, NULL, "loop: every KVM_CHECK_EXTENSION failed: not a KVM device?");
    return NULL;
  }
  napi_value result = NULL;
  napi_create_double(env, (double)elapsed / count, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "loop", NAPI_AUTO_LENGTH, Loop, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "loop", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
