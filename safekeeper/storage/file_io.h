// The POSIX calls the WAL files need, with EINTR and short transfers handled and errno turned
// into an Error naming the file: shared by the store that writes the files and the readers
// that read them from other threads (wal_file_map.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "consensus/result.h"

namespace sk::storage {

// kNoSpace for ENOSPC and EDQUOT, kIoError otherwise: "<doing> <path>: <strerror>".
Error io_error(const std::string& doing, const std::filesystem::path& path, int err);

// pread until `size` bytes are in `data`; kCorruption if the file ends first.
Status read_all(int fd, std::uint8_t* data, std::size_t size, std::uint64_t offset,
                const std::filesystem::path& path);
// pwrite until all `size` bytes are written.
Status write_all(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset,
                 const std::filesystem::path& path);

}  // namespace sk::storage
