// SafekeeperCluster: real safekeeper processes on 127.0.0.1, each with its own data directory
// and ports reserved with free_port(), started, killed (SIGKILL), stopped (SIGTERM) and restarted
// on the same ports by the test; plus the HTTP calls the tests make to them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "tests/integration/child_process.h"
#include "tests/integration/readiness_socket.h"

namespace sk::testing {

// Where CMake put the programs under test.
std::string safekeeper_binary();
std::string loadgen_binary();
std::string walproposer_binary();
std::string skctl_binary();

class SafekeeperCluster {
 public:
  struct Node {
    int id = 0;
    std::filesystem::path data_dir;
    std::filesystem::path log;
    std::uint16_t proposer_port = 0;
    std::uint16_t http_port = 0;
    std::uint16_t pg_port = 0;  // The PostgreSQL replication port, for WAL readers.
    // The address it listens on and the test reaches it at, and the name proposers and peers
    // know it by (empty: the address).
    std::string host = "127.0.0.1";
    std::string name;
    std::unique_ptr<ReadinessSocket> readiness;
    ChildProcess process;
    std::vector<std::string> extra_flags;  // Added to this node's command line at each start.
    // Put before the safekeeper's own command line (a program that runs it: prlimit ...).
    std::vector<std::string> launcher;
  };

  // With `branch_log`, every node is started with --peers naming all of them.
  SafekeeperCluster(const std::filesystem::path& root, int size, bool branch_log = false);

  // Starts node `i` (0-based) and waits until it reports READY=1 (every port listens); false if
  // it did not within 30 s.
  bool start(int i);
  void kill(int i) { nodes_[i].process.kill_and_wait(); }
  // SIGTERM; the exit code, or nullopt if it did not exit in time.
  std::optional<int> terminate(int i);

  // GET on node i; the parsed JSON body with the status, or nullopt if unreachable.
  struct Reply {
    int status = 0;
    boost::json::value body;
  };
  std::optional<Reply> http(int i, const std::string& method, const std::string& target,
                            const std::string& body = "",
                            const std::vector<std::pair<std::string, std::string>>& headers = {});

  // "1=127.0.0.1:p1,2=..." and "127.0.0.1:h1,..." for sk-loadgen.
  std::string safekeepers_flag() const;
  // Names every node by `name` in safekeepers_flag() (and so in --peers) and http_flag(), where
  // a test checks that host names are resolved ("localhost"); the nodes still listen on their
  // host.
  void name_nodes(const std::string& name) {
    for (Node& node : nodes_) {
      node.name = name;
    }
  }
  std::string http_flag() const;
  Node& node(int i) { return nodes_[i]; }
  const Node& node(int i) const { return nodes_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  // The last lines of every node's log, for failure messages.
  std::string logs() const;

 private:
  std::vector<Node> nodes_;
  bool branch_log_ = false;
};

}  // namespace sk::testing
