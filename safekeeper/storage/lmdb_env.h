// LmdbEnv: the node's one LMDB environment (a directory holding data.mdb and lock.mdb) and its
// named databases. Every LMDB call of the safekeeper goes through here, so LMDB's error codes
// become Errors in one place: a full map (MDB_MAP_FULL) or disk (ENOSPC) is kNoSpace, naming the
// map size; a failed open is kIoError naming the path; anything else kIoError with LMDB's text.
//
// Durability: the environment is opened without MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP, so
// a write transaction's commit returns only after LMDB has fdatasync'ed its data and then its
// meta page. A crash leaves either the whole transaction or none of it.
//
// The layout (which databases exist and what their keys mean) has a version, kept in the `meta`
// database; open() refuses an environment written with another layout version.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consensus/result.h"

namespace sk::storage {

inline constexpr std::uint32_t kLmdbLayoutVersion = 1;

class LmdbEnv {
 public:
  struct Options {
    // LMDB's fixed upper bound on the environment's size (sparse on disk). 64 MiB holds the
    // control state of tens of thousands of timelines.
    std::uint64_t map_size_bytes = std::uint64_t{64} << 20;
  };
  // A named database, from database().
  enum class Database : std::uint8_t { kMeta, kControl, kSlots, kCommitIndex };

  // Opens (creating if needed) the environment in `dir`, which must exist.
  static Result<std::unique_ptr<LmdbEnv>> open(const std::filesystem::path& dir, Options options);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // One key; nullopt when absent.
  Result<std::optional<std::string>> get(Database db, std::string_view key) const;
  // Writes one key in its own transaction; durable when OK, unchanged otherwise.
  Status put(Database db, std::string_view key, std::string_view value);
  // Removes one key (absent is fine) in its own transaction; durable when OK.
  Status erase(Database db, std::string_view key);
  // Writes `puts` and removes every key in [erase_from, erase_to) (none when equal) in one
  // transaction; durable when OK, unchanged otherwise.
  Status write(Database db, const std::vector<std::pair<std::string, std::string>>& puts,
               std::string_view erase_from = {}, std::string_view erase_to = {});
  // Every key in order, with its value.
  Result<std::vector<std::pair<std::string, std::string>>> scan(Database db) const;

  const std::filesystem::path& dir() const { return dir_; }
  std::uint64_t map_size_bytes() const { return map_size_bytes_; }

 private:
  struct Handles;
  LmdbEnv(std::filesystem::path dir, std::uint64_t map_size_bytes,
          std::unique_ptr<Handles> handles);
  Error error(int rc, const std::string& doing) const;
  Status check_layout();

  std::filesystem::path dir_;
  std::uint64_t map_size_bytes_;
  std::unique_ptr<Handles> handles_;
};

}  // namespace sk::storage
