// ClusterTest: the fixture of the integration tests on a real cluster: three safekeepers started
// on 127.0.0.1 before each test, sk-loadgen runs as the proposer, and the HTTP reads the tests
// check (timeline state, digests of WAL ranges). Waits are on conditions with deadlines.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "consensus/types.h"
#include "tests/integration/safekeeper_cluster.h"
#include "tests/support/temp_dir.h"

namespace sk::testing {

inline constexpr const char* kTenant = "0123456789abcdef0123456789abcdef";
inline constexpr const char* kTimeline = "00000000000000000000000000000001";
inline constexpr const char* kStartLsn = "0/1000000";

// "/v1/tenants/<kTenant>/timelines/<kTimeline>".
std::string timeline_path();
// sk-loadgen's one-line JSON summary, from its log; nullopt if it wrote none.
std::optional<boost::json::object> loadgen_summary(const std::filesystem::path& log);
std::string file_text(const std::filesystem::path& path);
// An LSN field ("X/X") of a JSON object; 0/0 if absent or malformed.
consensus::Lsn lsn_field(const boost::json::value& object, const char* name);

// Polls `condition` every 20 ms until it holds (true) or `timeout` passes or `process` exits
// (false, after one last look). The pause between polls is a wait on the process's exit.
bool poll_until(ChildProcess& process, const std::function<bool()>& condition,
                std::chrono::milliseconds timeout);

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Whether the nodes run the branch log (--peers); tests of the branch API say yes.
  virtual bool with_branch_log() const { return false; }
  // How many nodes the cluster has; SetUp starts all of them unless the fixture has a spare.
  virtual int cluster_size() const { return 3; }
  // For the membership tests: the last node is a spare, not started by SetUp, that replaces a
  // lost one. The others run the branch log as a cluster of their own (--peers naming them); the
  // spare's --peers names them and itself, as an operator starts a new machine.
  virtual bool last_node_is_a_spare() const { return false; }

  // sk-loadgen on the fixture's timeline with `extra` flags, logging to <dir>/<log_name>.
  // `safekeepers` overrides where it connects (e.g. through proxies).
  ChildProcess start_loadgen(const std::vector<std::string>& extra, const std::string& log_name,
                             const std::string& proposer_id = "1000",
                             const std::string& safekeepers = "");
  // The digest node i computes over [from, until), or "" if it cannot.
  std::string digest(int i, consensus::Lsn from, consensus::Lsn until);
  // GET of the timeline on node i: its JSON state, or nullopt unless 200.
  std::optional<boost::json::value> timeline(int i);
  // sk::testing::poll_until, for the tests written against the fixture.
  bool poll_until(ChildProcess& process, const std::function<bool()>& condition,
                  std::chrono::milliseconds timeout) {
    return testing::poll_until(process, condition, timeout);
  }
  // `walproposer --sync-safekeepers` on the fixture's timeline, logging to <dir>/<log_name>.
  ChildProcess start_sync(const std::string& log_name);
  // The LSN a sync printed: the one line of its log that is nothing but an LSN.
  std::optional<consensus::Lsn> printed_lsn(const std::string& log_name);
  // Node i's proposer and HTTP ports as "127.0.0.1:PORT".
  std::string proposer_address(int i) const;
  std::string http_address(int i) const;
  // "1=host:port,..." of the first `count` nodes' proposer ports (a --safekeepers flag).
  std::string first_nodes_flag(int count) const;
  // skctl on the nodes `nodes` (0-based) with `args`, to its end (2 minutes at most); its exit
  // code, its output in <dir>/<log_name>.
  std::optional<int> run_skctl(const std::vector<int>& nodes, const std::vector<std::string>& args,
                               const std::string& log_name);
  // A consensus configuration as the API shows and takes it, naming every acceptor's proposer
  // port (0-based node indexes).
  std::string configuration_body(int generation, const std::vector<int>& members,
                                 const std::vector<int>& new_members = {}) const;
  // The consensus configuration node i shows for the timeline at `path`, as JSON ("" if
  // unreachable or none).
  std::string configuration_at(int i, const std::string& path);
  // Every node's timeline state as JSON, one line each, for failure messages.
  std::string states();
  // Node i's commit or flush LSN over HTTP; 0/0 if unreachable.
  consensus::Lsn commit_lsn(int i);
  consensus::Lsn flush_lsn(int i);
  // Every node holds [start, committed) of the loadgen run logged in `log_name` and its digest
  // matches; returns the summary for further checks.
  std::optional<boost::json::object> expect_run_held_by(const std::string& log_name,
                                                        const std::vector<int>& nodes);

  TempDir dir_{"sk_integration"};
  std::optional<SafekeeperCluster> cluster_;
};

}  // namespace sk::testing
