// Files that hold secrets (private keys, tokens, passwords): created with the mode asked for
// from the first byte (never world-readable for a moment), synced before they count.
#pragma once

#include <filesystem>
#include <string>

#include "consensus/result.h"

namespace sk::skctl {

// Writes `text` to a new file `path` with `mode`, synced; kAlreadyExists if it exists.
Status write_secret_file(const std::filesystem::path& path, const std::string& text, unsigned mode);

// Replaces `path` with `text` (mode `mode`) at once: written beside it, synced, then renamed
// over it, so that a reader sees the old file or the new one, never part of either.
Status replace_secret_file(const std::filesystem::path& path, const std::string& text,
                           unsigned mode);

// Creates `dir` (and its parents) and makes `dir` itself 0700.
Status make_private_dir(const std::filesystem::path& dir);

}  // namespace sk::skctl
