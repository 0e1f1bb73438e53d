/*
 * The C baseline of test/bench/run.ts: KVM_CHECK_EXTENSION in a tight loop, timed with
 * clock_gettime(CLOCK_MONOTONIC), so the addon's per-call cost can be put against the
 * bare ioctl in the same process tree.
 *
 *   ioctl_loop <count> single <cap>          count ioctls of one capability;
 *                                            prints the ns per call
 *   ioctl_loop <count> batch <cap> [cap...]  count iterations of one ioctl per cap given;
 *                                            prints the ns per iteration (the whole batch)
 *   modes single-mt and batch-mt             the same, from a process with one more (idle)
 *                                            thread, as node always has: its fd table is
 *                                            then shared, and the kernel's fdget() takes
 *                                            and drops a reference on the file per ioctl
 *                                            (the single-threaded fast path skips that)
 *
 * Options: KVM_CAPS_BENCH_DEVICE (default /dev/kvm). A failed ioctl is counted and
 * reported on stderr but does not stop the loop: the addon's batch does the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void* idle_thread(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static unsigned long parse_ul(const char* text, const char* what) {
  char* end = NULL;
  errno = 0;
  unsigned long value = strtoul(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0') {
    fprintf(stderr, "ioctl_loop: bad %s: %s\n", what, text);
    exit(2);
  }
  return value;
}

int main(int argc, char** argv) {
  const char* mode = argc >= 3 ? argv[2] : "";
  int batch = strncmp(mode, "batch", 5) == 0;
  int threaded = strcmp(mode, "single-mt") == 0 || strcmp(mode, "batch-mt") == 0;
  if (argc < 4 || (!threaded && strcmp(mode, "single") != 0 && strcmp(mode, "batch") != 0)) {
    fprintf(stderr, "usage: ioctl_loop <count> single|single-mt <cap> | ioctl_loop <count> batch|batch-mt <cap>...\n");
    return 2;
  }
  unsigned long count = parse_ul(argv[1], "count");
  size_t ncaps = (size_t)(argc - 3);
  if (!batch && ncaps != 1) {
    fprintf(stderr, "ioctl_loop: single mode takes exactly one cap\n");
    return 2;
  }
  unsigned long* caps = calloc(ncaps, sizeof *caps);
  if (caps == NULL) return 1;
  for (size_t i = 0; i < ncaps; i++) caps[i] = parse_ul(argv[3 + i], "cap");

  if (threaded) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, idle_thread, NULL) != 0) {
      fprintf(stderr, "ioctl_loop: pthread_create failed\n");
      return 1;
    }
  }

  const char* device = getenv("KVM_CAPS_BENCH_DEVICE");
  if (device == NULL || *device == '\0') device = "/dev/kvm";
  int fd = open(device, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "ioctl_loop: open %s: %s\n", device, strerror(errno));
    return 1;
  }

  /* Results go into a volatile sink so the compiler cannot drop the loop. */
  volatile int sink = 0;
  unsigned long failures = 0;
  /* A short warm-up, as the JavaScript side gets. */
  for (unsigned long n = 0; n < count / 10 + 1; n++) {
    for (size_t i = 0; i < ncaps; i++) sink += ioctl(fd, KVM_CHECK_EXTENSION, caps[i]);
  }
  uint64_t start = now_ns();
  if (batch) {
    for (unsigned long n = 0; n < count; n++) {
      for (size_t i = 0; i < ncaps; i++) {
        int r = ioctl(fd, KVM_CHECK_EXTENSION, caps[i]);
        if (r < 0) failures++;
        sink += r;
      }
    }
  } else {
    unsigned long cap = caps[0];
    for (unsigned long n = 0; n < count; n++) {
      int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
      if (r < 0) failures++;
      sink += r;
    }
  }
  uint64_t elapsed = now_ns() - start;
  close(fd);
  free(caps);
  if (failures > 0) fprintf(stderr, "ioctl_loop: %lu failed ioctls\n", failures);
  printf("%.3f\n", count == 0 ? 0.0 : (double)elapsed / (double)count);
  (void)sink;
  return 0;
}
