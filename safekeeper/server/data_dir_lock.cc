// One safekeeper per data directory; see data_dir_lock.h.
#include "safekeeper/server/data_dir_lock.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace sk::safekeeper {

namespace fs = std::filesystem;

Result<DataDirLock> DataDirLock::acquire(const fs::path& data_dir) {
  // Never created here: a data directory that is gone is a lost disk, for Node::open to refuse.
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) {
    return Error(ErrorCode::kNotFound,
                 "the data directory " + data_dir.string() + " does not exist or is no directory");
  }
  const fs::path path = data_dir / "safekeeper.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorCode::kIoError, "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    if (saved == EWOULDBLOCK) {
      std::string pid = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
        pid.pop_back();
      }
      return Error(ErrorCode::kFailedPrecondition,
                   "another safekeeper" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                       " uses the data directory " + data_dir.string());
    }
    return Error(ErrorCode::kIoError, "cannot lock " + path.string() + ": " + std::strerror(saved));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    const int saved = errno;
    ::close(fd);
    return Error(ErrorCode::kIoError,
                 "cannot write " + path.string() + ": " + std::strerror(saved));
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // Releases the lock.
  }
}

}  // namespace sk::safekeeper
