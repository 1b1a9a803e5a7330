// Rebuilding a data directory; see rebuild.h.
#include "safekeeper/skctl/rebuild.h"

#include <algorithm>

#include "safekeeper/skctl/cluster_queries.h"
#include "safekeeper/skctl/compute_passwords.h"
#include "safekeeper/skctl/data_dir.h"
#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/restore_plan.h"
#include "safekeeper/skctl/secret_file.h"
#include "safekeeper/skctl/snapshot_store.h"

namespace sk::skctl {
namespace fs = std::filesystem;
using consensus::Lsn;

namespace {

// Clones the newest snapshot usable for a log ending at `end` into `pgdata`; a damaged one is
// passed over for the next older. Returns the snapshot chosen.
Result<SnapshotInfo> clone_snapshot(const ApiClient& api, const LocalSettings& local,
                                    const fs::path& bindir, const StartRequest& request,
                                    const std::vector<BranchInfo>& chain, Lsn end) {
  auto snapshots = list_snapshots(api, request.tenant_id);
  if (!snapshots) {
    return snapshots.error();
  }
  const std::vector<AncestryLevel> levels = ancestry_levels(chain);
  const SnapshotStore store(local.snapshot_store);
  std::vector<SnapshotInfo> candidates = *snapshots;
  std::string passed_over;
  for (;;) {
    const auto snapshot = choose_snapshot(levels, end, candidates);
    if (!snapshot) {
      return Error(ErrorCode::kFailedPrecondition,
                   "no" + std::string(passed_over.empty() ? "" : " undamaged") +
                       " snapshot of branch '" + chain.front().name +
                       "' or of its ancestors ends at or before " + end.to_string() +
                       ": take one of an ancestor's compute with `skctl snapshot create --branch "
                       "NAME`" +
                       passed_over);
    }
    auto report = store.restore(snapshot->location, snapshot->checksum, bindir, request.pgdata);
    if (report) {
      if (!report->all_cloned()) {
        note("cannot clone files from the snapshot store " + store.root().string() + " into " +
             request.pgdata.string() +
             " (no reflinks on its file system, or two file systems): copied " +
             std::to_string(report->copied_bytes >> 20) + " MiB of snapshot " +
             snapshot->snapshot_id);
      }
      return *snapshot;
    }
    if (report.error().code() != ErrorCode::kCorruption &&
        report.error().code() != ErrorCode::kInvalidArgument) {
      return report.error();
    }
    note(report.error().message() + "; trying an older snapshot");
    passed_over += "; passed over: " + report.error().message();
    if (Status s = clear_data_dir(request.pgdata); !s) {
      return s.error();
    }
    std::erase_if(candidates,
                  [&](const SnapshotInfo& s) { return s.snapshot_id == snapshot->snapshot_id; });
  }
}

// A new database for the tenant's root, its role `postgres` with the tenant's password: made
// (and printed, the only time it is) unless this home already keeps one for the tenant.
Status initdb(const LocalSettings& local, const fs::path& bindir, const StartRequest& request) {
  const ComputePasswords passwords(local.home);
  auto password = passwords.find(request.tenant_id);
  if (!password) {
    password = passwords.create(request.tenant_id);
    if (!password) {
      return password.error();
    }
    note("the password of role postgres in tenant " + request.tenant_id + "'s databases: " +
         *password + " (kept in " + (local.home / "passwords" / request.tenant_id).string() +
         ", mode 0600; skctl's computes accept scram-sha-256 only)");
  }
  // initdb, run as the postgres user, reads the password from a file only that user can read.
  auto private_dir = Endpoints(local.home).private_dir(request.port);
  if (!private_dir) {
    return private_dir.error();
  }
  const fs::path password_file = *private_dir / "initdb.password";
  std::error_code ec;
  fs::remove(password_file, ec);
  Status made = write_secret_file(password_file, *password + "\n", 0600);
  if (made) {
    made = hand_to_postgres(password_file);
  }
  if (made) {
    made = hand_to_postgres(request.pgdata);
  }
  if (made) {
    made = run_checked(as_postgres({(bindir / "initdb").string(), "-D", request.pgdata.string(),
                                    "-U", "postgres", "--auth=scram-sha-256", "--pwfile",
                                    password_file.string(), "--no-instructions"}));
  }
  fs::remove(password_file, ec);
  return made;
}

}  // namespace

// A data directory for the branch, rebuilt: its newest usable snapshot and its log up to `end`;
// or, for a root branch with nothing yet (`end` nullopt), initdb. Returns false for initdb.
Result<bool> rebuild_data_dir(const ApiClient& api, const LocalSettings& local,
                              const fs::path& bindir, const StartRequest& request,
                              const BranchInfo& branch, std::optional<Lsn> end) {
  std::error_code ec;
  fs::create_directories(request.pgdata, ec);
  auto chain = ancestry_of(api, request.tenant_id, branch);
  if (!chain) {
    return chain.error();
  }
  if (!end) {
    if (request.replica) {
      return Error(ErrorCode::kFailedPrecondition,
                   "branch '" + branch.name + "' has no data yet: start its compute first");
    }
    if (Status s = initdb(local, bindir, request); !s) {
      return s.error();
    }
    return false;
  }
  auto snapshot = clone_snapshot(api, local, bindir, request, *chain, *end);
  if (!snapshot) {
    return snapshot.error();
  }
  fs::create_directories(request.pgdata / "pg_wal", ec);
  for (const char* stale : {"standby.signal", "recovery.signal", "postmaster.pid"}) {
    fs::remove(request.pgdata / stale, ec);
  }
  if (request.replica) {
    return true;  // It streams its WAL from the safekeepers.
  }
  auto head = furthest_head(api, request.tenant_id, branch.timeline_id);
  auto seg_size = segment_size(api, request.tenant_id, chain->back().timeline_id);
  if (!head || !seg_size) {
    return !head ? head.error() : seg_size.error();
  }
  if (head->second < *end) {
    return Error(ErrorCode::kUnavailable, "no safekeeper serves branch '" + branch.name +
                                              "' up to " + end->to_string() + " yet");
  }
  if (Status s = fetch_wal(api, head->first, request.tenant_id, branch.timeline_id,
                           snapshot->start_lsn, *end, *seg_size, request.pgdata / "pg_wal");
      !s) {
    return s.error();
  }
  return true;
}

}  // namespace sk::skctl
