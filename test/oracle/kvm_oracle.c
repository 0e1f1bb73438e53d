/*
 * Independent oracle for test/native-kvm.test.ts. It asks the kernel the same questions
 * as the addon, but through the system's own <linux/kvm.h> (Debian 12: Linux 6.1 UAPI)
 * and with fixed, oversized buffers (no E2BIG growth logic), so it shares no code and no
 * struct definitions with native/.
 *
 * Usage: kvm_oracle DEVICE   (e.g. /dev/kvm)
 * Prints one JSON document on stdout: apiVersion, vcpuMmapSize, KVM_CHECK_EXTENSION 0..299
 * on the system fd ("system") and on a KVM_CREATE_VM(0) fd ("vm"), supported/emulated
 * CPUID, both MSR index lists, KVM_GET_MSRS of the feature list ("featureMsrs"),
 * KVM_X86_XCOMP_GUEST_SUPP, KVM_HAS/GET_DEVICE_ATTR probes and KVM_CREATE_VM(1..5).
 * A failed request is reported as a negative errno (a number) where a value or an array
 * would be. u64 values are decimal strings.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CAP_COUNT 300
#define CPUID_ENTRIES 1024
#define MSR_LIST_ENTRIES 8192
#define MAX_VM_TYPE 5

static int xioctl(int fd, unsigned long request, unsigned long arg) {
  int r;
  do {
    r = ioctl(fd, request, arg);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

static void print_caps(int fd) {
  printf("[");
  for (int cap = 0; cap < CAP_COUNT; cap++) {
    printf("%s%d", cap ? "," : "", xioctl(fd, KVM_CHECK_EXTENSION, (unsigned long)cap));
  }
  printf("]");
}

static void print_cpuid(int fd, unsigned long request) {
  size_t size = sizeof(struct kvm_cpuid2) + CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2);
  struct kvm_cpuid2 *cpuid = calloc(1, size);
  if (cpuid == NULL) abort();
  cpuid->nent = CPUID_ENTRIES;
  int r = xioctl(fd, request, (unsigned long)cpuid);
  if (r < 0) {
    printf("%d", r);
  } else {
    printf("[");
    for (uint32_t i = 0; i < cpuid->nent; i++) {
      const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
      printf("%s{\"function\":%" PRIu32 ",\"index\":%" PRIu32 ",\"flags\":%" PRIu32 ",\"eax\":%" PRIu32
             ",\"ebx\":%" PRIu32 ",\"ecx\":%" PRIu32 ",\"edx\":%" PRIu32 "}",
             i ? "," : "", e->function, e->index, e->flags, e->eax, e->ebx, e->ecx, e->edx);
    }
    printf("]");
  }
  free(cpuid);
}

/* Returns the list (caller frees) or NULL with *err set to the negative errno. */
static struct kvm_msr_list *get_msr_list(int fd, unsigned long request, int *err) {
  struct kvm_msr_list *list = calloc(1, sizeof(struct kvm_msr_list) + MSR_LIST_ENTRIES * sizeof(uint32_t));
  if (list == NULL) abort();
  list->nmsrs = MSR_LIST_ENTRIES;
  int r = xioctl(fd, request, (unsigned long)list);
  if (r < 0) {
    free(list);
    *err = r;
    return NULL;
  }
  return list;
}

static void print_msr_list(const struct kvm_msr_list *list, int err) {
  if (list == NULL) {
    printf("%d", err);
    return;
  }
  printf("[");
  for (uint32_t i = 0; i < list->nmsrs; i++) printf("%s%" PRIu32, i ? "," : "", list->indices[i]);
  printf("]");
}

static void print_feature_msrs(int fd, const struct kvm_msr_list *features, int list_err) {
  if (features == NULL) {
    printf("%d", list_err);
    return;
  }
  struct kvm_msrs *msrs = calloc(1, sizeof(struct kvm_msrs) + features->nmsrs * sizeof(struct kvm_msr_entry));
  if (msrs == NULL) abort();
  msrs->nmsrs = features->nmsrs;
  for (uint32_t i = 0; i < features->nmsrs; i++) msrs->entries[i].index = features->indices[i];
  int r = xioctl(fd, KVM_GET_MSRS, (unsigned long)msrs);
  if (r < 0) {
    printf("%d", r);
  } else {
    printf("{\"count\":%d,\"values\":[", r);
    for (int i = 0; i < r; i++) printf("%s\"%" PRIu64 "\"", i ? "," : "", (uint64_t)msrs->entries[i].data);
    printf("]}");
  }
  free(msrs);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DEVICE\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }

  printf("{\"apiVersion\":%d", xioctl(fd, KVM_GET_API_VERSION, 0));
  printf(",\"vcpuMmapSize\":%d", xioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0));

  printf(",\"system\":");
  print_caps(fd);

  int vm = xioctl(fd, KVM_CREATE_VM, 0);
  printf(",\"createVm0\":%s,\"vm\":", vm >= 0 ? "true" : "false");
  if (vm >= 0) {
    print_caps(vm);
    close(vm);
  } else {
    printf("%d", vm);
  }

  printf(",\"supportedCpuid\":");
  print_cpuid(fd, KVM_GET_SUPPORTED_CPUID);
  printf(",\"emulatedCpuid\":");
  print_cpuid(fd, KVM_GET_EMULATED_CPUID);

  int err = 0;
  struct kvm_msr_list *list = get_msr_list(fd, KVM_GET_MSR_INDEX_LIST, &err);
  printf(",\"msrIndexList\":");
  print_msr_list(list, err);
  free(list);

  int feature_err = 0;
  struct kvm_msr_list *features = get_msr_list(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &feature_err);
  printf(",\"msrFeatureIndexList\":");
  print_msr_list(features, feature_err);
  printf(",\"featureMsrs\":");
  print_feature_msrs(fd, features, feature_err);
  free(features);

  uint64_t xcomp = 0;
  struct kvm_device_attr attr = {0};
  attr.group = 0;
  attr.attr = KVM_X86_XCOMP_GUEST_SUPP;
  attr.addr = (uint64_t)(uintptr_t)&xcomp;
  int r = xioctl(fd, KVM_GET_DEVICE_ATTR, (unsigned long)&attr);
  if (r < 0) {
    printf(",\"xcompGuestSupp\":%d", r);
  } else {
    printf(",\"xcompGuestSupp\":\"%" PRIu64 "\"", xcomp);
  }

  /* KVM_HAS_DEVICE_ATTR / KVM_GET_DEVICE_ATTR probes: 0 or the negative errno. */
  struct kvm_device_attr probe = {0};
  probe.group = 0;
  probe.attr = KVM_X86_XCOMP_GUEST_SUPP;
  printf(",\"deviceAttrProbes\":{\"has_0_0\":%d", xioctl(fd, KVM_HAS_DEVICE_ATTR, (unsigned long)&probe));
  probe.group = 1;
  printf(",\"has_1_0\":%d", xioctl(fd, KVM_HAS_DEVICE_ATTR, (unsigned long)&probe));
  probe.group = 0;
  probe.attr = 99;
  probe.addr = (uint64_t)(uintptr_t)&xcomp;
  printf(",\"get_0_99\":%d}", xioctl(fd, KVM_GET_DEVICE_ATTR, (unsigned long)&probe));

  /* For each type: 0 when KVM_CREATE_VM accepted it (the VM is closed at once), else -errno. */
  printf(",\"createVmTypes\":{");
  for (int type = 1; type <= MAX_VM_TYPE; type++) {
    int t = xioctl(fd, KVM_CREATE_VM, (unsigned long)type);
    if (t >= 0) close(t);
    printf("%s\"%d\":%d", type > 1 ? "," : "", type, t >= 0 ? 0 : t);
  }
  printf("}}\n");

  close(fd);
  return 0;
}
