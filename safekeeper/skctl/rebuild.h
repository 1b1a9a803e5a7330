// A compute's or replica's data directory rebuilt from what the cluster holds: the newest usable
// snapshot on the branch's ancestry cloned (a damaged one passed over for the next older), and
// the branch's composed WAL from that snapshot's start up to exactly the end asked for, fetched
// into pg_wal (a replica fetches none: it streams). A new root branch is initdb'd instead.
#pragma once

#include <filesystem>
#include <optional>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/skctl/cluster_queries.h"
#include "safekeeper/skctl/compute.h"

namespace sk::skctl {

// Into `request.pgdata` (empty). `end` nullopt: a root branch with no WAL yet (initdb). Returns
// false for initdb, true for a restore.
Result<bool> rebuild_data_dir(const ApiClient& api, const LocalSettings& local,
                              const std::filesystem::path& bindir, const StartRequest& request,
                              const BranchInfo& branch, std::optional<consensus::Lsn> end);

}  // namespace sk::skctl
