// Copy-on-write tree copies; see clone_tree.h.
#include "safekeeper/skctl/clone_tree.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sk::skctl {
namespace fs = std::filesystem;
namespace {

Error io_error(const std::string& what, const fs::path& path) {
  return Error(ErrorCode::kIoError, what + " " + path.string() + ": " + std::strerror(errno));
}

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// Whether a failed FICLONE means "this file system (pair) cannot clone", as opposed to an I/O
// error that a copy would meet too.
bool clone_unsupported(int error) {
  return error == EOPNOTSUPP || error == ENOTTY || error == EXDEV || error == EINVAL ||
         error == ENOSYS;
}

// Copies the bytes with copy_file_range (in-kernel), or through a buffer where the kernel cannot
// copy between these two file systems.
Status copy_bytes(int in, int out, std::uint64_t size, const fs::path& source) {
  std::uint64_t done = 0;
  bool in_kernel = true;
  std::vector<char> buffer;
  while (done < size) {
    ssize_t n = -1;
    if (in_kernel) {
      n = ::copy_file_range(in, nullptr, out, nullptr, size - done, 0);
      if (n < 0 && (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)) {
        in_kernel = false;
        buffer.resize(1 << 20);
        continue;
      }
    } else {
      n = ::read(in, buffer.data(), std::min<std::uint64_t>(buffer.size(), size - done));
      if (n > 0 && ::write(out, buffer.data(), static_cast<std::size_t>(n)) != n) {
        return io_error("cannot write the copy of", source);
      }
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return io_error("cannot copy", source);
    }
    if (n == 0) {
      return Error(ErrorCode::kIoError, "cannot copy " + source.string() + ": it shrank");
    }
    done += static_cast<std::uint64_t>(n);
  }
  return {};
}

// One regular file; `cloned` says how it went.
Status clone_file(const fs::path& source, const fs::path& target, mode_t mode, bool& cloned) {
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) {
    return io_error("cannot open", source);
  }
  struct stat st {};
  if (::fstat(in.fd, &st) != 0) {
    return io_error("cannot stat", source);
  }
  Fd out(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777));
  if (out.fd < 0) {
    return io_error("cannot create", target);
  }
  if (::ioctl(out.fd, FICLONE, in.fd) == 0) {
    cloned = true;
    return {};
  }
  if (!clone_unsupported(errno)) {
    return io_error("cannot clone", source);
  }
  cloned = false;
  return copy_bytes(in.fd, out.fd, static_cast<std::uint64_t>(st.st_size), source);
}

// Whether the symbolic link `link`, placed at `at`, names something inside `root` (both
// lexically: nothing on the way is resolved, as the link may name what is not copied yet).
bool stays_inside(const fs::path& link, const fs::path& at, const fs::path& root) {
  if (link.is_absolute()) {
    return false;
  }
  const fs::path resolved = (at.parent_path() / link).lexically_normal();
  const fs::path relative = resolved.lexically_relative(root.lexically_normal());
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

Result<CloneReport> clone_tree(const fs::path& source, const fs::path& target) {
  std::error_code ec;
  if (!fs::is_directory(source, ec)) {
    return Error(ErrorCode::kNotFound, source.string() + " is not a directory");
  }
  fs::create_directories(target, ec);
  if (ec || !fs::is_empty(target, ec)) {
    return Error(ErrorCode::kFailedPrecondition,
                 "cannot copy into " + target.string() + ": it is not an empty directory");
  }
  fs::permissions(target, fs::status(source).permissions(), ec);
  CloneReport report;
  for (auto it = fs::recursive_directory_iterator(source, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path from = it->path();
    const fs::path to = target / from.lexically_relative(source);
    const fs::file_status status = it->symlink_status(ec);
    if (ec) {
      break;
    }
    if (fs::is_symlink(status)) {
      const fs::path link = fs::read_symlink(from, ec);
      if (!ec && !stays_inside(link, to, target)) {
        // The copy is handed to the postgres user: a link out of it would give PostgreSQL (and
        // whoever made the snapshot) files of this machine that are not the snapshot's.
        return Error(ErrorCode::kCorruption, from.string() + " is a symbolic link out of the " +
                                                 "snapshot (to " + link.string() + "): refused");
      }
      fs::create_symlink(link, to, ec);
    } else if (fs::is_directory(status)) {
      fs::create_directory(to, ec);
      fs::permissions(to, status.permissions(), ec);
    } else if (fs::is_regular_file(status)) {
      bool cloned = false;
      if (Status s = clone_file(from, to, static_cast<mode_t>(status.permissions()), cloned); !s) {
        return s.error();
      }
      ++report.files;
      report.cloned_files += cloned ? 1 : 0;
      report.copied_bytes += cloned ? 0 : fs::file_size(to, ec);
    } else {
      return Error(ErrorCode::kFailedPrecondition,
                   from.string() + " is neither a file, a directory nor a link");
    }
    if (ec) {
      break;
    }
  }
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot copy " + source.string() + ": " + ec.message());
  }
  return report;
}

bool can_clone_within(const fs::path& dir) {
  const fs::path probe_source = dir / ".clone-probe";
  const fs::path probe_target = dir / ".clone-probe.copy";
  std::error_code ec;
  fs::remove(probe_source, ec);
  fs::remove(probe_target, ec);
  bool cloned = false;
  {
    Fd source(::open(probe_source.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    Fd target(::open(probe_target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    const char block[4096] = {1};
    cloned = source.fd >= 0 && target.fd >= 0 &&
             ::write(source.fd, block, sizeof block) == static_cast<ssize_t>(sizeof block) &&
             ::ioctl(target.fd, FICLONE, source.fd) == 0;
  }
  fs::remove(probe_source, ec);
  fs::remove(probe_target, ec);
  return cloned;
}

}  // namespace sk::skctl
