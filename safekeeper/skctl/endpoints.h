// The computes and replicas skctl started on this machine, one JSON file each under
// HOME/endpoints/ (named by port: one server per port), so that `compute stop`,
// `connection-string` and a second `compute start` find them. The processes' logs go to
// HOME/endpoints/PORT/, its unix socket to HOME/endpoints/PORT/private/.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "consensus/result.h"

namespace sk::skctl {

// A read-only server at a point of a branch's history (compute.h).
inline constexpr const char* kTimeTravelKind = "time-travel";

struct Endpoint {
  std::string kind;  // "compute", "replica" or kTimeTravelKind
  std::string tenant_id;
  // The branch's name; for time travel, as given: NAME@LSN or NAME@TIMESTAMP.
  std::string branch;
  std::string timeline_id;
  std::filesystem::path pgdata;
  int port = 0;
  pid_t postgres_pid = 0;
  pid_t walproposer_pid = 0;     // 0 for a replica.
  pid_t snapshot_agent_pid = 0;  // `skctl snapshot follow` beside a compute; 0 if none.

  // A libpq URI that names `passfile` (the home's pgpass, compute_passwords.h) for the password.
  std::string connection_uri(const std::filesystem::path& passfile) const;
};

class Endpoints {
 public:
  explicit Endpoints(std::filesystem::path home) : dir_(std::move(home) / "endpoints") {}

  std::vector<Endpoint> all() const;  // Files that do not parse are skipped.
  Status save(const Endpoint& endpoint) const;
  Status remove(const Endpoint& endpoint) const;
  // The directory for an endpoint's logs, created.
  Result<std::filesystem::path> log_dir(int port) const;
  // The endpoint's private directory, created inside its log directory: mode 0700 and, when
  // skctl runs as root, the postgres user's. It holds the server's unix socket, which only that
  // user (and root) reaches, and the walproposer's copies of its token and password.
  Result<std::filesystem::path> private_dir(int port) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace sk::skctl
