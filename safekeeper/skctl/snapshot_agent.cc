// Automatic snapshots; see snapshot_agent.h.
#include "safekeeper/skctl/snapshot_agent.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <libpq-fe.h>

#include "safekeeper/skctl/cluster_queries.h"
#include "safekeeper/skctl/local_postgres.h"

namespace sk::skctl {
using consensus::Lsn;

namespace {

constexpr int kUnreachableChecksBeforeExit = 6;

std::atomic<bool> stopping = false;

void on_sigterm(int) {
  stopping = true;
}

// The compute's current WAL position; nullopt if it does not answer.
std::optional<Lsn> current_lsn(int port) {
  PGconn* conn = PQconnectdb((local_conninfo(port) + " connect_timeout=5").c_str());
  std::optional<Lsn> lsn;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, "SELECT pg_current_wal_lsn()");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
      lsn = Lsn::parse(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
  }
  PQfinish(conn);
  return lsn;
}

// The end of the newest snapshot a start of the branch would restore from, or nullopt.
std::optional<Lsn> newest_usable_end(const ApiClient& api, const std::string& tenant,
                                     const std::string& branch, Lsn head) {
  auto info = get_branch(api, tenant, branch);
  auto chain =
      info ? ancestry_of(api, tenant, *info) : Result<std::vector<BranchInfo>>(info.error());
  auto snapshots = list_snapshots(api, tenant);
  if (!chain || !snapshots) {
    return std::nullopt;
  }
  const auto chosen = choose_snapshot(ancestry_levels(*chain), head, *snapshots);
  return chosen ? std::optional<Lsn>(chosen->end_lsn) : std::nullopt;
}

void say(const std::string& text) {
  std::fprintf(stderr, "skctl snapshot follow: %s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace

std::optional<std::uint64_t> parse_byte_size(const std::string& text) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || end == text.c_str() || text[0] == '-') {
    return std::nullopt;
  }
  const std::string unit = end;
  const std::uint64_t scale = unit.empty() || unit == "B" ? 1
                              : unit == "kB"              ? 1024
                              : unit == "MB"              ? 1024 * 1024
                              : unit == "GB"              ? 1024ULL * 1024 * 1024
                                                          : 0;
  if (scale == 0) {
    return std::nullopt;
  }
  return n * scale;
}

int follow_with_snapshots(const ApiClient& api, const LocalSettings& local,
                          const SnapshotSchedule& schedule) {
  std::signal(SIGTERM, on_sigterm);
  std::signal(SIGINT, on_sigterm);
  say("branch " + schedule.branch + ", compute on port " + std::to_string(schedule.port) +
      ": a snapshot every " + std::to_string(schedule.every_bytes) + " bytes of WAL");
  int unreachable = 0;
  while (!stopping && unreachable < kUnreachableChecksBeforeExit) {
    const auto lsn = current_lsn(schedule.port);
    unreachable = lsn ? 0 : unreachable + 1;
    if (lsn) {
      const Lsn since =
          newest_usable_end(api, schedule.tenant_id, schedule.branch, *lsn).value_or(Lsn(0));
      if (lsn->value() >= since.value() + schedule.every_bytes) {
        auto taken = create_snapshot(api, local, schedule.tenant_id, schedule.branch, "127.0.0.1",
                                     schedule.port);
        say(taken ? "took a snapshot at " + lsn->to_string() + " (" +
                        std::to_string(lsn->bytes_since(since)) + " bytes past the last)"
                  : "cannot take a snapshot: " + taken.error().message());
      }
    }
    // Wait for the next look; SIGTERM cuts the wait short at the next 100 ms.
    for (auto waited = std::chrono::milliseconds(0); !stopping && waited < schedule.check_interval;
         waited += std::chrono::milliseconds(100)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  say(stopping ? "stopping" : "the compute is gone: stopping");
  return 0;
}

}  // namespace sk::skctl
