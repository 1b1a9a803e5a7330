// The quorum sync before a compute starts; see quorum_sync.h.
#include "safekeeper/skctl/quorum_sync.h"

#include <fstream>
#include <sstream>

#include "safekeeper/skctl/local_process.h"

namespace sk::skctl {
namespace fs = std::filesystem;
using consensus::Lsn;

std::optional<Lsn> printed_lsn(const std::string& output) {
  std::optional<Lsn> found;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (auto lsn = Lsn::parse(line)) {
      found = lsn;
    }
  }
  return found;
}

Result<Lsn> sync_safekeepers(const fs::path& walproposer, const Cluster& cluster,
                             const std::string& tenant_id, const std::string& timeline_id,
                             const fs::path& log, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{walproposer.string(),
                                "--sync-safekeepers",
                                "--safekeepers",
                                cluster.safekeepers_flag,
                                "--http",
                                cluster.http_flag(),
                                "--tenant",
                                tenant_id,
                                "--timeline",
                                timeline_id};
  if (!cluster.token_file.empty()) {
    argv.insert(argv.end(), {"--token-file", cluster.token_file});
  }
  if (!cluster.tls_ca.empty()) {
    argv.insert(argv.end(), {"--tls-ca", cluster.tls_ca});
  }
  auto result = run_program(argv, timeout);
  if (!result) {
    return result.error();
  }
  std::ofstream(log, std::ios::app) << result->output;
  if (result->timed_out) {
    return Error(
        ErrorCode::kUnavailable,
        "syncing the safekeepers took longer than " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
            " s: no quorum? see " + log.string());
  }
  const auto lsn = printed_lsn(result->output);
  if (result->exit_code != 0 || !lsn) {
    return Error(ErrorCode::kInternal, "syncing the safekeepers failed (walproposer exit " +
                                           std::to_string(result->exit_code) + "); see " +
                                           log.string());
  }
  return *lsn;
}

}  // namespace sk::skctl
