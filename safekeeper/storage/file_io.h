// The POSIX calls the WAL files need, with EINTR and short transfers handled and errno turned
// into an Error naming the file: shared by the store that writes the files and the readers
// that read them from other threads (wal_file_map.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "consensus/result.h"

namespace sk::storage {

// kNoSpace for ENOSPC and EDQUOT, kUnavailable for EMFILE, ENFILE and ENOMEM (out of
// descriptors or memory: it passes), kIoError otherwise: "<doing> <path>: <strerror>".
Error io_error(const std::string& doing, const std::filesystem::path& path, int err);

// pread until `size` bytes are in `data`; kCorruption if the file ends first.
Status read_all(int fd, std::uint8_t* data, std::size_t size, std::uint64_t offset,
                const std::filesystem::path& path);
// pwrite until all `size` bytes are written.
Status write_all(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset,
                 const std::filesystem::path& path);

// For threads doing background file work (the next segment's zero-fill, readers' WAL reads):
// the lowest CPU priority for the calling thread alone (Linux nice values are per thread), so
// that on a busy machine the cores go first to the appends and their fdatasync.
void lower_this_threads_priority();

}  // namespace sk::storage
