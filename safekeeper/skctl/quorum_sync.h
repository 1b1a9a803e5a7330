// The first step of every compute start on a branch that has WAL of its own: `walproposer
// --sync-safekeepers` on the branch's timeline. It is elected in a new term (fencing whatever
// walproposer wrote before), recovers the most advanced log a majority holds (WAL the lost
// primary flushed to the safekeepers but never learnt was committed included), makes a majority
// hold it and know it committed, and prints the LSN where it ends. The new compute's WAL must end
// exactly there, or its first writes would not continue the quorum's log.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/skctl/cluster_queries.h"

namespace sk::skctl {

// kUnavailable when no quorum answered within `timeout`; the walproposer's output, the last
// 16 KiB, goes to `log` either way.
Result<consensus::Lsn> sync_safekeepers(const std::filesystem::path& walproposer,
                                        const Cluster& cluster, const std::string& tenant_id,
                                        const std::string& timeline_id,
                                        const std::filesystem::path& log,
                                        std::chrono::milliseconds timeout);

// The LSN the sync printed: the last line of `output` that is nothing but an LSN.
std::optional<consensus::Lsn> printed_lsn(const std::string& output);

}  // namespace sk::skctl
