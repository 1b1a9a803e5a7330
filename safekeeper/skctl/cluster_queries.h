// What skctl asks the safekeepers (over HTTP) to start a server on a branch: the cluster's
// members and ports, the branch and its ancestry, the registered snapshots, and the branch's
// composed WAL as PostgreSQL segment files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/skctl/api_client.h"
#include "safekeeper/skctl/restore_plan.h"

namespace sk::skctl {

// What the walproposer and a replica need, from the safekeepers' /v1/status.
struct Cluster {
  std::string safekeepers_flag;       // id=host:port,... of every member (--peers).
  std::vector<std::string> http;      // The HTTP addresses that answered.
  std::vector<std::string> pg_hosts;  // Their replication ports.
  std::vector<std::string> pg_ports;
  std::string token_file;  // For the walproposers' --token-file (the API client's); empty: none.
  std::string tls_ca;      // The CA of the safekeepers' certificates; empty: no TLS.

  std::string http_flag() const;  // host:port,... as the walproposer's --http takes it.
};
Result<Cluster> discover(const ApiClient& api);

struct BranchInfo {
  std::string name;
  std::string timeline_id;
  std::string parent_timeline_id;            // Empty for a root.
  std::optional<consensus::Lsn> branch_lsn;  // nullopt for a root.
  std::optional<consensus::Lsn> head;        // nullopt: a root without WAL.
};
std::string branch_path(const std::string& tenant, const std::string& branch);
Result<BranchInfo> get_branch(const ApiClient& api, const std::string& tenant,
                              const std::string& branch);
// The branch first, its root last.
Result<std::vector<BranchInfo>> ancestry_of(const ApiClient& api, const std::string& tenant,
                                            const BranchInfo& branch);
// The ancestry as the restore plan takes it (restore_plan.h).
std::vector<AncestryLevel> ancestry_levels(const std::vector<BranchInfo>& chain);
Result<std::vector<SnapshotInfo>> list_snapshots(const ApiClient& api, const std::string& tenant);

// Whether any safekeeper holds the timeline (a branch that never had a compute has none yet:
// its log so far is its parent's).
Result<bool> timeline_exists(const ApiClient& api, const std::string& tenant,
                             const std::string& timeline);

// The safekeeper that knows the branch's log furthest, and that head: the WAL is fetched from
// it, so that no segment comes from a node that has not learnt of a commit yet (zeros there).
Result<std::pair<std::string, consensus::Lsn>> furthest_head(const ApiClient& api,
                                                             const std::string& tenant,
                                                             const std::string& timeline);

Result<std::uint64_t> segment_size(const ApiClient& api, const std::string& tenant,
                                   const std::string& root_timeline);

// Writes the branch's log [from, until) into `pg_wal`, segment by segment, from `preferred`
// (the furthest node) or, for a segment it cannot serve, from any other. The bytes of the last
// segment from `until` on are zeros: the log a server starts from ends exactly there.
Status fetch_wal(const ApiClient& api, const std::string& preferred, const std::string& tenant,
                 const std::string& timeline, consensus::Lsn from, consensus::Lsn until,
                 std::uint64_t seg_size, const std::filesystem::path& pg_wal);

}  // namespace sk::skctl
