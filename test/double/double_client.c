/*
 * A tiny client of the kernel double (test/double/kernel_double.c), for test/double.test.ts.
 * Compiled against the Linux 7.2 UAPI headers; it shares no code with native/. Each mode
 * issues a fixed sequence of requests and prints one JSON document on stdout. A failed
 * request is reported by its errno name ("E2BIG"), success as "0".
 *
 *   double_client tdx KVM START_NENT REJECT_ATTRS OK_ATTRS
 *   double_client sev-init2 KVM TYPE VMSA_FEATURES
 *   double_client sev SEV
 *   double_client intel-vm KVM
 *   double_client dup KVM
 *   double_client forbidden SEV CMD          (the double must abort)
 *   double_client unknown KVM                (the double must abort)
 *   double_client after-close KVM            (the double must abort)
 *   double_client null-cpuid KVM             (the double must abort)
 *   double_client real KVM                   (an untracked device: passes through)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/psp-sev.h>

static const char *err_name(int r) {
  if (r >= 0) return "0";
  if (errno == 524) return "ENOTSUPP"; /* kernel-internal, include/linux/errno.h */
  const char *name = strerrorname_np(errno);
  return name ? name : "E?";
}

static int must_open(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) {
    printf("{\"open\":\"%s\"}\n", err_name(-1));
    exit(0);
  }
  return fd;
}

static void print_entries(const struct kvm_cpuid_entry2 *e, uint32_t n) {
  printf("[");
  for (uint32_t i = 0; i < n; i++) {
    printf("%s{\"function\":%" PRIu32 ",\"index\":%" PRIu32 ",\"flags\":%" PRIu32 ",\"eax\":%" PRIu32 ",\"ebx\":%" PRIu32
           ",\"ecx\":%" PRIu32 ",\"edx\":%" PRIu32 "}",
           i ? "," : "", e[i].function, e[i].index, e[i].flags, e[i].eax, e[i].ebx, e[i].ecx, e[i].edx);
  }
  printf("]");
}

/* ------------------------------------------------------------------ TDX */

static struct kvm_tdx_capabilities *tdx_caps(int vm, uint32_t start) {
  uint32_t nent = start;
  printf("\"attempts\":[");
  for (int attempt = 0;; attempt++) {
    struct kvm_tdx_capabilities *caps = calloc(1, sizeof(*caps) + nent * sizeof(struct kvm_cpuid_entry2));
    if (caps == NULL) abort();
    caps->cpuid.nent = nent;
    struct kvm_tdx_cmd cmd = {.id = KVM_TDX_CAPABILITIES, .data = (uintptr_t)caps};
    int r = ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &cmd);
    int e = errno;
    printf("%s{\"nent\":%" PRIu32 ",\"result\":\"%s\",\"nentAfter\":%" PRIu32 ",\"hwError\":\"0x%llx\"}", attempt ? "," : "",
           nent, err_name(r), caps->cpuid.nent, (unsigned long long)cmd.hw_error);
    if (r < 0 && e == E2BIG && nent < 256) {
      free(caps);
      nent *= 2;
      continue;
    }
    printf("]");
    if (r < 0) {
      free(caps);
      return NULL;
    }
    return caps;
  }
}

static int tdx_init(int vm, const struct kvm_tdx_capabilities *caps, uint64_t attributes, uint32_t nent_override,
                    unsigned long long *hw_error) {
  uint32_t n = caps->cpuid.nent;
  uint32_t alloc = nent_override > n ? nent_override : n;
  struct kvm_tdx_init_vm *init = calloc(1, sizeof(*init) + alloc * sizeof(struct kvm_cpuid_entry2));
  if (init == NULL) abort();
  init->attributes = attributes;
  init->xfam = 0;
  init->cpuid.nent = nent_override ? nent_override : n;
  for (uint32_t i = 0; i < n; i++) {
    init->cpuid.entries[i] = caps->cpuid.entries[i];
    if (init->cpuid.entries[i].function == 0x80000008) {
      /* GPAW 48: CPUID 0x80000008.EAX[23:16] = 48 (tdx.c setup_tdparams_eptp_controls). */
      init->cpuid.entries[i].eax = (init->cpuid.entries[i].eax & ~0xff0000u) | (48u << 16);
    }
  }
  struct kvm_tdx_cmd cmd = {.id = KVM_TDX_INIT_VM, .data = (uintptr_t)init};
  int r = ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &cmd);
  int e = errno;
  *hw_error = cmd.hw_error;
  free(init);
  errno = e;
  return r;
}

static int mode_tdx(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  uint32_t start = (uint32_t)strtoul(argv[3], NULL, 0);
  uint64_t reject = strtoull(argv[4], NULL, 0), accept = strtoull(argv[5], NULL, 0);
  int vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
  if (vm < 0) {
    printf("{\"createVm\":\"%s\"}\n", err_name(vm));
    return 0;
  }
  printf("{\"createVm\":\"0\",\"maxVcpus\":%d,", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
  struct kvm_tdx_capabilities *caps = tdx_caps(vm, start);
  if (caps != NULL) {
    printf(",\"caps\":{\"supportedAttrs\":\"0x%llx\",\"supportedXfam\":\"0x%llx\",\"kernelTdvmcallinfo1R11\":\"0x%llx\","
           "\"userTdvmcallinfo1R11\":\"0x%llx\",\"kernelTdvmcallinfo1R12\":\"0x%llx\",\"userTdvmcallinfo1R12\":\"0x%llx\","
           "\"cpuid\":",
           (unsigned long long)caps->supported_attrs, (unsigned long long)caps->supported_xfam,
           (unsigned long long)caps->kernel_tdvmcallinfo_1_r11, (unsigned long long)caps->user_tdvmcallinfo_1_r11,
           (unsigned long long)caps->kernel_tdvmcallinfo_1_r12, (unsigned long long)caps->user_tdvmcallinfo_1_r12);
    print_entries(caps->cpuid.entries, caps->cpuid.nent);
    printf("}");
  }
  /* flags must be 0 */
  struct kvm_tdx_capabilities *probe = calloc(1, sizeof(*probe) + 256 * sizeof(struct kvm_cpuid_entry2));
  if (probe == NULL) abort();
  probe->cpuid.nent = 256;
  struct kvm_tdx_cmd flagged = {.id = KVM_TDX_CAPABILITIES, .flags = 1, .data = (uintptr_t)probe};
  printf(",\"capsWithFlags\":\"%s\"", err_name(ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &flagged)));
  struct kvm_tdx_cmd dirty = {.id = KVM_TDX_CAPABILITIES, .data = (uintptr_t)probe, .hw_error = 1};
  printf(",\"capsWithHwError\":\"%s\"", err_name(ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &dirty)));
  free(probe);
  if (caps != NULL) {
    unsigned long long hw = 0;
    int r = tdx_init(vm, caps, 0, 257, &hw);
    printf(",\"initTooMany\":{\"result\":\"%s\",\"hwError\":\"0x%llx\"}", err_name(r), hw);
    r = tdx_init(vm, caps, reject, 0, &hw);
    printf(",\"initRejected\":{\"result\":\"%s\",\"hwError\":\"0x%llx\"}", err_name(r), hw);
    r = tdx_init(vm, caps, accept, 0, &hw);
    printf(",\"initOk\":{\"result\":\"%s\",\"hwError\":\"0x%llx\"}", err_name(r), hw);
    r = tdx_init(vm, caps, accept, 0, &hw);
    printf(",\"initAgain\":{\"result\":\"%s\",\"hwError\":\"0x%llx\"}", err_name(r), hw);
    free(caps);
  }
  printf("}\n");
  close(vm);
  close(kvm);
  return 0;
}

/* ------------------------------------------------------------------ SEV on a VM */

static int sev_init2(int vm, uint64_t features, uint32_t *error) {
  struct kvm_sev_init init;
  memset(&init, 0, sizeof(init));
  init.vmsa_features = features;
  struct kvm_sev_cmd cmd = {.id = KVM_SEV_INIT2, .data = (uintptr_t)&init, .error = 0};
  int r = ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &cmd);
  int e = errno;
  *error = cmd.error;
  errno = e;
  return r;
}

static int mode_sev_init2(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  unsigned long type = strtoul(argv[3], NULL, 0);
  uint64_t features = strtoull(argv[4], NULL, 0);
  int vm = ioctl(kvm, KVM_CREATE_VM, type);
  if (vm < 0) {
    printf("{\"createVm\":\"%s\"}\n", err_name(vm));
    return 0;
  }
  printf("{\"createVm\":\"0\",\"nullProbe\":\"%s\"", err_name(ioctl(vm, KVM_MEMORY_ENCRYPT_OP, NULL)));
  uint32_t error = 0;
  int r = sev_init2(vm, features, &error);
  printf(",\"init\":{\"result\":\"%s\",\"error\":%" PRIu32 "}", err_name(r), error);
  r = sev_init2(vm, 0, &error);
  printf(",\"initAgain\":{\"result\":\"%s\",\"error\":%" PRIu32 "}}\n", err_name(r), error);
  close(vm);
  close(kvm);
  return 0;
}

/* ------------------------------------------------------------------ /dev/sev */

static int sev_cmd(int fd, uint32_t id, void *data, uint32_t *error) {
  struct sev_issue_cmd cmd = {.cmd = id, .data = (uintptr_t)data, .error = 0xffffffffu};
  int r = ioctl(fd, SEV_ISSUE_CMD, &cmd);
  int e = errno;
  *error = cmd.error;
  errno = e;
  return r;
}

static int mode_sev(char **argv) {
  int fd = must_open(argv[2], O_RDONLY);
  uint32_t error;
  struct sev_user_data_status status;
  memset(&status, 0, sizeof(status));
  int r = sev_cmd(fd, SEV_PLATFORM_STATUS, &status, &error);
  printf("{\"open\":\"0\",\"platformStatus\":{\"result\":\"%s\",\"error\":%" PRIu32, err_name(r), error);
  if (r == 0)
    printf(",\"apiMajor\":%u,\"apiMinor\":%u,\"state\":%u,\"flags\":%" PRIu32 ",\"build\":%u,\"guestCount\":%" PRIu32,
           status.api_major, status.api_minor, status.state, (uint32_t)status.flags, status.build,
           (uint32_t)status.guest_count);
  printf("}");

  struct sev_user_data_snp_status snp;
  memset(&snp, 0, sizeof(snp));
  r = sev_cmd(fd, SNP_PLATFORM_STATUS, &snp, &error);
  printf(",\"snpPlatformStatus\":{\"result\":\"%s\",\"error\":%" PRIu32, err_name(r), error);
  if (r == 0) {
    const uint8_t *raw = (const uint8_t *)&snp;
    uint32_t features;
    memcpy(&features, raw + 8, sizeof(features));
    printf(",\"apiMajor\":%u,\"apiMinor\":%u,\"state\":%u,\"rmpFlags\":%u,\"isRmpInitialized\":%u,\"buildId\":%" PRIu32
           ",\"featureFlags\":%" PRIu32 ",\"maskChipId\":%u,\"vlekEn\":%u,\"ciphertextHidingCap\":%u,\"guestCount\":%" PRIu32
           ",\"currentTcbVersion\":\"0x%llx\",\"reportedTcbVersion\":\"0x%llx\"",
           snp.api_major, snp.api_minor, snp.state, raw[3], snp.is_rmp_initialized, (uint32_t)snp.build_id, features,
           snp.mask_chip_id, snp.vlek_en, snp.ciphertext_hiding_cap, (uint32_t)snp.guest_count,
           (unsigned long long)snp.current_tcb_version, (unsigned long long)snp.reported_tcb_version);
  }
  printf("}");

  /* GET_ID2 as sevtool does it: ask for the length first, then fetch. */
  struct sev_user_data_get_id2 id2 = {.address = 0, .length = 0};
  r = sev_cmd(fd, SEV_GET_ID2, &id2, &error);
  printf(",\"getId2Probe\":{\"result\":\"%s\",\"error\":%" PRIu32 ",\"length\":%" PRIu32 "}", err_name(r), error,
         (uint32_t)id2.length);
  uint8_t small[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  struct sev_user_data_get_id2 short_buf = {.address = (uintptr_t)small, .length = sizeof(small)};
  r = sev_cmd(fd, SEV_GET_ID2, &short_buf, &error);
  printf(",\"getId2Short\":{\"result\":\"%s\",\"error\":%" PRIu32 ",\"length\":%" PRIu32 ",\"untouched\":%s}", err_name(r),
         error, (uint32_t)short_buf.length, small[0] == 0xaa && small[3] == 0xaa ? "true" : "false");
  uint32_t want = id2.length ? id2.length : 64;
  uint8_t *buf = calloc(1, want + 16);
  if (buf == NULL) abort();
  struct sev_user_data_get_id2 full = {.address = (uintptr_t)buf, .length = want + 16};
  r = sev_cmd(fd, SEV_GET_ID2, &full, &error);
  printf(",\"getId2\":{\"result\":\"%s\",\"error\":%" PRIu32 ",\"length\":%" PRIu32 ",\"id\":\"", err_name(r), error,
         (uint32_t)full.length);
  if (r == 0)
    for (uint32_t i = 0; i < full.length && i < want + 16; i++) printf("%02x", buf[i]);
  printf("\"}}\n");
  free(buf);
  close(fd);
  return 0;
}

/* ------------------------------------------------------------------ others */

static int mode_intel_vm(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  int vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
  printf("{\"createVm0\":\"%s\"", err_name(vm));
  struct kvm_sev_cmd cmd = {.id = KVM_SEV_INIT2};
  printf(",\"memEncOp\":\"%s\"", err_name(ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &cmd)));
  printf(",\"vmVmTypes\":%d", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES));
  printf(",\"createVm5\":\"%s\"", err_name(ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM)));
  printf(",\"createVm99\":\"%s\"", err_name(ioctl(kvm, KVM_CREATE_VM, 99)));
  printf(",\"apiVersionWithArg\":\"%s\"}\n", err_name(ioctl(kvm, KVM_GET_API_VERSION, 1)));
  close(vm);
  close(kvm);
  return 0;
}

static int mode_dup(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  int a = dup(kvm);
  int b = dup3(kvm, 100, O_CLOEXEC);
  int c = fcntl(kvm, F_DUPFD_CLOEXEC, 200);
  int d = fcntl(kvm, F_DUPFD, 300);
  int e = dup2(kvm, 400);
  printf("{\"dup\":%d,\"dup3\":%d,\"dupfdCloexec\":%d,\"dupfd\":%d,\"dup2\":%d", ioctl(a, KVM_GET_API_VERSION, 0),
         ioctl(b, KVM_GET_API_VERSION, 0), ioctl(c, KVM_GET_API_VERSION, 0), ioctl(d, KVM_GET_API_VERSION, 0),
         ioctl(e, KVM_GET_API_VERSION, 0));
  close(kvm);
  printf(",\"afterOriginalClosed\":%d", ioctl(a, KVM_GET_API_VERSION, 0));
  int vm = ioctl(a, KVM_CREATE_VM, 0);
  int vm2 = dup(vm);
  close(vm);
  printf(",\"vmDupCheckExtension\":%d}\n", ioctl(vm2, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES));
  return 0;
}

static int mode_forbidden(char **argv) {
  int fd = must_open(argv[2], O_RDWR);
  uint8_t zero[256];
  memset(zero, 0, sizeof(zero));
  uint32_t error;
  int r = sev_cmd(fd, (uint32_t)strtoul(argv[3], NULL, 0), zero, &error);
  printf("{\"survived\":\"%s\"}\n", err_name(r));
  return 0;
}

static int mode_unknown(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  int r = ioctl(kvm, KVM_GET_TSC_KHZ, 0);
  printf("{\"survived\":\"%s\"}\n", err_name(r));
  return 0;
}

static int mode_after_close(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  printf("{\"before\":%d", ioctl(kvm, KVM_GET_API_VERSION, 0));
  fflush(stdout);
  close(kvm);
  int r = ioctl(kvm, KVM_GET_API_VERSION, 0);
  printf(",\"survived\":\"%s\"}\n", err_name(r));
  return 0;
}

static int mode_null_cpuid(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  int r = ioctl(kvm, KVM_GET_SUPPORTED_CPUID, NULL);
  printf("{\"survived\":\"%s\"}\n", err_name(r));
  return 0;
}

static int mode_real(char **argv) {
  int kvm = must_open(argv[2], O_RDWR);
  printf("{\"apiVersion\":%d}\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
  close(kvm);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (argc >= 6 && strcmp(argv[1], "tdx") == 0) return mode_tdx(argv);
  if (argc >= 5 && strcmp(argv[1], "sev-init2") == 0) return mode_sev_init2(argv);
  if (argc >= 3 && strcmp(argv[1], "sev") == 0) return mode_sev(argv);
  if (argc >= 3 && strcmp(argv[1], "intel-vm") == 0) return mode_intel_vm(argv);
  if (argc >= 3 && strcmp(argv[1], "dup") == 0) return mode_dup(argv);
  if (argc >= 4 && strcmp(argv[1], "forbidden") == 0) return mode_forbidden(argv);
  if (argc >= 3 && strcmp(argv[1], "unknown") == 0) return mode_unknown(argv);
  if (argc >= 3 && strcmp(argv[1], "after-close") == 0) return mode_after_close(argv);
  if (argc >= 3 && strcmp(argv[1], "null-cpuid") == 0) return mode_null_cpuid(argv);
  if (argc >= 3 && strcmp(argv[1], "real") == 0) return mode_real(argv);
  fprintf(stderr, "usage: see the comment at the top of double_client.c\n");
  return 2;
}
