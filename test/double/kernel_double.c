/*
 * The kernel double: an LD_PRELOAD library that answers open/ioctl/close for the device
 * nodes of a persona (test/helpers/persona.ts), so that TDX and SEV code paths can be
 * tested on a machine without that hardware. Production code never knows it exists.
 *
 * Built by test/helpers/double.ts against the Linux 7.2 UAPI headers (Debian unstable's
 * linux-libc-dev), so every struct layout and request number here is the kernel's own,
 * independent of native/kvm_abi.h.
 *
 * Environment:
 *   KVM_CAPS_DOUBLE_CONFIG  the config file written by the harness (unset: the library is inert)
 *   KVM_CAPS_DOUBLE_LOG     optional; one line is appended per ioctl served, and per fatal error
 *
 * How fds are tracked: open() of a path the config names opens the real (regular) file,
 * so the real kernel enforces its mode, and the fd is then tracked as that device by its
 * (st_dev, st_ino). KVM_CREATE_VM opens /dev/null for a real, unique fd and tracks it as a
 * VM of the requested type. dup/dup2/dup3/fcntl(F_DUPFD*) of a tracked fd give a tracked
 * fd. Every other fd passes through to the real calls. Before serving an ioctl the double
 * checks, with fstat, that the fd still refers to the file it tracked (libuv closes fds
 * with syscall(SYS_close), which no interposer sees); a stale entry is dropped.
 *
 * The answers follow the kernel (virt/kvm/kvm_main.c, arch/x86/kvm/x86.c, cpuid.c,
 * vmx/tdx.c, svm/sev.c, drivers/crypto/ccp/sev-dev.c), including its errno for fields it
 * checks. Anything the double does not serve, and anything that can only be a caller bug
 * (a NULL or unreadable pointer, garbage in a field the kernel ignores, a count far beyond
 * any buffer, a tracked fd used after close, a /dev/sev command that changes the platform),
 * fails loudly: "kvm-caps kernel double: <what>" on stderr and in the log, then abort().
 *
 * Adversarial answers (config lines "adv ...", persona.adversarial): on request the double
 * also plays a kernel that lies or misbehaves, to show that the caller stays in bounds and
 * reports an error: a count written back larger than the caller's buffer (entries are still
 * written only up to that buffer), E2BIG on every call (after checking that the buffer the
 * caller claims is really mapped), EINTR on the first N calls of a request, an errno for every
 * call of a request, a short KVM_GET_MSRS, garbage in reserved and padding fields and in the
 * caller's buffer beyond the count, and an overlong SEV_GET_ID2 length. Every such answer is
 * logged with "(adversarial ...)" or "adversarial".
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/psp-sev.h>

/* Kernel-internal constants the UAPI headers do not carry. */
#define KVM_MAX_CPUID_ENTRIES 256u   /* arch/x86/include/asm/kvm_host.h */
#define MAX_IO_MSRS 256u             /* arch/x86/kvm/x86.c */
#define GHCB_VERSION_MAX 2u          /* arch/x86/include/asm/sev-common.h */
#define GHCB_VERSION_DEFAULT 2u      /* arch/x86/kvm/svm/sev.c */
#define SVM_SEV_FEAT_SECURE_TSC (1ull << 9) /* arch/x86/include/asm/svm.h */
#define TDX_GUEST_PA_48 48u
#define TDX_GUEST_PA_52 52u
#define ENOTSUPP_KERNEL 524          /* include/linux/errno.h */
/* A count above this is garbage, not a buffer size: fail loudly instead of answering. It is
 * also the addon's own largest MSR list (kMaxMsrIndices), which an adversarial E2BIG reaches. */
#define ABSURD_COUNT 65536u
/* What the adversarial "garbage" answers write into reserved fields and unused buffer space. */
#define GARBAGE_BYTE 0xa5
#define GARBAGE_U32 0xa5a5a5a5u
#define GARBAGE_U64 0xa5a5a5a5a5a5a5a5ull
/* sev_user_data_snp_status: garbage in rsvd (byte 3 bits 1..7: 0x52 sets bits 2, 5, 7) and rsvd1 (bits 7..31 of the feature word, shifted). */
#define GARBAGE_SNP_RSVD 0x52u
#define GARBAGE_SNP_RSVD1 0x1a5a5a4u  /* not bit 7, which virtee (and lib/) read as TIO_EN */

_Static_assert(sizeof(struct sev_issue_cmd) == 16, "struct sev_issue_cmd is packed, 16 bytes");
_Static_assert(sizeof(struct sev_user_data_status) == 12, "struct sev_user_data_status");
_Static_assert(sizeof(struct sev_user_data_snp_status) == 32, "struct sev_user_data_snp_status");
_Static_assert(sizeof(struct sev_user_data_get_id2) == 12, "struct sev_user_data_get_id2");
_Static_assert(sizeof(struct kvm_tdx_init_vm) == 256 + sizeof(struct kvm_cpuid2), "struct kvm_tdx_init_vm");
_Static_assert(sizeof(struct kvm_sev_init) == 48, "struct kvm_sev_init");

/* ---------------------------------------------------------------- real functions */

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real___openat_2)(int, const char *, int);
static int (*real___openat64_2)(int, const char *, int);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);

#define RESOLVE(name)                                                                    \
  do {                                                                                   \
    if (real_##name == NULL) {                                                           \
      *(void **)(&real_##name) = dlsym(RTLD_NEXT, #name);                                \
      if (real_##name == NULL) {                                                         \
        dprintf(2, "kvm-caps kernel double: dlsym(RTLD_NEXT, \"%s\") failed\n", #name); \
        abort();                                                                         \
      }                                                                                  \
    }                                                                                    \
  } while (0)

/* ---------------------------------------------------------------- persona config */

struct u64_list {
  uint64_t *v;
  size_t n, cap;
};
struct cpuid_list {
  struct kvm_cpuid_entry2 *v;
  size_t n, cap;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return p;
  *cap = *cap ? *cap * 2 : 16;
  p = realloc(p, *cap * size);
  if (p == NULL) abort();
  return p;
}
static void u64_push(struct u64_list *l, uint64_t x) {
  l->v = grow(l->v, &l->cap, l->n, sizeof(uint64_t));
  l->v[l->n++] = x;
}
static void cpuid_push(struct cpuid_list *l, const struct kvm_cpuid_entry2 *e) {
  l->v = grow(l->v, &l->cap, l->n, sizeof(*e));
  l->v[l->n++] = *e;
}

struct device_id {
  int present;
  char *path;
  dev_t dev;
  ino_t ino;
};

/* An answer that is either a value or an errno plus an optional firmware error. */
struct answer {
  int present;
  int err;     /* 0: the value */
  int has_fw;
  uint32_t fw;
};

/* One adversarial rule: what to do to one request (by its name, or a sub-command's name). */
enum adv_kind { ADV_OVERCOUNT = 1, ADV_E2BIG, ADV_EINTR, ADV_FAIL };
#define ADV_WRITEBACK_NONE (-1)   /* E2BIG: leave the caller's count as it was */
#define ADV_WRITEBACK_NEEDED (-2) /* E2BIG: write back the persona's real count */
struct adv_rule {
  enum adv_kind kind;
  char name[48];
  int64_t n;      /* OVERCOUNT: excess over the caller's count; E2BIG: write-back; EINTR: calls left; FAIL: errno */
  int has_fw;     /* FAIL on /dev/sev: a firmware error too */
  uint32_t fw;
};
#define ADV_MAX_RULES 64
struct adversarial {
  struct adv_rule rules[ADV_MAX_RULES];
  size_t n;
  int garbage;
  int64_t msrs_limit;   /* KVM_GET_MSRS reads at most this many; -1: no limit */
  int64_t id2_length;   /* SEV_GET_ID2 writes back this length; -1: the real one */
};

struct config {
  int active;
  const char *log;
  struct device_id kvm_dev, sev_dev;

  int api_version, vcpu_mmap_size;
  struct u64_list caps;    /* (cap, value) pairs */
  struct u64_list vmcaps;  /* (type, cap, value) triples */
  struct cpuid_list supported, emulated;
  struct u64_list msr_index, msr_feature;
  struct u64_list feature_msrs; /* (index, value) */
  struct u64_list attrs;        /* (group, attr, value) */
  int vm_type_known[32];
  int vm_type_errno[32];

  int tdx_present;
  struct answer tdx_caps;
  uint64_t tdx_attrs, tdx_xfam, tdx_k_r11, tdx_u_r11, tdx_k_r12, tdx_u_r12;
  struct cpuid_list tdx_cpuid;
  int tdx_init_present;
  uint64_t tdx_accept, tdx_reject_hw;

  struct answer sev_init2[5];
  uint64_t sev_init2_accept[5];

  struct answer sev_status;
  uint8_t st_api_major, st_api_minor, st_state, st_build;
  uint32_t st_flags, st_guest_count;
  struct answer snp_status;
  uint8_t snp_api_major, snp_api_minor, snp_state, snp_rmp_flags;
  uint32_t snp_build_id, snp_feature_flags, snp_guest_count;
  uint64_t snp_current_tcb, snp_reported_tcb;
  struct answer id2;
  uint8_t *id2_bytes;
  size_t id2_len;

  struct adversarial adv;
};

static struct config cfg;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- log and failure */

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...) {
  if (cfg.log == NULL) return;
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof(buf) - 2) n = (int)sizeof(buf) - 2;
  buf[n++] = '\n';
  RESOLVE(open);
  RESOLVE(close);
  int fd = real_open(cfg.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return;
  ssize_t w = write(fd, buf, (size_t)n);
  (void)w;
  real_close(fd);
}

static void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fatal(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  dprintf(2, "kvm-caps kernel double: %s\n", msg);
  log_line("FATAL kvm-caps kernel double: %s", msg);
  abort();
}

static const char *errno_name(int err) {
  if (err == 0) return "0";
  if (err == ENOTSUPP_KERNEL) return "ENOTSUPP";
  const char *name = strerrorname_np(err);
  return name ? name : "E?";
}

/* ---------------------------------------------------------------- config parsing */

static uint64_t parse_u64(const char *tok, int line) {
  if (tok == NULL) fatal("config line %d: missing number", line);
  char *end;
  errno = 0;
  unsigned long long v = strtoull(tok, &end, 0);
  if (errno != 0 || *end != '\0' || tok[0] == '-') fatal("config line %d: bad number '%s'", line, tok);
  return (uint64_t)v;
}
static int64_t parse_s64(const char *tok, int line) {
  if (tok == NULL) fatal("config line %d: missing number", line);
  char *end;
  errno = 0;
  long long v = strtoll(tok, &end, 0);
  if (errno != 0 || *end != '\0') fatal("config line %d: bad number '%s'", line, tok);
  return (int64_t)v;
}

#define MAX_TOKENS 16
static void parse_cpuid(char **t, int nt, int first, struct cpuid_list *l, int line) {
  if (nt != first + 7) fatal("config line %d: a cpuid entry has 7 numbers", line);
  struct kvm_cpuid_entry2 e;
  memset(&e, 0, sizeof(e));
  e.function = (uint32_t)parse_u64(t[first], line);
  e.index = (uint32_t)parse_u64(t[first + 1], line);
  e.flags = (uint32_t)parse_u64(t[first + 2], line);
  e.eax = (uint32_t)parse_u64(t[first + 3], line);
  e.ebx = (uint32_t)parse_u64(t[first + 4], line);
  e.ecx = (uint32_t)parse_u64(t[first + 5], line);
  e.edx = (uint32_t)parse_u64(t[first + 6], line);
  cpuid_push(l, &e);
}

/* "errno <n> [<fw>|-]" or "value ..." */
static void parse_answer(char **t, int nt, int at, struct answer *a, int line) {
  a->present = 1;
  if (nt <= at) fatal("config line %d: missing answer", line);
  if (strcmp(t[at], "errno") == 0) {
    if (nt != at + 3) fatal("config line %d: 'errno <n> <fw|->'", line);
    a->err = (int)parse_u64(t[at + 1], line);
    if (a->err <= 0) fatal("config line %d: errno must be positive", line);
    if (strcmp(t[at + 2], "-") != 0) {
      a->has_fw = 1;
      a->fw = (uint32_t)parse_u64(t[at + 2], line);
    }
  } else if (strcmp(t[at], "value") != 0) {
    fatal("config line %d: expected 'value' or 'errno'", line);
  }
}

static void set_device(struct device_id *d, const char *path, int line) {
  struct stat st;
  if (stat(path, &st) != 0) fatal("config line %d: cannot stat device %s: %s", line, path, strerror(errno));
  d->present = 1;
  d->path = strdup(path);
  d->dev = st.st_dev;
  d->ino = st.st_ino;
}

/* The requests and sub-commands the double serves: the only ones a rule may name, so that a
 * rule can never turn a request outside the read-only set into an answer instead of an abort. */
static const char *const served_requests[] = {
    "KVM_GET_API_VERSION", "KVM_GET_VCPU_MMAP_SIZE", "KVM_CHECK_EXTENSION", "KVM_CREATE_VM",
    "KVM_GET_SUPPORTED_CPUID", "KVM_GET_EMULATED_CPUID", "KVM_GET_MSR_INDEX_LIST", "KVM_GET_MSR_FEATURE_INDEX_LIST",
    "KVM_GET_MSRS", "KVM_HAS_DEVICE_ATTR", "KVM_GET_DEVICE_ATTR", "KVM_TDX_CAPABILITIES", "KVM_TDX_INIT_VM",
    "KVM_SEV_INIT2", "SEV_PLATFORM_STATUS", "SNP_PLATFORM_STATUS", "SEV_GET_ID2",
};
static int served_request(const char *name) {
  for (size_t i = 0; i < sizeof(served_requests) / sizeof(served_requests[0]); i++)
    if (strcmp(served_requests[i], name) == 0) return 1;
  return 0;
}

static const char *const counted_requests[] = {
    "KVM_GET_SUPPORTED_CPUID", "KVM_GET_EMULATED_CPUID", "KVM_GET_MSR_INDEX_LIST", "KVM_GET_MSR_FEATURE_INDEX_LIST",
    "KVM_TDX_CAPABILITIES",
};
static int counted_request(const char *name, int with_get_msrs) {
  for (size_t i = 0; i < sizeof(counted_requests) / sizeof(counted_requests[0]); i++)
    if (strcmp(counted_requests[i], name) == 0) return 1;
  return with_get_msrs && strcmp(name, "KVM_GET_MSRS") == 0;
}

static struct adv_rule *adv_add(enum adv_kind kind, const char *name, int line) {
  if (cfg.adv.n == ADV_MAX_RULES) fatal("config line %d: more than %d adversarial rules", line, ADV_MAX_RULES);
  if (strlen(name) >= sizeof(cfg.adv.rules[0].name)) fatal("config line %d: request name %s is too long", line, name);
  for (size_t i = 0; i < cfg.adv.n; i++)
    if (cfg.adv.rules[i].kind == kind && strcmp(cfg.adv.rules[i].name, name) == 0)
      fatal("config line %d: a second adversarial rule of the same kind for %s", line, name);
  struct adv_rule *r = &cfg.adv.rules[cfg.adv.n++];
  memset(r, 0, sizeof(*r));
  r->kind = kind;
  strcpy(r->name, name);
  return r;
}

/*
 * adv overcount <counted request|KVM_GET_MSRS> <excess>
 * adv e2big <counted request> none|needed|<count written back>
 * adv eintr <request> <calls>
 * adv fail <request> <errno> <fw|->
 * adv msrslimit <n> | adv garbage | adv id2length <n>
 */
static void parse_adv(char **t, int nt, int line) {
  const char *what = t[1];
  if (strcmp(what, "garbage") == 0 && nt == 2) {
    cfg.adv.garbage = 1;
  } else if (strcmp(what, "msrslimit") == 0 && nt == 3) {
    cfg.adv.msrs_limit = (int64_t)parse_u64(t[2], line);
  } else if (strcmp(what, "id2length") == 0 && nt == 3) {
    uint64_t n = parse_u64(t[2], line);
    if (n > UINT32_MAX) fatal("config line %d: id2length does not fit the u32 length field", line);
    cfg.adv.id2_length = (int64_t)n;
  } else if (strcmp(what, "overcount") == 0 && nt == 4) {
    if (!counted_request(t[2], 1)) fatal("config line %d: overcount is for the counted requests and KVM_GET_MSRS, not %s", line, t[2]);
    uint64_t n = parse_u64(t[3], line);
    if (n < 1 || n > UINT32_MAX) fatal("config line %d: overcount excess must be in [1, 0xffffffff]", line);
    adv_add(ADV_OVERCOUNT, t[2], line)->n = (int64_t)n;
  } else if (strcmp(what, "e2big") == 0 && nt == 4) {
    if (!counted_request(t[2], 0)) fatal("config line %d: e2big is for the counted requests, not %s", line, t[2]);
    struct adv_rule *r = adv_add(ADV_E2BIG, t[2], line);
    if (strcmp(t[3], "none") == 0) r->n = ADV_WRITEBACK_NONE;
    else if (strcmp(t[3], "needed") == 0) r->n = ADV_WRITEBACK_NEEDED;
    else {
      uint64_t n = parse_u64(t[3], line);
      if (n > UINT32_MAX) fatal("config line %d: an e2big write-back must fit a u32", line);
      r->n = (int64_t)n;
    }
  } else if (strcmp(what, "eintr") == 0 && nt == 4) {
    if (!served_request(t[2])) fatal("config line %d: eintr: %s is not a request the double serves", line, t[2]);
    adv_add(ADV_EINTR, t[2], line)->n = (int64_t)parse_u64(t[3], line);
  } else if (strcmp(what, "fail") == 0 && nt == 5) {
    if (!served_request(t[2])) fatal("config line %d: fail: %s is not a request the double serves", line, t[2]);
    struct adv_rule *r = adv_add(ADV_FAIL, t[2], line);
    r->n = (int64_t)parse_u64(t[3], line);
    if (r->n <= 0 || r->n > 4095) fatal("config line %d: errno must be in [1, 4095]", line);
    if (strcmp(t[4], "-") != 0) {
      r->has_fw = 1;
      r->fw = (uint32_t)parse_u64(t[4], line);
    }
  } else {
    fatal("config line %d: cannot read adversarial rule '%s' with %d fields", line, what, nt);
  }
}

static void parse_line(char **t, int nt, int line) {
  const char *k = t[0];
  if (strcmp(k, "device") == 0 && nt == 3) {
    if (strcmp(t[1], "kvm") == 0) set_device(&cfg.kvm_dev, t[2], line);
    else if (strcmp(t[1], "sev") == 0) set_device(&cfg.sev_dev, t[2], line);
    else fatal("config line %d: unknown device kind %s", line, t[1]);
  } else if (strcmp(k, "api") == 0 && nt == 2) {
    cfg.api_version = (int)parse_u64(t[1], line);
  } else if (strcmp(k, "mmap") == 0 && nt == 2) {
    cfg.vcpu_mmap_size = (int)parse_u64(t[1], line);
  } else if (strcmp(k, "cap") == 0 && nt == 3) {
    u64_push(&cfg.caps, parse_u64(t[1], line));
    u64_push(&cfg.caps, (uint64_t)parse_s64(t[2], line));
  } else if (strcmp(k, "vmcap") == 0 && nt == 4) {
    u64_push(&cfg.vmcaps, parse_u64(t[1], line));
    u64_push(&cfg.vmcaps, parse_u64(t[2], line));
    u64_push(&cfg.vmcaps, (uint64_t)parse_s64(t[3], line));
  } else if (strcmp(k, "cpuid") == 0 && nt >= 2) {
    if (strcmp(t[1], "supported") == 0) parse_cpuid(t, nt, 2, &cfg.supported, line);
    else if (strcmp(t[1], "emulated") == 0) parse_cpuid(t, nt, 2, &cfg.emulated, line);
    else fatal("config line %d: cpuid supported|emulated", line);
  } else if (strcmp(k, "msrindex") == 0 && nt == 2) {
    u64_push(&cfg.msr_index, parse_u64(t[1], line));
  } else if (strcmp(k, "msrfeature") == 0 && nt == 2) {
    u64_push(&cfg.msr_feature, parse_u64(t[1], line));
  } else if (strcmp(k, "featuremsr") == 0 && nt == 3) {
    u64_push(&cfg.feature_msrs, parse_u64(t[1], line));
    u64_push(&cfg.feature_msrs, parse_u64(t[2], line));
  } else if (strcmp(k, "attr") == 0 && nt == 4) {
    u64_push(&cfg.attrs, parse_u64(t[1], line));
    u64_push(&cfg.attrs, parse_u64(t[2], line));
    u64_push(&cfg.attrs, parse_u64(t[3], line));
  } else if (strcmp(k, "vmtype") == 0 && nt == 3) {
    uint64_t type = parse_u64(t[1], line);
    if (type >= 32) fatal("config line %d: VM type %" PRIu64 " >= 32 (the kernel refuses it anyway)", line, type);
    cfg.vm_type_known[type] = 1;
    cfg.vm_type_errno[type] = (int)parse_u64(t[2], line);
  } else if (strcmp(k, "tdxcaps") == 0) {
    cfg.tdx_present = 1;
    parse_answer(t, nt, 1, &cfg.tdx_caps, line);
    if (cfg.tdx_caps.err == 0) {
      if (nt != 8) fatal("config line %d: tdxcaps value <attrs> <xfam> <k_r11> <u_r11> <k_r12> <u_r12>", line);
      cfg.tdx_attrs = parse_u64(t[2], line);
      cfg.tdx_xfam = parse_u64(t[3], line);
      cfg.tdx_k_r11 = parse_u64(t[4], line);
      cfg.tdx_u_r11 = parse_u64(t[5], line);
      cfg.tdx_k_r12 = parse_u64(t[6], line);
      cfg.tdx_u_r12 = parse_u64(t[7], line);
    }
  } else if (strcmp(k, "tdxcpuid") == 0) {
    parse_cpuid(t, nt, 1, &cfg.tdx_cpuid, line);
  } else if (strcmp(k, "tdxinitvm") == 0 && nt == 3) {
    cfg.tdx_init_present = 1;
    cfg.tdx_accept = parse_u64(t[1], line);
    cfg.tdx_reject_hw = parse_u64(t[2], line);
  } else if (strcmp(k, "sevinit2") == 0 && nt >= 3) {
    uint64_t type = parse_u64(t[1], line);
    if (type < 2 || type > 4) fatal("config line %d: KVM_SEV_INIT2 is for VM types 2, 3 and 4", line);
    parse_answer(t, nt, 2, &cfg.sev_init2[type], line);
    if (cfg.sev_init2[type].err == 0) {
      if (nt != 4) fatal("config line %d: sevinit2 <type> value <acceptVmsaFeatures>", line);
      cfg.sev_init2_accept[type] = parse_u64(t[3], line);
    }
  } else if (strcmp(k, "sevstatus") == 0) {
    parse_answer(t, nt, 1, &cfg.sev_status, line);
    if (cfg.sev_status.err == 0) {
      if (nt != 8) fatal("config line %d: sevstatus value <major> <minor> <state> <flags> <build> <guests>", line);
      cfg.st_api_major = (uint8_t)parse_u64(t[2], line);
      cfg.st_api_minor = (uint8_t)parse_u64(t[3], line);
      cfg.st_state = (uint8_t)parse_u64(t[4], line);
      cfg.st_flags = (uint32_t)parse_u64(t[5], line);
      cfg.st_build = (uint8_t)parse_u64(t[6], line);
      cfg.st_guest_count = (uint32_t)parse_u64(t[7], line);
    }
  } else if (strcmp(k, "snpstatus") == 0) {
    parse_answer(t, nt, 1, &cfg.snp_status, line);
    if (cfg.snp_status.err == 0) {
      if (nt != 11) fatal("config line %d: snpstatus value <major> <minor> <state> <rmp> <build> <features> <guests> <current> <reported>", line);
      cfg.snp_api_major = (uint8_t)parse_u64(t[2], line);
      cfg.snp_api_minor = (uint8_t)parse_u64(t[3], line);
      cfg.snp_state = (uint8_t)parse_u64(t[4], line);
      cfg.snp_rmp_flags = (uint8_t)parse_u64(t[5], line);
      cfg.snp_build_id = (uint32_t)parse_u64(t[6], line);
      cfg.snp_feature_flags = (uint32_t)parse_u64(t[7], line);
      cfg.snp_guest_count = (uint32_t)parse_u64(t[8], line);
      cfg.snp_current_tcb = parse_u64(t[9], line);
      cfg.snp_reported_tcb = parse_u64(t[10], line);
    }
  } else if (strcmp(k, "id2") == 0) {
    parse_answer(t, nt, 1, &cfg.id2, line);
    if (cfg.id2.err == 0) {
      if (nt != 3) fatal("config line %d: id2 value <hex bytes>", line);
      size_t len = strlen(t[2]);
      if (len == 0 || len % 2 != 0) fatal("config line %d: id2 needs an even, non-zero number of hex digits", line);
      cfg.id2_len = len / 2;
      cfg.id2_bytes = malloc(cfg.id2_len);
      if (cfg.id2_bytes == NULL) abort();
      for (size_t i = 0; i < cfg.id2_len; i++) {
        char byte[3] = {t[2][2 * i], t[2][2 * i + 1], 0};
        char *end;
        cfg.id2_bytes[i] = (uint8_t)strtoul(byte, &end, 16);
        if (*end != '\0') fatal("config line %d: bad hex in id2", line);
      }
    }
  } else if (strcmp(k, "adv") == 0 && nt >= 2) {
    parse_adv(t, nt, line);
  } else {
    fatal("config line %d: cannot read '%s' with %d fields", line, k, nt);
  }
}

static void load_config(void) {
  const char *path = getenv("KVM_CAPS_DOUBLE_CONFIG");
  const char *log = getenv("KVM_CAPS_DOUBLE_LOG");
  cfg.log = (log != NULL && log[0] != '\0') ? strdup(log) : NULL;
  cfg.adv.msrs_limit = -1;
  cfg.adv.id2_length = -1;
  if (path == NULL || path[0] == '\0') return;
  RESOLVE(open);
  RESOLVE(close);
  int fd = real_open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fatal("cannot open KVM_CAPS_DOUBLE_CONFIG %s: %s", path, strerror(errno));
  size_t cap = 65536, len = 0;
  char *text = malloc(cap + 1);
  if (text == NULL) abort();
  for (;;) {
    if (len == cap) {
      cap *= 2;
      text = realloc(text, cap + 1);
      if (text == NULL) abort();
    }
    ssize_t r = read(fd, text + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fatal("cannot read %s: %s", path, strerror(errno));
    if (r == 0) break;
    len += (size_t)r;
  }
  real_close(fd);
  text[len] = '\0';
  char *save = NULL;
  int line = 0;
  for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
    line++;
    if (l[0] == '#' || l[0] == '\0') continue;
    char *tokens[MAX_TOKENS];
    int nt = 0;
    char *tsave = NULL;
    for (char *t = strtok_r(l, " \t\r", &tsave); t != NULL; t = strtok_r(NULL, " \t\r", &tsave)) {
      if (nt == MAX_TOKENS) fatal("config line %d: too many fields", line);
      tokens[nt++] = t;
    }
    if (nt > 0) parse_line(tokens, nt, line);
  }
  free(text);
  cfg.active = 1;
}

static void ensure_config(void) { pthread_once(&config_once, load_config); }

/* A process that forks while another thread holds `lock` (a thread pool worker in an ioctl,
 * say) would leave the child with a lock nobody releases, and the child's close() before exec
 * would wait forever. The real kernel has no such lock, so the double must not add the hang:
 * take the lock around fork and release it on both sides. */
static void fork_prepare(void) { pthread_mutex_lock(&lock); }
static void fork_release(void) { pthread_mutex_unlock(&lock); }

__attribute__((constructor)) static void double_init(void) {
  ensure_config();
  pthread_atfork(fork_prepare, fork_release, fork_release);
}

/* ---------------------------------------------------------------- fd table */

enum kind { K_KVM = 1, K_SEV, K_VM };

struct vm {
  int type;
  int refs;
  int tdx_initialized;
  int sev_need_init;
  int snp_active;
};

struct entry {
  int fd;
  enum kind kind;
  int closed; /* a tombstone: closed through close(), number not reused yet */
  dev_t dev;
  ino_t ino;
  struct vm *vm;
};

#define MAX_ENTRIES 4096
static struct entry table[MAX_ENTRIES];
static size_t n_entries;

static struct entry *find_entry(int fd) {
  for (size_t i = 0; i < n_entries; i++)
    if (table[i].fd == fd) return &table[i];
  return NULL;
}

static void vm_put(struct vm *vm) {
  if (vm != NULL && --vm->refs == 0) free(vm);
}

static void drop_entry(struct entry *e) {
  if (!e->closed) vm_put(e->vm);
  *e = table[--n_entries];
}

/* The number `fd` was just handed out by the kernel: whatever we knew about it is stale. */
static void forget_fd(int fd) {
  struct entry *e = find_entry(fd);
  if (e != NULL) drop_entry(e);
}

static struct entry *add_entry(int fd, enum kind kind, dev_t dev, ino_t ino, struct vm *vm) {
  forget_fd(fd);
  if (n_entries == MAX_ENTRIES) {
    for (size_t i = 0; i < n_entries; i++) {
      if (table[i].closed) {
        drop_entry(&table[i]);
        break;
      }
    }
    if (n_entries == MAX_ENTRIES) fatal("more than %d tracked fds", MAX_ENTRIES);
  }
  struct entry *e = &table[n_entries++];
  e->fd = fd;
  e->kind = kind;
  e->closed = 0;
  e->dev = dev;
  e->ino = ino;
  e->vm = vm;
  if (vm != NULL) vm->refs++;
  return e;
}

static const char *kind_name(const struct entry *e) {
  switch (e->kind) {
    case K_KVM: return "kvm";
    case K_SEV: return "sev";
    case K_VM: return "vm";
  }
  return "?";
}

/* ---------------------------------------------------------------- user memory */

static int readable(const void *p, size_t len) {
  static char scratch[4096]; /* only used with `lock` held */
  uintptr_t at = (uintptr_t)p;
  while (len > 0) {
    size_t n = len < sizeof(scratch) ? len : sizeof(scratch);
    struct iovec local = {scratch, n};
    struct iovec remote = {(void *)at, n};
    ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (r < 0 && (errno == ENOSYS || errno == EPERM)) return 1; /* cannot tell: trust it */
    if (r < 0 || (size_t)r != n) return 0;
    at += n;
    len -= n;
  }
  return 1;
}

/* `what` must be a non-NULL, aligned, readable buffer of `len` bytes, or the caller has a bug. */
static void need_user(const void *p, size_t len, size_t align, const char *ctx, const char *what) {
  if (p == NULL) fatal("%s: %s is a NULL pointer", ctx, what);
  if (align > 1 && ((uintptr_t)p % align) != 0) fatal("%s: %s %p is not %zu-byte aligned", ctx, what, p, align);
  if ((uintptr_t)p < 4096) fatal("%s: %s %p points into the zero page", ctx, what, p);
  if (!readable(p, len)) fatal("%s: %s %p (%zu bytes) is not mapped readable", ctx, what, p, len);
}

static int all_zero(const void *p, size_t len) {
  const uint8_t *b = p;
  for (size_t i = 0; i < len; i++)
    if (b[i] != 0) return 0;
  return 1;
}

/* ---------------------------------------------------------------- names */

struct name {
  unsigned long value;
  const char *name;
};

#define N(x) {(unsigned long)(x), #x}
static const struct name request_names[] = {
    N(KVM_GET_API_VERSION), N(KVM_CREATE_VM), N(KVM_GET_MSR_INDEX_LIST), N(KVM_CHECK_EXTENSION),
    N(KVM_GET_VCPU_MMAP_SIZE), N(KVM_GET_SUPPORTED_CPUID), N(KVM_GET_EMULATED_CPUID),
    N(KVM_GET_MSR_FEATURE_INDEX_LIST), N(KVM_GET_MSRS), N(KVM_SET_MSRS), N(KVM_HAS_DEVICE_ATTR),
    N(KVM_GET_DEVICE_ATTR), N(KVM_SET_DEVICE_ATTR), N(KVM_MEMORY_ENCRYPT_OP),
    N(KVM_MEMORY_ENCRYPT_REG_REGION), N(KVM_MEMORY_ENCRYPT_UNREG_REGION), N(KVM_CREATE_VCPU),
    N(KVM_RUN), N(KVM_ENABLE_CAP), N(KVM_SET_TSC_KHZ), N(KVM_GET_TSC_KHZ), N(KVM_GET_STATS_FD),
    N(KVM_CREATE_DEVICE), N(KVM_GET_SUPPORTED_HV_CPUID), N(KVM_X86_GET_MCE_CAP_SUPPORTED),
    N(KVM_SET_USER_MEMORY_REGION), N(KVM_SET_USER_MEMORY_REGION2), N(KVM_CREATE_GUEST_MEMFD),
    N(KVM_SET_MEMORY_ATTRIBUTES), N(KVM_CREATE_IRQCHIP), N(KVM_GET_CPUID2), N(KVM_SET_CPUID2),
    N(KVM_GET_XSAVE2), N(SEV_ISSUE_CMD),
};
static const struct name sev_cmd_names[] = {
    N(SEV_FACTORY_RESET), N(SEV_PLATFORM_STATUS), N(SEV_PEK_GEN), N(SEV_PEK_CSR), N(SEV_PDH_GEN),
    N(SEV_PDH_CERT_EXPORT), N(SEV_PEK_CERT_IMPORT), N(SEV_GET_ID), N(SEV_GET_ID2),
    N(SNP_PLATFORM_STATUS), N(SNP_COMMIT), N(SNP_SET_CONFIG), N(SNP_VLEK_LOAD),
};
static const struct name tdx_cmd_names[] = {
    N(KVM_TDX_CAPABILITIES), N(KVM_TDX_INIT_VM), N(KVM_TDX_INIT_VCPU), N(KVM_TDX_INIT_MEM_REGION),
    N(KVM_TDX_FINALIZE_VM), N(KVM_TDX_GET_CPUID),
};
static const struct name kvm_sev_cmd_names[] = {
    N(KVM_SEV_INIT), N(KVM_SEV_ES_INIT), N(KVM_SEV_LAUNCH_START), N(KVM_SEV_LAUNCH_UPDATE_DATA),
    N(KVM_SEV_LAUNCH_UPDATE_VMSA), N(KVM_SEV_LAUNCH_SECRET), N(KVM_SEV_LAUNCH_MEASURE),
    N(KVM_SEV_LAUNCH_FINISH), N(KVM_SEV_SEND_START), N(KVM_SEV_SEND_UPDATE_DATA),
    N(KVM_SEV_SEND_UPDATE_VMSA), N(KVM_SEV_SEND_FINISH), N(KVM_SEV_RECEIVE_START),
    N(KVM_SEV_RECEIVE_UPDATE_DATA), N(KVM_SEV_RECEIVE_UPDATE_VMSA), N(KVM_SEV_RECEIVE_FINISH),
    N(KVM_SEV_GUEST_STATUS), N(KVM_SEV_DBG_DECRYPT), N(KVM_SEV_DBG_ENCRYPT), N(KVM_SEV_CERT_EXPORT),
    N(KVM_SEV_GET_ATTESTATION_REPORT), N(KVM_SEV_SEND_CANCEL), N(KVM_SEV_INIT2),
    N(KVM_SEV_SNP_LAUNCH_START), N(KVM_SEV_SNP_LAUNCH_UPDATE), N(KVM_SEV_SNP_LAUNCH_FINISH),
    N(KVM_SEV_SNP_ENABLE_REQ_CERTS),
};
#undef N

static const char *lookup_name(const struct name *names, size_t n, unsigned long value, char *buf, size_t len) {
  for (size_t i = 0; i < n; i++)
    if (names[i].value == value) return names[i].name;
  snprintf(buf, len, "#%lu", value);
  return buf;
}
#define NAME_OF(table, value, buf) lookup_name(table, sizeof(table) / sizeof(table[0]), (value), buf, sizeof(buf))

static const char *request_name(unsigned long request, char *buf, size_t len) {
  for (size_t i = 0; i < sizeof(request_names) / sizeof(request_names[0]); i++)
    if (request_names[i].value == request) return request_names[i].name;
  snprintf(buf, len, "request 0x%lx (type 0x%lx nr 0x%lx size %lu)", request, (unsigned long)_IOC_TYPE(request),
           (unsigned long)_IOC_NR(request), (unsigned long)_IOC_SIZE(request));
  return buf;
}

/* ---------------------------------------------------------------- answers */

struct result {
  long ret;
  int err;
};
static struct result ok(long ret) { return (struct result){ret, 0}; }
static struct result fail(int err) { return (struct result){-1, err}; }

static const char *res_str(struct result r, char *buf, size_t len) {
  if (r.err) return errno_name(r.err);
  snprintf(buf, len, "%ld", r.ret);
  return buf;
}

static int find_pair(const struct u64_list *l, uint64_t key, uint64_t *value) {
  for (size_t i = 0; i + 1 < l->n; i += 2) {
    if (l->v[i] == key) {
      *value = l->v[i + 1];
      return 1;
    }
  }
  return 0;
}

static int find_attr(uint32_t group, uint64_t attr, uint64_t *value) {
  for (size_t i = 0; i + 2 < cfg.attrs.n; i += 3) {
    if (cfg.attrs.v[i] == group && cfg.attrs.v[i + 1] == attr) {
      *value = cfg.attrs.v[i + 2];
      return 1;
    }
  }
  return 0;
}

static long check_extension(int vm_type, unsigned long cap) {
  uint64_t v;
  if (vm_type >= 0) {
    for (size_t i = 0; i + 2 < cfg.vmcaps.n; i += 3)
      if (cfg.vmcaps.v[i] == (uint64_t)vm_type && cfg.vmcaps.v[i + 1] == cap) return (long)(int64_t)cfg.vmcaps.v[i + 2];
  }
  if (find_pair(&cfg.caps, cap, &v)) return (long)(int64_t)v;
  return 0;
}

static struct result create_vm(unsigned long type) {
  if (type >= 32 || !cfg.vm_type_known[type]) return fail(EINVAL);
  if (cfg.vm_type_errno[type] != 0) return fail(cfg.vm_type_errno[type]);
  RESOLVE(open);
  int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  struct stat st;
  if (fstat(fd, &st) != 0) fatal("fstat of a new VM fd failed: %s", strerror(errno));
  struct vm *vm = calloc(1, sizeof(*vm));
  if (vm == NULL) abort();
  vm->type = (int)type;
  vm->sev_need_init = 1;
  add_entry(fd, K_VM, st.st_dev, st.st_ino, vm);
  return ok(fd);
}

/* ---------------------------------------------------------------- adversarial answers */

static struct adv_rule *adv_find(enum adv_kind kind, const char *name) {
  for (size_t i = 0; i < cfg.adv.n; i++)
    if (cfg.adv.rules[i].kind == kind && strcmp(cfg.adv.rules[i].name, name) == 0) return &cfg.adv.rules[i];
  return NULL;
}

/*
 * EINTR for the first N calls of `name`, or its errno on every call. Returns 1 when the
 * call is answered that way (the caller's memory untouched); `fw` receives a /dev/sev
 * firmware error where the rule has one. Lock held.
 */
static int adv_intercept(const char *name, struct result *r, int *has_fw, uint32_t *fw) {
  struct adv_rule *rule = adv_find(ADV_EINTR, name);
  if (rule != NULL && rule->n > 0) {
    rule->n--;
    *r = fail(EINTR);
    return 1;
  }
  rule = adv_find(ADV_FAIL, name);
  if (rule != NULL) {
    *r = fail((int)rule->n);
    if (has_fw != NULL && rule->has_fw) {
      *has_fw = 1;
      *fw = rule->fw;
    }
    return 1;
  }
  return 0;
}

/* `asked` plus an overcount rule's excess, saturated to the u32 a count field holds. */
static uint32_t adv_overcount(const struct adv_rule *rule, uint32_t asked) {
  uint64_t n = (uint64_t)asked + (uint64_t)rule->n;
  return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* The count an E2BIG rule writes back. */
static uint32_t adv_e2big_count(const struct adv_rule *rule, uint32_t asked, size_t needed) {
  if (rule->n == ADV_WRITEBACK_NONE) return asked;
  if (rule->n == ADV_WRITEBACK_NEEDED) return (uint32_t)needed;
  return (uint32_t)rule->n;
}

/* " (adversarial ...)" for the log line of a counted request whose answer a rule shaped. */
static const char *adv_note(const char *name, struct result r, const char *otherwise) {
  if (r.err == E2BIG && adv_find(ADV_E2BIG, name) != NULL) return " (adversarial E2BIG)";
  if (r.err == 0 && adv_find(ADV_OVERCOUNT, name) != NULL) return " (adversarial overlong count)";
  if (r.err == 0 && strcmp(name, "KVM_GET_MSRS") == 0 && cfg.adv.msrs_limit >= 0) return " (adversarial short count)";
  return otherwise;
}

/* Garbage in a CPUID entry's padding, or whole unused entries of garbage. */
static void garbage_cpuid_padding(struct kvm_cpuid_entry2 *e) { memset(e->padding, GARBAGE_BYTE, sizeof(e->padding)); }
static void garbage_cpuid_entries(struct kvm_cpuid_entry2 *entries, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) memset(&entries[i], GARBAGE_BYTE, sizeof(entries[i]));
}

/* KVM_GET_SUPPORTED_CPUID / KVM_GET_EMULATED_CPUID: x86.c + cpuid.c kvm_dev_ioctl_get_cpuid. */
static struct result get_cpuid(void *arg, int emulated, const char *ctx, uint32_t *nent_in) {
  const struct cpuid_list *list = emulated ? &cfg.emulated : &cfg.supported;
  need_user(arg, sizeof(struct kvm_cpuid2), 4, ctx, "struct kvm_cpuid2");
  struct kvm_cpuid2 *cpuid = arg;
  if (cpuid->padding != 0) fatal("%s: kvm_cpuid2.padding is %u, not 0", ctx, cpuid->padding);
  uint32_t nent = cpuid->nent;
  *nent_in = nent;
  if (nent > ABSURD_COUNT) fatal("%s: nent %u is beyond any buffer", ctx, nent);
  const struct adv_rule *e2big = adv_find(ADV_E2BIG, ctx);
  if (e2big != NULL) {
    /* The caller must really have the buffer it claims, however large it grows. */
    if (nent > 0) need_user(cpuid->entries, (size_t)nent * sizeof(struct kvm_cpuid_entry2), 4, ctx, "kvm_cpuid2.entries[nent]");
    cpuid->nent = adv_e2big_count(e2big, nent, list->n);
    return fail(E2BIG);
  }
  uint32_t asked = nent;
  if (nent < 1) return fail(E2BIG);
  if (nent > KVM_MAX_CPUID_ENTRIES) nent = KVM_MAX_CPUID_ENTRIES;
  need_user(cpuid->entries, (size_t)nent * sizeof(struct kvm_cpuid_entry2), 4, ctx, "kvm_cpuid2.entries[nent]");
  if (emulated) {
    /* sanity_check_entries(): the padding of every entry must come in clean. */
    for (uint32_t i = 0; i < nent; i++)
      if (!all_zero(cpuid->entries[i].padding, sizeof(cpuid->entries[i].padding))) return fail(EINVAL);
  }
  if (list->n > nent) return fail(E2BIG);
  for (size_t i = 0; i < list->n; i++) cpuid->entries[i] = list->v[i];
  cpuid->nent = (uint32_t)list->n;
  if (cfg.adv.garbage) {
    cpuid->padding = GARBAGE_U32;
    for (size_t i = 0; i < list->n; i++) garbage_cpuid_padding(&cpuid->entries[i]);
    garbage_cpuid_entries(cpuid->entries, list->n, nent);
  }
  const struct adv_rule *over = adv_find(ADV_OVERCOUNT, ctx);
  if (over != NULL) cpuid->nent = adv_overcount(over, asked); /* entries written: list->n <= nent only */
  return ok(0);
}

/* KVM_GET_MSR_INDEX_LIST / KVM_GET_MSR_FEATURE_INDEX_LIST (x86.c): nmsrs is always written back. */
static struct result get_msr_list(void *arg, int feature, const char *ctx, uint32_t *n_in, uint32_t *n_out) {
  const struct u64_list *list = feature ? &cfg.msr_feature : &cfg.msr_index;
  need_user(arg, sizeof(struct kvm_msr_list), 4, ctx, "struct kvm_msr_list");
  struct kvm_msr_list *msrs = arg;
  uint32_t n = msrs->nmsrs;
  *n_in = n;
  if (n > ABSURD_COUNT) fatal("%s: nmsrs %u is beyond any buffer", ctx, n);
  const struct adv_rule *e2big = adv_find(ADV_E2BIG, ctx);
  if (e2big != NULL) {
    if (n > 0) need_user(msrs->indices, (size_t)n * sizeof(uint32_t), 4, ctx, "kvm_msr_list.indices[nmsrs]");
    msrs->nmsrs = adv_e2big_count(e2big, n, list->n);
    *n_out = msrs->nmsrs;
    return fail(E2BIG);
  }
  msrs->nmsrs = (uint32_t)list->n;
  *n_out = msrs->nmsrs;
  if (n < list->n) return fail(E2BIG);
  need_user(msrs->indices, list->n * sizeof(uint32_t), 4, ctx, "kvm_msr_list.indices");
  for (size_t i = 0; i < list->n; i++) msrs->indices[i] = (uint32_t)list->v[i];
  if (cfg.adv.garbage && n > list->n) {
    need_user(msrs->indices, (size_t)n * sizeof(uint32_t), 4, ctx, "kvm_msr_list.indices[nmsrs]");
    for (size_t i = list->n; i < n; i++) msrs->indices[i] = GARBAGE_U32;
  }
  const struct adv_rule *over = adv_find(ADV_OVERCOUNT, ctx);
  if (over != NULL) msrs->nmsrs = *n_out = adv_overcount(over, n);
  return ok(0);
}

/* KVM_GET_MSRS on /dev/kvm: msr_io(NULL, argp, do_get_feature_msr, 1). */
static struct result get_msrs(void *arg, const char *ctx, uint32_t *asked) {
  need_user(arg, sizeof(struct kvm_msrs), 4, ctx, "struct kvm_msrs");
  struct kvm_msrs *msrs = arg;
  if (msrs->pad != 0) fatal("%s: kvm_msrs.pad is %u, not 0", ctx, msrs->pad);
  *asked = msrs->nmsrs;
  if (msrs->nmsrs >= MAX_IO_MSRS) return fail(E2BIG);
  need_user(msrs->entries, msrs->nmsrs * sizeof(struct kvm_msr_entry), 4, ctx, "kvm_msrs.entries");
  for (uint32_t i = 0; i < msrs->nmsrs; i++)
    if (msrs->entries[i].reserved != 0) fatal("%s: entries[%u].reserved is not 0", ctx, i);
  uint32_t limit = msrs->nmsrs;
  if (cfg.adv.msrs_limit >= 0 && (uint64_t)cfg.adv.msrs_limit < limit) limit = (uint32_t)cfg.adv.msrs_limit;
  uint32_t i = 0;
  for (; i < limit; i++) {
    uint64_t value;
    if (!find_pair(&cfg.feature_msrs, msrs->entries[i].index, &value)) break;
    msrs->entries[i].data = value;
  }
  if (cfg.adv.garbage) {
    for (uint32_t j = 0; j < i; j++) msrs->entries[j].reserved = GARBAGE_U32;
    for (uint32_t j = i; j < msrs->nmsrs; j++) msrs->entries[j].data = GARBAGE_U64; /* not read: garbage, not a value */
  }
  const struct adv_rule *over = adv_find(ADV_OVERCOUNT, ctx);
  if (over != NULL) return ok((long)adv_overcount(over, msrs->nmsrs));
  return ok((long)i);
}

static struct result device_attr(void *arg, int get, const char *ctx, struct kvm_device_attr *seen) {
  need_user(arg, sizeof(struct kvm_device_attr), 8, ctx, "struct kvm_device_attr");
  struct kvm_device_attr *attr = arg;
  *seen = *attr;
  if (attr->flags != 0) fatal("%s: kvm_device_attr.flags is %u, not 0", ctx, attr->flags);
  if (get) need_user((void *)(uintptr_t)attr->addr, sizeof(uint64_t), 8, ctx, "kvm_device_attr.addr");
  uint64_t value;
  if (!find_attr(attr->group, attr->attr, &value)) return fail(ENXIO);
  if (get) *(uint64_t *)(uintptr_t)attr->addr = value;
  return ok(0);
}

static struct result serve_kvm(struct entry *e, unsigned long request, void *arg) {
  char nb[96], rb[32];
  const char *rname = request_name(request, nb, sizeof(nb));
  struct result r;
  if (adv_intercept(rname, &r, NULL, NULL)) {
    log_line("kvm %s -> %s (adversarial)", rname, errno_name(r.err));
    return r;
  }
  switch (request) {
    case KVM_GET_API_VERSION:
      r = arg ? fail(EINVAL) : ok(cfg.api_version);
      log_line("kvm KVM_GET_API_VERSION -> %s", res_str(r, rb, sizeof(rb)));
      return r;
    case KVM_GET_VCPU_MMAP_SIZE:
      r = arg ? fail(EINVAL) : ok(cfg.vcpu_mmap_size);
      log_line("kvm KVM_GET_VCPU_MMAP_SIZE -> %s", res_str(r, rb, sizeof(rb)));
      return r;
    case KVM_CHECK_EXTENSION:
      r = ok(check_extension(-1, (unsigned long)arg));
      log_line("kvm KVM_CHECK_EXTENSION cap=%lu -> %s", (unsigned long)arg, res_str(r, rb, sizeof(rb)));
      return r;
    case KVM_CREATE_VM:
      r = create_vm((unsigned long)arg);
      log_line("kvm KVM_CREATE_VM type=%lu -> %s", (unsigned long)arg, r.err ? errno_name(r.err) : "vm");
      return r;
    case KVM_GET_SUPPORTED_CPUID:
    case KVM_GET_EMULATED_CPUID: {
      int emulated = request == KVM_GET_EMULATED_CPUID;
      uint32_t nent = 0;
      r = get_cpuid(arg, emulated, rname, &nent);
      log_line("kvm %s nent=%u -> %s%s", rname, nent, res_str(r, rb, sizeof(rb)),
               adv_note(rname, r, r.err == 0 ? "" : " (nent not written back)"));
      return r;
    }
    case KVM_GET_MSR_INDEX_LIST:
    case KVM_GET_MSR_FEATURE_INDEX_LIST: {
      uint32_t n_in = 0, n_out = 0;
      r = get_msr_list(arg, request == KVM_GET_MSR_FEATURE_INDEX_LIST, rname, &n_in, &n_out);
      log_line("kvm %s nmsrs=%u -> %s nmsrs=%u%s", rname, n_in, res_str(r, rb, sizeof(rb)), n_out, adv_note(rname, r, ""));
      return r;
    }
    case KVM_GET_MSRS: {
      uint32_t asked = 0;
      r = get_msrs(arg, rname, &asked);
      log_line("kvm KVM_GET_MSRS nmsrs=%u -> %s%s", asked, res_str(r, rb, sizeof(rb)), adv_note("KVM_GET_MSRS", r, ""));
      return r;
    }
    case KVM_HAS_DEVICE_ATTR:
    case KVM_GET_DEVICE_ATTR: {
      struct kvm_device_attr seen;
      r = device_attr(arg, request == KVM_GET_DEVICE_ATTR, rname, &seen);
      log_line("kvm %s group=%u attr=%llu -> %s", rname, seen.group, (unsigned long long)seen.attr, res_str(r, rb, sizeof(rb)));
      return r;
    }
    default:
      fatal("%s on a /dev/kvm fd (%d, %s) is not served", rname, e->fd, cfg.kvm_dev.path);
  }
}

/* ---------------------------------------------------------------- TDX */

static const struct kvm_cpuid_entry2 *find_cpuid_entry2(const struct kvm_cpuid_entry2 *entries, uint32_t nent,
                                                        uint32_t function, uint32_t index) {
  for (uint32_t i = 0; i < nent; i++) {
    const struct kvm_cpuid_entry2 *e = &entries[i];
    if (e->function != function) continue;
    if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index) return e;
  }
  return NULL;
}

static int tdx_unsupported_cpuid(const struct kvm_cpuid_entry2 *e) {
  /* tdx.c has_tsx() / has_waitpkg(): HLE (EBX 4), RTM (EBX 11), WAITPKG (ECX 5) of leaf 7.0. */
  return e->function == 7 && e->index == 0 && ((e->ebx & ((1u << 4) | (1u << 11))) || (e->ecx & (1u << 5)));
}

/* tdx.c tdx_get_capabilities() (7.2): nent read with get_user, E2BIG without write-back. */
static struct result tdx_capabilities(struct kvm_tdx_cmd *cmd, const char *ctx, uint32_t *nent_in) {
  if (cmd->flags != 0) return fail(EINVAL);
  if (cfg.tdx_caps.err != 0) return fail(cfg.tdx_caps.err);
  struct kvm_tdx_capabilities *caps = (void *)(uintptr_t)cmd->data;
  need_user(caps, sizeof(*caps), 8, ctx, "struct kvm_tdx_capabilities");
  uint32_t nent = caps->cpuid.nent;
  *nent_in = nent;
  if (nent > ABSURD_COUNT) fatal("%s: cpuid.nent %u is beyond any buffer", ctx, nent);
  if (!all_zero(caps->reserved, sizeof(caps->reserved))) fatal("%s: kvm_tdx_capabilities.reserved is not zeroed", ctx);
  if (caps->cpuid.padding != 0) fatal("%s: kvm_tdx_capabilities.cpuid.padding is not 0", ctx);
  const struct adv_rule *e2big = adv_find(ADV_E2BIG, ctx);
  if (e2big != NULL) {
    if (nent > 0) need_user(caps->cpuid.entries, (size_t)nent * sizeof(struct kvm_cpuid_entry2), 8, ctx, "cpuid.entries[nent]");
    caps->cpuid.nent = adv_e2big_count(e2big, nent, cfg.tdx_cpuid.n);
    return fail(E2BIG);
  }
  if (nent < cfg.tdx_cpuid.n) return fail(E2BIG);
  need_user(caps->cpuid.entries, cfg.tdx_cpuid.n * sizeof(struct kvm_cpuid_entry2), 8, ctx, "cpuid.entries");
  memset(caps, 0, sizeof(*caps));
  caps->supported_attrs = cfg.tdx_attrs;
  caps->supported_xfam = cfg.tdx_xfam;
  caps->kernel_tdvmcallinfo_1_r11 = cfg.tdx_k_r11;
  caps->user_tdvmcallinfo_1_r11 = cfg.tdx_u_r11;
  caps->kernel_tdvmcallinfo_1_r12 = cfg.tdx_k_r12;
  caps->user_tdvmcallinfo_1_r12 = cfg.tdx_u_r12;
  caps->cpuid.nent = (uint32_t)cfg.tdx_cpuid.n;
  for (size_t i = 0; i < cfg.tdx_cpuid.n; i++) caps->cpuid.entries[i] = cfg.tdx_cpuid.v[i];
  if (cfg.adv.garbage) {
    memset(caps->reserved, GARBAGE_BYTE, sizeof(caps->reserved));
    caps->cpuid.padding = GARBAGE_U32;
    for (size_t i = 0; i < cfg.tdx_cpuid.n; i++) garbage_cpuid_padding(&caps->cpuid.entries[i]);
    need_user(caps->cpuid.entries, (size_t)nent * sizeof(struct kvm_cpuid_entry2), 8, ctx, "cpuid.entries[nent]");
    garbage_cpuid_entries(caps->cpuid.entries, cfg.tdx_cpuid.n, nent);
  }
  const struct adv_rule *over = adv_find(ADV_OVERCOUNT, ctx);
  if (over != NULL) caps->cpuid.nent = adv_overcount(over, nent);
  return ok(0);
}

/* tdx.c tdx_td_init() + setup_tdparams(); the TDX module's verdict comes from the persona. */
static struct result tdx_init_vm(struct vm *vm, struct kvm_tdx_cmd *cmd, const char *ctx, uint64_t *attributes) {
  if (!cfg.tdx_init_present) fatal("%s: the persona has no tdx.initVm answer", ctx);
  if (vm->tdx_initialized) return fail(EINVAL);
  if (cmd->flags != 0) return fail(EINVAL);
  struct kvm_tdx_init_vm *init = (void *)(uintptr_t)cmd->data;
  need_user(init, sizeof(*init), 8, ctx, "struct kvm_tdx_init_vm");
  *attributes = init->attributes;
  uint32_t nent = init->cpuid.nent;
  if (nent > KVM_MAX_CPUID_ENTRIES) return fail(E2BIG);
  need_user(init->cpuid.entries, nent * sizeof(struct kvm_cpuid_entry2), 8, ctx, "cpuid.entries");
  if (!all_zero(init->reserved, sizeof(init->reserved))) return fail(EINVAL);
  if (init->cpuid.padding != 0) return fail(EINVAL);
  uint64_t supported_attrs = cfg.tdx_caps.err ? 0 : cfg.tdx_attrs;
  uint64_t supported_xfam = cfg.tdx_caps.err ? 0 : cfg.tdx_xfam;
  if (init->attributes & ~supported_attrs) return fail(EINVAL);
  if (init->xfam & ~supported_xfam) return fail(EINVAL);
  /* setup_tdparams_eptp_controls(): CPUID 0x80000008.EAX[23:16] carries the GPAW, 48 or 52. */
  const struct kvm_cpuid_entry2 *gpaw = find_cpuid_entry2(init->cpuid.entries, nent, 0x80000008, 0);
  if (gpaw == NULL) return fail(EINVAL);
  uint32_t guest_pa = (gpaw->eax >> 16) & 0xff;
  if (guest_pa != TDX_GUEST_PA_48 && guest_pa != TDX_GUEST_PA_52) return fail(EINVAL);
  /* setup_tdparams_cpuids(): every entry must land in a configurable leaf. */
  uint32_t copied = 0;
  for (size_t i = 0; i < cfg.tdx_cpuid.n; i++) {
    const struct kvm_cpuid_entry2 *leaf = &cfg.tdx_cpuid.v[i];
    const struct kvm_cpuid_entry2 *e = find_cpuid_entry2(init->cpuid.entries, nent, leaf->function, leaf->index);
    if (e == NULL) continue;
    /* Which entry the TD's leaf gets: without KVM_CPUID_FLAG_SIGNIFCANT_INDEX a sub-leaf takes sub-leaf 0's values. */
    log_line("vm KVM_TDX_INIT_VM cpuid 0x%x.%u <- 0x%x.%u flags=%u", leaf->function, leaf->index, e->function, e->index, e->flags);
    if (tdx_unsupported_cpuid(e)) return fail(EINVAL);
    copied++;
  }
  if (copied != nent) return fail(EINVAL);
  /* TDH.MNG.INIT: the module refuses with TDX_OPERAND_INVALID, which KVM hands back in hw_error. */
  if (init->attributes & ~cfg.tdx_accept) {
    cmd->hw_error = cfg.tdx_reject_hw;
    return fail(EINVAL);
  }
  vm->tdx_initialized = 1;
  return ok(0);
}

/* ---------------------------------------------------------------- SEV on a VM fd */

/* svm/sev.c sev_guest_init2() + __sev_guest_init(); the firmware's verdict comes from the persona. */
static struct result sev_init2(struct vm *vm, struct kvm_sev_cmd *cmd, const char *ctx, uint64_t *features) {
  int type = vm->type;
  const struct answer *answer = &cfg.sev_init2[type];
  if (!vm->sev_need_init) return fail(EINVAL);
  struct kvm_sev_init *init = (void *)(uintptr_t)cmd->data;
  need_user(init, sizeof(*init), 8, ctx, "struct kvm_sev_init");
  *features = init->vmsa_features;
  if (init->pad1 != 0 || !all_zero(init->pad2, sizeof(init->pad2))) fatal("%s: kvm_sev_init.pad1/pad2 are not zeroed", ctx);
  if (init->flags != 0) return fail(EINVAL);
  int es_active = type != KVM_X86_SEV_VM;
  uint64_t supported = 0;
  if (answer->err == 0) supported = cfg.sev_init2_accept[type];
  else if (!find_attr(KVM_X86_GRP_SEV, KVM_X86_SEV_VMSA_FEATURES, &supported)) supported = 0;
  uint64_t valid = es_active ? supported : 0;
  if (type != KVM_X86_SNP_VM) valid &= ~SVM_SEV_FEAT_SECURE_TSC;
  if (init->vmsa_features & ~valid) return fail(EINVAL);
  if (init->ghcb_version > GHCB_VERSION_MAX || (!es_active && init->ghcb_version)) return fail(EINVAL);
  uint32_t ghcb = init->ghcb_version;
  if (es_active && ghcb == 0) ghcb = GHCB_VERSION_DEFAULT;
  if (type == KVM_X86_SNP_VM && ghcb < 2) return fail(EINVAL);
  if (answer->err != 0) {
    if (answer->has_fw) cmd->error = answer->fw;
    return fail(answer->err);
  }
  vm->sev_need_init = 0;
  if (type == KVM_X86_SNP_VM) vm->snp_active = 1;
  return ok(0);
}

static struct result serve_mem_enc(struct entry *e, void *arg) {
  struct vm *vm = e->vm;
  char nb[32], rb[32];
  struct result r;
  if (vm->type == KVM_X86_TDX_VM) {
    if (!cfg.tdx_present) fatal("KVM_MEMORY_ENCRYPT_OP on a TDX VM, but the persona has no tdx answers");
    need_user(arg, sizeof(struct kvm_tdx_cmd), 8, "KVM_MEMORY_ENCRYPT_OP (TDX)", "struct kvm_tdx_cmd");
    struct kvm_tdx_cmd *cmd = arg;
    const char *sub = NAME_OF(tdx_cmd_names, cmd->id, nb);
    /* tdx_get_cmd(): userspace must never set hw_error. */
    if (cmd->hw_error != 0) {
      log_line("vm KVM_MEMORY_ENCRYPT_OP %s type=5 hw_error=0x%llx -> EINVAL", sub, (unsigned long long)cmd->hw_error);
      return fail(EINVAL);
    }
    if (adv_intercept(sub, &r, NULL, NULL)) {
      log_line("vm KVM_MEMORY_ENCRYPT_OP %s type=5 -> %s (adversarial)", sub, errno_name(r.err));
      return r;
    }
    if (cmd->id == KVM_TDX_CAPABILITIES) {
      /* No kvm->lock and no copy of the cmd back to userspace (kvm-x86 f26061fe2c25). */
      uint32_t nent = 0;
      r = tdx_capabilities(cmd, "KVM_TDX_CAPABILITIES", &nent);
      log_line("vm KVM_MEMORY_ENCRYPT_OP KVM_TDX_CAPABILITIES type=5 flags=%u nent=%u -> %s%s", cmd->flags, nent,
               res_str(r, rb, sizeof(rb)), adv_note("KVM_TDX_CAPABILITIES", r, r.err == E2BIG ? " (nent not written back)" : ""));
      return r;
    }
    if (cmd->id == KVM_TDX_INIT_VM) {
      struct kvm_tdx_cmd copy = *cmd;
      uint64_t attributes = 0;
      r = tdx_init_vm(vm, &copy, "KVM_TDX_INIT_VM", &attributes);
      *cmd = copy; /* tdx_vm_ioctl() copies the cmd back whatever the result */
      log_line("vm KVM_MEMORY_ENCRYPT_OP KVM_TDX_INIT_VM type=5 attributes=0x%llx -> %s hw_error=0x%llx",
               (unsigned long long)attributes, res_str(r, rb, sizeof(rb)), (unsigned long long)copy.hw_error);
      return r;
    }
    fatal("KVM_MEMORY_ENCRYPT_OP sub-command %s (%u) on a TDX VM is not served", sub, cmd->id);
  }
  if (vm->type == KVM_X86_SEV_VM || vm->type == KVM_X86_SEV_ES_VM || vm->type == KVM_X86_SNP_VM) {
    if (!cfg.sev_init2[vm->type].present)
      fatal("KVM_MEMORY_ENCRYPT_OP on a VM of type %d, but the persona has no sevInit2 answer for it", vm->type);
    if (arg == NULL) {
      /* sev_mem_enc_ioctl(): "if (!argp) return 0;" with SEV enabled. */
      log_line("vm KVM_MEMORY_ENCRYPT_OP NULL type=%d -> 0", vm->type);
      return ok(0);
    }
    need_user(arg, sizeof(struct kvm_sev_cmd), 8, "KVM_MEMORY_ENCRYPT_OP (SEV)", "struct kvm_sev_cmd");
    struct kvm_sev_cmd *cmd = arg;
    const char *sub = NAME_OF(kvm_sev_cmd_names, cmd->id, nb);
    if (cmd->id != KVM_SEV_INIT2)
      fatal("KVM_MEMORY_ENCRYPT_OP sub-command %s (%u) on a SEV VM is not served", sub, cmd->id);
    if (cmd->pad0 != 0) fatal("KVM_SEV_INIT2: kvm_sev_cmd.pad0 is not 0");
    if (adv_intercept(sub, &r, NULL, NULL)) {
      log_line("vm KVM_MEMORY_ENCRYPT_OP %s type=%d -> %s (adversarial)", sub, vm->type, errno_name(r.err));
      return r;
    }
    if (vm->snp_active) {
      /* Legacy ids on an initialised SNP VM: -EPERM, cmd not copied back. */
      log_line("vm KVM_MEMORY_ENCRYPT_OP KVM_SEV_INIT2 type=%d -> EPERM", vm->type);
      return fail(EPERM);
    }
    struct kvm_sev_cmd copy = *cmd;
    uint64_t features = 0;
    r = sev_init2(vm, &copy, "KVM_SEV_INIT2", &features);
    *cmd = copy;
    log_line("vm KVM_MEMORY_ENCRYPT_OP KVM_SEV_INIT2 type=%d vmsa_features=0x%llx -> %s error=%u", vm->type,
             (unsigned long long)features, res_str(r, rb, sizeof(rb)), copy.error);
    return r;
  }
  /* A VM of another type: VMX vt_mem_enc_ioctl() says ENOTTY for a non-TD VM, and so does SVM without SEV. */
  int sev_enabled = cfg.sev_init2[2].present || cfg.sev_init2[3].present || cfg.sev_init2[4].present;
  if (sev_enabled) {
    if (arg != NULL) fatal("KVM_MEMORY_ENCRYPT_OP on a VM of type %d (legacy SEV commands) is not served", vm->type);
    log_line("vm KVM_MEMORY_ENCRYPT_OP NULL type=%d -> 0", vm->type);
    return ok(0);
  }
  log_line("vm KVM_MEMORY_ENCRYPT_OP type=%d -> ENOTTY", vm->type);
  return fail(ENOTTY);
}

static struct result serve_vm(struct entry *e, unsigned long request, void *arg) {
  char nb[96], rb[32];
  struct result r;
  switch (request) {
    case KVM_CHECK_EXTENSION:
      if (adv_intercept("KVM_CHECK_EXTENSION", &r, NULL, NULL)) {
        log_line("vm KVM_CHECK_EXTENSION type=%d cap=%lu -> %s (adversarial)", e->vm->type, (unsigned long)arg, errno_name(r.err));
        return r;
      }
      r = ok(check_extension(e->vm->type, (unsigned long)arg));
      log_line("vm KVM_CHECK_EXTENSION type=%d cap=%lu -> %s", e->vm->type, (unsigned long)arg, res_str(r, rb, sizeof(rb)));
      return r;
    case KVM_MEMORY_ENCRYPT_OP:
      return serve_mem_enc(e, arg);
    default:
      fatal("%s on a VM fd (%d, type %d) is not served", request_name(request, nb, sizeof(nb)), e->fd, e->vm->type);
  }
}

/* ---------------------------------------------------------------- /dev/sev */

static void put_answer_error(struct sev_issue_cmd *c, const struct answer *a) {
  if (a->has_fw) c->error = a->fw;
}

static struct result serve_sev(struct entry *e, unsigned long request, void *arg) {
  char nb[96], rb[32];
  if (request != SEV_ISSUE_CMD)
    fatal("%s on a /dev/sev fd (%d) is not served", request_name(request, nb, sizeof(nb)), e->fd);
  need_user(arg, sizeof(struct sev_issue_cmd), 1, "SEV_ISSUE_CMD", "struct sev_issue_cmd");
  struct sev_issue_cmd c;
  memcpy(&c, arg, sizeof(c));
  const char *sub = NAME_OF(sev_cmd_names, c.cmd, nb);
  if (c.cmd != SEV_PLATFORM_STATUS && c.cmd != SNP_PLATFORM_STATUS && c.cmd != SEV_GET_ID2)
    fatal("/dev/sev command %s (%u) is forbidden: only SEV_PLATFORM_STATUS, SNP_PLATFORM_STATUS and SEV_GET_ID2 are served", sub, c.cmd);
  void *data = (void *)(uintptr_t)c.data;
  struct result r;
  char extra[96] = "";
  int has_fw = 0;
  uint32_t fw = 0;
  if (adv_intercept(sub, &r, &has_fw, &fw)) {
    if (has_fw) {
      c.error = fw;
      memcpy(arg, &c, sizeof(c)); /* sev_ioctl() copies the cmd back with the firmware's error */
    }
    log_line("sev SEV_ISSUE_CMD %s -> %s error=%u (adversarial)", sub, errno_name(r.err), c.error);
    return r;
  }
  if (c.cmd == SEV_PLATFORM_STATUS) {
    need_user(data, sizeof(struct sev_user_data_status), 1, "SEV_PLATFORM_STATUS", "data");
    if (!cfg.sev_status.present) fatal("SEV_PLATFORM_STATUS: the persona has no platformStatus");
    if (cfg.sev_status.err) {
      put_answer_error(&c, &cfg.sev_status);
      r = fail(cfg.sev_status.err);
    } else {
      struct sev_user_data_status s;
      memset(&s, 0, sizeof(s));
      s.api_major = cfg.st_api_major;
      s.api_minor = cfg.st_api_minor;
      s.state = cfg.st_state;
      s.flags = cfg.st_flags;
      s.build = cfg.st_build;
      s.guest_count = cfg.st_guest_count;
      memcpy(data, &s, sizeof(s));
      c.error = SEV_RET_SUCCESS;
      r = ok(0);
    }
  } else if (c.cmd == SNP_PLATFORM_STATUS) {
    need_user(data, sizeof(struct sev_user_data_snp_status), 1, "SNP_PLATFORM_STATUS", "data");
    if (!cfg.snp_status.present) fatal("SNP_PLATFORM_STATUS: the persona has no snpPlatformStatus");
    if (cfg.snp_status.err) {
      put_answer_error(&c, &cfg.snp_status);
      r = fail(cfg.snp_status.err);
    } else {
      struct sev_user_data_snp_status s;
      memset(&s, 0, sizeof(s));
      s.api_major = cfg.snp_api_major;
      s.api_minor = cfg.snp_api_minor;
      s.state = cfg.snp_state;
      s.is_rmp_initialized = cfg.snp_rmp_flags & 1;
      s.rsvd = (cfg.snp_rmp_flags >> 1) & 0x7f;
      s.build_id = cfg.snp_build_id;
      uint32_t f = cfg.snp_feature_flags;
      s.mask_chip_id = f & 1;
      s.mask_chip_key = (f >> 1) & 1;
      s.vlek_en = (f >> 2) & 1;
      s.feature_info = (f >> 3) & 1;
      s.rapl_dis = (f >> 4) & 1;
      s.ciphertext_hiding_cap = (f >> 5) & 1;
      s.ciphertext_hiding_en = (f >> 6) & 1;
      s.rsvd1 = f >> 7;
      if (cfg.adv.garbage) {
        s.rsvd |= GARBAGE_SNP_RSVD;
        s.rsvd1 |= GARBAGE_SNP_RSVD1;
      }
      s.guest_count = cfg.snp_guest_count;
      s.current_tcb_version = cfg.snp_current_tcb;
      s.reported_tcb_version = cfg.snp_reported_tcb;
      memcpy(data, &s, sizeof(s));
      c.error = SEV_RET_SUCCESS;
      r = ok(0);
    }
  } else {
    /* sev_ioctl_do_get_id2(): the firmware answers INVALID_LEN with the length it needs. */
    need_user(data, sizeof(struct sev_user_data_get_id2), 1, "SEV_GET_ID2", "data");
    if (!cfg.id2.present) fatal("SEV_GET_ID2: the persona has no getId2");
    struct sev_user_data_get_id2 in;
    memcpy(&in, data, sizeof(in));
    snprintf(extra, sizeof(extra), " address=%s length=%u", in.address ? "set" : "0", in.length);
    if (cfg.id2.err) {
      put_answer_error(&c, &cfg.id2);
      r = fail(cfg.id2.err);
    } else {
      uint32_t len = (in.address && in.length) ? in.length : 0;
      if (len < cfg.id2_len) {
        c.error = SEV_RET_INVALID_LEN;
        r = fail(EIO);
      } else {
        need_user((void *)(uintptr_t)in.address, cfg.id2_len, 1, "SEV_GET_ID2", "address");
        memcpy((void *)(uintptr_t)in.address, cfg.id2_bytes, cfg.id2_len);
        if (cfg.adv.garbage && len > cfg.id2_len) {
          need_user((void *)(uintptr_t)in.address, len, 1, "SEV_GET_ID2", "address[length]");
          memset((uint8_t *)(uintptr_t)in.address + cfg.id2_len, GARBAGE_BYTE, len - cfg.id2_len);
        }
        c.error = SEV_RET_SUCCESS;
        r = ok(0);
      }
      in.length = (uint32_t)cfg.id2_len;
      if (cfg.adv.id2_length >= 0) {
        in.length = (uint32_t)cfg.adv.id2_length; /* only cfg.id2_len bytes were written */
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " (adversarial length %u)", in.length);
      }
      memcpy(data, &in, sizeof(in));
    }
  }
  memcpy(arg, &c, sizeof(c)); /* sev_ioctl() copies the sev_issue_cmd back */
  log_line("sev SEV_ISSUE_CMD %s%s -> %s error=%u", sub, extra, res_str(r, rb, sizeof(rb)), c.error);
  return r;
}

/* ---------------------------------------------------------------- interposed calls */

static int is_device_request(unsigned long request) {
  return _IOC_TYPE(request) == KVMIO || request == SEV_ISSUE_CMD;
}

/* The tracked entry for `fd`, or NULL when the fd is not ours (any more). Lock held. */
static struct entry *live_entry(int fd, unsigned long request) {
  struct entry *e = find_entry(fd);
  if (e == NULL) return NULL;
  char nb[96];
  RESOLVE(fcntl);
  if (e->closed) {
    if (real_fcntl(fd, F_GETFD) < 0 && errno == EBADF)
      fatal("%s on fd %d, a tracked %s fd already closed", request_name(request, nb, sizeof(nb)), fd, kind_name(e));
    if (is_device_request(request))
      fatal("%s on fd %d: that tracked %s fd was closed and its number now belongs to another file",
            request_name(request, nb, sizeof(nb)), fd, kind_name(e));
    drop_entry(e);
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    if (errno == EBADF)
      fatal("%s on fd %d, a tracked %s fd that was closed behind the double's back",
            request_name(request, nb, sizeof(nb)), fd, kind_name(e));
    fatal("fstat(%d) failed: %s", fd, strerror(errno));
  }
  if (st.st_dev != e->dev || st.st_ino != e->ino) {
    drop_entry(e); /* closed with a raw syscall and the number reused */
    return NULL;
  }
  return e;
}

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  RESOLVE(ioctl);
  ensure_config();
  if (!cfg.active) return real_ioctl(fd, request, arg);
  pthread_mutex_lock(&lock);
  struct entry *e = live_entry(fd, request);
  if (e == NULL) {
    pthread_mutex_unlock(&lock);
    return real_ioctl(fd, request, arg);
  }
  struct result r;
  switch (e->kind) {
    case K_KVM: r = serve_kvm(e, request, arg); break;
    case K_SEV: r = serve_sev(e, request, arg); break;
    case K_VM: r = serve_vm(e, request, arg); break;
    default: fatal("corrupt fd table");
  }
  pthread_mutex_unlock(&lock);
  if (r.err) {
    errno = r.err;
    return -1;
  }
  return (int)r.ret;
}

static int after_open(int fd) {
  if (fd < 0) return fd;
  int saved = errno;
  ensure_config();
  pthread_mutex_lock(&lock);
  forget_fd(fd);
  if (cfg.active && (cfg.kvm_dev.present || cfg.sev_dev.present)) {
    struct stat st;
    if (fstat(fd, &st) == 0) {
      if (cfg.kvm_dev.present && st.st_dev == cfg.kvm_dev.dev && st.st_ino == cfg.kvm_dev.ino)
        add_entry(fd, K_KVM, st.st_dev, st.st_ino, NULL);
      else if (cfg.sev_dev.present && st.st_dev == cfg.sev_dev.dev && st.st_ino == cfg.sev_dev.ino)
        add_entry(fd, K_SEV, st.st_dev, st.st_ino, NULL);
    }
  }
  pthread_mutex_unlock(&lock);
  errno = saved;
  return fd;
}

static mode_t open_mode(int flags, va_list ap) {
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) return (mode_t)va_arg(ap, int);
  return 0;
}

int open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = open_mode(flags, ap);
  va_end(ap);
  RESOLVE(open);
  return after_open(real_open(path, flags, mode));
}

int open64(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = open_mode(flags, ap);
  va_end(ap);
  RESOLVE(open64);
  return after_open(real_open64(path, flags, mode));
}

int openat(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = open_mode(flags, ap);
  va_end(ap);
  RESOLVE(openat);
  return after_open(real_openat(dirfd, path, flags, mode));
}

int openat64(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = open_mode(flags, ap);
  va_end(ap);
  RESOLVE(openat64);
  return after_open(real_openat64(dirfd, path, flags, mode));
}

int __open_2(const char *path, int flags) {
  RESOLVE(__open_2);
  return after_open(real___open_2(path, flags));
}

int __open64_2(const char *path, int flags) {
  RESOLVE(__open64_2);
  return after_open(real___open64_2(path, flags));
}

int __openat_2(int dirfd, const char *path, int flags) {
  RESOLVE(__openat_2);
  return after_open(real___openat_2(dirfd, path, flags));
}

int __openat64_2(int dirfd, const char *path, int flags) {
  RESOLVE(__openat64_2);
  return after_open(real___openat64_2(dirfd, path, flags));
}

int close(int fd) {
  RESOLVE(close);
  ensure_config();
  if (!cfg.active) return real_close(fd);
  pthread_mutex_lock(&lock);
  struct entry *e = find_entry(fd);
  int r = real_close(fd);
  int saved = errno;
  if (e != NULL && !e->closed) {
    vm_put(e->vm);
    e->vm = NULL;
    e->closed = 1;
  }
  pthread_mutex_unlock(&lock);
  errno = saved;
  return r;
}

/* `newfd` now refers to what `oldfd` refers to. Lock held. */
static void after_dup(int oldfd, int newfd) {
  forget_fd(newfd);
  struct entry *e = find_entry(oldfd);
  if (e == NULL || e->closed) return;
  struct stat st;
  if (fstat(newfd, &st) != 0 || st.st_dev != e->dev || st.st_ino != e->ino) return;
  add_entry(newfd, e->kind, e->dev, e->ino, e->vm);
}

int dup(int oldfd) {
  RESOLVE(dup);
  ensure_config();
  int fd = real_dup(oldfd);
  if (fd < 0 || !cfg.active) return fd;
  int saved = errno;
  pthread_mutex_lock(&lock);
  after_dup(oldfd, fd);
  pthread_mutex_unlock(&lock);
  errno = saved;
  return fd;
}

int dup2(int oldfd, int newfd) {
  RESOLVE(dup2);
  ensure_config();
  int fd = real_dup2(oldfd, newfd);
  if (fd < 0 || !cfg.active || oldfd == newfd) return fd;
  int saved = errno;
  pthread_mutex_lock(&lock);
  after_dup(oldfd, fd);
  pthread_mutex_unlock(&lock);
  errno = saved;
  return fd;
}

int dup3(int oldfd, int newfd, int flags) {
  RESOLVE(dup3);
  ensure_config();
  int fd = real_dup3(oldfd, newfd, flags);
  if (fd < 0 || !cfg.active) return fd;
  int saved = errno;
  pthread_mutex_lock(&lock);
  after_dup(oldfd, fd);
  pthread_mutex_unlock(&lock);
  errno = saved;
  return fd;
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg) {
  int r = real(fd, cmd, arg);
  if (r < 0 || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)) return r;
  ensure_config();
  if (!cfg.active) return r;
  int saved = errno;
  pthread_mutex_lock(&lock);
  after_dup(fd, r);
  pthread_mutex_unlock(&lock);
  errno = saved;
  return r;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  RESOLVE(fcntl);
  return fcntl_common(real_fcntl, fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  if (real_fcntl64 == NULL) *(void **)(&real_fcntl64) = dlsym(RTLD_NEXT, "fcntl64");
  if (real_fcntl64 == NULL) {
    RESOLVE(fcntl);
    return fcntl_common(real_fcntl, fd, cmd, arg);
  }
  return fcntl_common(real_fcntl64, fd, cmd, arg);
}
