// Kernel ABI of /dev/sev (include/uapi/linux/psp-sev.h) for the read-only commands
// kvm-caps issues. Checked against the Linux 7.2 UAPI headers by test/abi.test.ts.
#ifndef KVM_CAPS_NATIVE_SEV_ABI_H_
#define KVM_CAPS_NATIVE_SEV_ABI_H_

#include <cstddef>
#include <cstdint>

#include "kvm_abi.h"

namespace kvmcaps::abi {

// The psp-sev.h structs are packed.
#pragma pack(push, 1)

struct SevIssueCmd {
  uint32_t cmd;
  uint64_t data;
  uint32_t error;
};

struct SevUserDataStatus {
  uint8_t api_major;
  uint8_t api_minor;
  uint8_t state;
  uint32_t flags;
  uint8_t build;
  uint32_t guest_count;
};

struct SevUserDataGetId2 {
  uint64_t address;
  uint32_t length;
};

// struct sev_user_data_snp_status, with its two bitfield words kept whole: the
// addon reports them raw and lib/ names the bits.
struct SevUserDataSnpStatus {
  uint8_t api_major;
  uint8_t api_minor;
  uint8_t state;
  uint8_t rmp_flags;  // is_rmp_initialized:1, rsvd:7
  uint32_t build_id;
  uint32_t feature_flags;  // mask_chip_id:1 ... ciphertext_hiding_en:1, rsvd1:25
  uint32_t guest_count;
  uint64_t current_tcb_version;
  uint64_t reported_tcb_version;
};

#pragma pack(pop)

static_assert(sizeof(SevIssueCmd) == 16, "sev_issue_cmd is 16 bytes");
static_assert(offsetof(SevIssueCmd, data) == 4, "sev_issue_cmd.data");
static_assert(offsetof(SevIssueCmd, error) == 12, "sev_issue_cmd.error");
static_assert(sizeof(SevUserDataStatus) == 12, "sev_user_data_status is 12 bytes");
static_assert(offsetof(SevUserDataStatus, flags) == 3, "sev_user_data_status.flags");
static_assert(offsetof(SevUserDataStatus, build) == 7, "sev_user_data_status.build");
static_assert(offsetof(SevUserDataStatus, guest_count) == 8, "sev_user_data_status.guest_count");
static_assert(sizeof(SevUserDataGetId2) == 12, "sev_user_data_get_id2 is 12 bytes");
static_assert(sizeof(SevUserDataSnpStatus) == 32, "sev_user_data_snp_status is 32 bytes");
static_assert(offsetof(SevUserDataSnpStatus, build_id) == 4, "sev_user_data_snp_status.build_id");
static_assert(offsetof(SevUserDataSnpStatus, guest_count) == 12, "sev_user_data_snp_status.guest_count");
static_assert(offsetof(SevUserDataSnpStatus, current_tcb_version) == 16,
              "sev_user_data_snp_status.current_tcb_version");
static_assert(offsetof(SevUserDataSnpStatus, reported_tcb_version) == 24,
              "sev_user_data_snp_status.reported_tcb_version");

// SEV_ISSUE_CMD = _IOWR('S', 0x0, struct sev_issue_cmd)
constexpr unsigned long kSevIssueCmd = Ioc(kIocRead | kIocWrite, 'S', 0x0, sizeof(SevIssueCmd));

// The read-only /dev/sev commands, the only ones the addon can send. Everything else in
// psp-sev.h (factory reset, key and certificate generation or import, SNP_COMMIT,
// SNP_SET_CONFIG, SNP_VLEK_LOAD) changes platform state and has no path here.
constexpr uint32_t kSevPlatformStatus = 1;
constexpr uint32_t kSevGetId2 = 8;
constexpr uint32_t kSnpPlatformStatus = 9;

}  // namespace kvmcaps::abi

#endif  // KVM_CAPS_NATIVE_SEV_ABI_H_
