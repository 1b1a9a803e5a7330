// DataDirLock: one safekeeper per data directory. LMDB lets several processes open one
// environment, and two daemons on one directory would each believe its votes and WAL are its
// own; so the daemon takes an exclusive flock() on DATA_DIR/safekeeper.lock (with its pid in it)
// before it opens anything, and holds it until it exits. The kernel drops the lock when the
// process dies, however it dies: there is no stale lock to clean up.
#pragma once

#include <filesystem>

#include "consensus/result.h"

namespace sk::safekeeper {

class DataDirLock {
 public:
  // Locks `data_dir`. kNotFound if it is not a directory (it is never created here);
  // kFailedPrecondition naming the pid written by the holder when another process holds it;
  // kIoError if the lock file cannot be made.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sk::safekeeper
