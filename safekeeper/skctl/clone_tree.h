// Copy-on-write copies of a directory tree: each regular file is cloned with FICLONE (the
// reflink `cp --reflink` makes on XFS with reflink=1, btrfs, bcachefs), so a copy costs time in
// files, not bytes, and shares every block with its source until one side writes it. Where the
// file system cannot clone (ext4, tmpfs, two file systems), the bytes are copied instead and the
// report says so.
#pragma once

#include <cstdint>
#include <filesystem>

#include "consensus/result.h"

namespace sk::skctl {

struct CloneReport {
  std::uint64_t files = 0;
  std::uint64_t cloned_files = 0;  // The rest were copied.
  std::uint64_t copied_bytes = 0;  // Bytes of the files that were copied, not cloned.

  bool all_cloned() const { return cloned_files == files; }
};

// Recreates `source` (a directory) at `target` (created; must not exist or be empty): its
// directories with their permission bits, its regular files cloned (or copied), its symbolic
// links as links, which must stay inside the tree (relative, and not out through "..":
// kCorruption otherwise, since the copy is handed to another user). Anything else (sockets,
// devices) is kFailedPrecondition, as is a target that is not empty. Files are not fsynced: callers
// that need the copy durable sync its file system.
Result<CloneReport> clone_tree(const std::filesystem::path& source,
                               const std::filesystem::path& target);

// Whether files under `dir` can be cloned within its file system: clones one scratch file.
bool can_clone_within(const std::filesystem::path& dir);

}  // namespace sk::skctl
