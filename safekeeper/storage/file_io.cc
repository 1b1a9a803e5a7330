// The WAL files' POSIX helpers; see file_io.h.
#include "safekeeper/storage/file_io.h"

#include <cerrno>
#include <cstring>

#include <sys/resource.h>
#include <unistd.h>

namespace sk::storage {

Error io_error(const std::string& doing, const std::filesystem::path& path, int err) {
  const ErrorCode code = err == ENOSPC || err == EDQUOT                    ? ErrorCode::kNoSpace
                         : err == EMFILE || err == ENFILE || err == ENOMEM ? ErrorCode::kUnavailable
                                                                           : ErrorCode::kIoError;
  return Error(code, doing + " " + path.string() + ": " + std::strerror(err));
}

Status write_all(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset,
                 const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("writing", path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

Status read_all(int fd, std::uint8_t* data, std::size_t size, std::uint64_t offset,
                const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("reading", path, errno);
    }
    if (n == 0) {
      return Error(ErrorCode::kCorruption, "reading " + path.string() + ": file ends early");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

void lower_this_threads_priority() {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
}

}  // namespace sk::storage
