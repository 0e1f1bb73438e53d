// The read-only /dev/sev commands, free of Node-API. Each returns 0 or a positive errno;
// `fw_error` receives the firmware's status (sev_issue_cmd.error) either way.
#ifndef KVM_CAPS_NATIVE_SEV_IOCTL_H_
#define KVM_CAPS_NATIVE_SEV_IOCTL_H_

#include <cstdint>
#include <vector>

#include "sev_abi.h"

namespace kvmcaps {

int SevPlatformStatus(int fd, abi::SevUserDataStatus* out, uint32_t* fw_error);
int SnpPlatformStatus(int fd, abi::SevUserDataSnpStatus* out, uint32_t* fw_error);
// SEV_GET_ID2: the chip id. Asks with room for 64 bytes (one socket's id, as firmware
// reports it today) and once more with the length firmware asks for, bounded.
int SevGetId2(int fd, std::vector<uint8_t>* id, uint32_t* fw_error);

}  // namespace kvmcaps

#endif  // KVM_CAPS_NATIVE_SEV_IOCTL_H_
