// Files that hold secrets; see secret_file.h.
#include "safekeeper/skctl/secret_file.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace sk::skctl {

namespace fs = std::filesystem;

Status write_secret_file(const fs::path& path, const std::string& text, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Error(errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kIoError,
                 "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      return Error(ErrorCode::kIoError,
                   "cannot write " + path.string() + ": " + std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    return Error(ErrorCode::kIoError, "cannot sync " + path.string());
  }
  return {};
}

Status replace_secret_file(const fs::path& path, const std::string& text, unsigned mode) {
  const fs::path temporary = path.string() + ".tmp";
  std::error_code ec;
  fs::remove(temporary, ec);
  if (Status s = write_secret_file(temporary, text, mode); !s) {
    return s;
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot write " + path.string() + ": " + ec.message());
  }
  return {};
}

Status make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) {
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot create " + dir.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace sk::skctl
