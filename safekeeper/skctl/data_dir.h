// What a compute's local data directory is worth when it starts again. The quorum holds every
// acknowledged byte; the directory is only a cache of it, written with fsync = off by default.
// So a directory is reused only after a stop that skctl saw through: PostgreSQL shut down
// cleanly, then skctl synced the directory's file system and wrote a marker (clean-stop). Any
// other directory (PostgreSQL or the machine killed, the marker missing) may hold pages that
// never reached the disk and is rebuilt from a snapshot and the safekeepers' WAL instead.
//
// The marker is removed before PostgreSQL starts on a reused directory, so that a crash after
// that start leaves the directory unclean again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::skctl {

// The fields of pg_controldata's output that a restart looks at.
struct ControlData {
  std::string cluster_state;  // "shut down", "shut down in recovery", "in production", ...
  consensus::Lsn checkpoint_lsn;
  std::uint64_t seg_size_bytes = 0;
};
// Parses pg_controldata's text (PostgreSQL 15, LC_ALL=C). kCorruption if a field is missing.
Result<ControlData> parse_controldata(const std::string& text);
// pg_controldata run on `pgdata`, parsed.
Result<ControlData> read_controldata(const std::filesystem::path& pgdata,
                                     const std::filesystem::path& pg_bindir);
// "shut down" (a primary) or "shut down in recovery" (a standby).
bool shut_down_cleanly(const ControlData& control);

enum class DataDirState : std::uint8_t {
  kEmpty,      // Missing or empty: restore into it.
  kCleanStop,  // skctl's, stopped cleanly and synced: may be reused.
  kUnclean,    // skctl's, but not known to be whole on disk: rebuild.
  kForeign,    // Not empty and not made by skctl: left alone, the start is refused.
};

struct DataDirInspection {
  DataDirState state = DataDirState::kEmpty;
  // kCleanStop: where its WAL ends (the end of the shutdown checkpoint record).
  std::optional<consensus::Lsn> wal_end;
  std::string why;  // For kUnclean and kForeign: what was found, for the log line.
};

// The file skctl writes into every data directory it makes (the endpoint's settings): how a
// directory is known to be skctl's.
inline constexpr const char* kSkctlConfigFile = "postgresql.skctl.conf";

DataDirInspection inspect_data_dir(const std::filesystem::path& pgdata,
                                   const std::filesystem::path& pg_bindir);

// After PostgreSQL stopped cleanly: syncs the directory's file system, then writes and syncs the
// clean-stop marker. Not called after an unclean stop.
Status mark_clean_stop(const std::filesystem::path& pgdata);
// Removes the marker, durably, before PostgreSQL starts on the directory.
Status forget_clean_stop(const std::filesystem::path& pgdata);
// Empties a directory inspect_data_dir() found skctl's (kUnclean or kCleanStop) for a rebuild.
Status clear_data_dir(const std::filesystem::path& pgdata);

// The end of the valid WAL in `pgdata`'s pg_wal from `from`, a record boundary (PostgreSQL
// timeline 1): where the last whole record ends.
Result<consensus::Lsn> local_wal_end(const std::filesystem::path& pgdata, consensus::Lsn from,
                                     std::uint64_t seg_size_bytes);

}  // namespace sk::skctl
