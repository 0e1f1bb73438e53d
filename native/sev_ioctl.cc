#include "sev_ioctl.h"

#include <errno.h>
#include <sys/ioctl.h>

#include <utility>

namespace kvmcaps {
namespace {

constexpr uint32_t kSevRetInvalidLen = 0x0004;  // SEV_RET_INVALID_LEN
constexpr uint32_t kMaxIdLength = 4096;

int Issue(int fd, uint32_t command, void* data, uint32_t* fw_error) {
  abi::SevIssueCmd cmd{};
  cmd.cmd = command;
  cmd.data = reinterpret_cast<uintptr_t>(data);
  int r;
  do {
    r = ioctl(fd, abi::kSevIssueCmd, &cmd);
  } while (r < 0 && errno == EINTR);
  int err = r < 0 ? errno : 0;
  *fw_error = cmd.error;
  return err;
}

}  // namespace

int SevPlatformStatus(int fd, abi::SevUserDataStatus* out, uint32_t* fw_error) {
  *out = abi::SevUserDataStatus{};
  return Issue(fd, abi::kSevPlatformStatus, out, fw_error);
}

int SnpPlatformStatus(int fd, abi::SevUserDataSnpStatus* out, uint32_t* fw_error) {
  *out = abi::SevUserDataSnpStatus{};
  return Issue(fd, abi::kSnpPlatformStatus, out, fw_error);
}

int SevGetId2(int fd, std::vector<uint8_t>* id, uint32_t* fw_error) {
  uint32_t length = 64;
  for (int attempt = 0; attempt < 2; attempt++) {
    std::vector<uint8_t> buf(length, 0);
    abi::SevUserDataGetId2 request{};
    request.address = reinterpret_cast<uintptr_t>(buf.data());
    request.length = length;
    int err = Issue(fd, abi::kSevGetId2, &request, fw_error);
    if (err == EIO && *fw_error == kSevRetInvalidLen && request.length > length && request.length <= kMaxIdLength) {
      length = request.length;  // Firmware wrote back the length it needs.
      continue;
    }
    if (err != 0) return err;
    if (request.length > length) return EOVERFLOW;
    buf.resize(request.length);
    *id = std::move(buf);
    return 0;
  }
  return EIO;
}

}  // namespace kvmcaps
