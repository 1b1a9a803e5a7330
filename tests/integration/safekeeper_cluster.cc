// SafekeeperCluster; see safekeeper_cluster.h.
#include "tests/integration/safekeeper_cluster.h"

#include <csignal>
#include <fstream>
#include <sstream>

#include "safekeeper/http/http_client.h"
#include "tests/integration/free_port.h"

namespace sk::testing {

std::string safekeeper_binary() {
  return SK_SAFEKEEPER_BIN;
}
std::string loadgen_binary() {
  return SK_LOADGEN_BIN;
}

std::string walproposer_binary() {
  return SK_WALPROPOSER_BIN;
}

std::string skctl_binary() {
  return SK_SKCTL_BIN;
}

SafekeeperCluster::SafekeeperCluster(const std::filesystem::path& root, int size, bool branch_log)
    : branch_log_(branch_log) {
  for (int i = 0; i < size; ++i) {
    Node node;
    node.id = i + 1;
    node.data_dir = root / ("sk" + std::to_string(node.id));
    node.log = root / ("sk" + std::to_string(node.id) + ".log");
    std::filesystem::create_directories(node.data_dir);
    node.proposer_port = free_port();
    node.http_port = free_port();
    node.pg_port = free_port();
    node.readiness =
        std::make_unique<ReadinessSocket>(root / ("sk" + std::to_string(node.id) + ".notify"));
    nodes_.push_back(std::move(node));
  }
}

bool SafekeeperCluster::start(int i) {
  Node& node = nodes_[i];
  node.readiness->discard_pending();
  std::vector<std::string> args{safekeeper_binary(),
                                "--id",
                                std::to_string(node.id),
                                "--data-dir",
                                node.data_dir.string(),
                                "--listen-proposer",
                                node.host + ":" + std::to_string(node.proposer_port),
                                "--listen-http",
                                node.host + ":" + std::to_string(node.http_port),
                                "--listen-pg",
                                node.host + ":" + std::to_string(node.pg_port)};
  if (branch_log_) {
    args.insert(args.end(), {"--peers", safekeepers_flag()});
  }
  args.insert(args.end(), node.extra_flags.begin(), node.extra_flags.end());
  args.insert(args.begin(), node.launcher.begin(), node.launcher.end());
  node.process = ChildProcess::spawn(args, node.log, {node.readiness->environment()});
  return node.readiness->wait_for("READY=1", std::chrono::seconds(30));
}

std::optional<int> SafekeeperCluster::terminate(int i) {
  nodes_[i].process.signal(SIGTERM);
  return nodes_[i].process.wait_exit(std::chrono::seconds(30));
}

std::optional<SafekeeperCluster::Reply> SafekeeperCluster::http(int i, const std::string& method,
                                                                const std::string& target,
                                                                const std::string& body,
                                                                const http::HttpHeaders& headers) {
  auto reply = http::http_request(nodes_[i].host + ":" + std::to_string(nodes_[i].http_port),
                                  method, target, body, std::chrono::seconds(10), headers);
  if (!reply) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  Reply out;
  out.status = reply->status;
  out.body = boost::json::parse(reply->body, ec);
  if (ec) {
    out.body = boost::json::string(reply->body);
  }
  return out;
}

std::string SafekeeperCluster::safekeepers_flag() const {
  std::string out;
  for (const Node& node : nodes_) {
    out += (out.empty() ? "" : ",") + std::to_string(node.id) + "=" +
           (node.name.empty() ? node.host : node.name) + ":" + std::to_string(node.proposer_port);
  }
  return out;
}

std::string SafekeeperCluster::http_flag() const {
  std::string out;
  for (const Node& node : nodes_) {
    out += (out.empty() ? "" : ",") + (node.name.empty() ? node.host : node.name) + ":" +
           std::to_string(node.http_port);
  }
  return out;
}

std::string SafekeeperCluster::logs() const {
  std::ostringstream out;
  for (const Node& node : nodes_) {
    std::ifstream in(node.log);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    out << "--- " << node.log.string() << " (last 20 lines)\n";
    for (std::size_t k = lines.size() > 20 ? lines.size() - 20 : 0; k < lines.size(); ++k) {
      out << lines[k] << "\n";
    }
  }
  return out.str();
}

}  // namespace sk::testing
