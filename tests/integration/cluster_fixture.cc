// ClusterTest; see cluster_fixture.h.
#include "tests/integration/cluster_fixture.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace sk::testing {

namespace json = boost::json;
using consensus::Lsn;

std::string timeline_path() {
  return std::string("/v1/tenants/") + kTenant + "/timelines/" + kTimeline;
}

std::optional<json::object> loadgen_summary(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::optional<json::object> summary;
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    auto value = json::parse(line, ec);
    if (!ec && value.is_object() && value.as_object().contains("committed_lsn")) {
      summary = value.as_object();
    }
  }
  return summary;
}

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Lsn lsn_field(const json::value& object, const char* name) {
  const json::value* field = object.is_object() ? object.as_object().if_contains(name) : nullptr;
  if (field == nullptr || !field->is_string()) {
    return Lsn();
  }
  return Lsn::parse(std::string(field->as_string())).value_or(Lsn());
}

void ClusterTest::SetUp() {
  ASSERT_FALSE(dir_.path().empty());
  const int size = cluster_size();
  const bool spare = last_node_is_a_spare();
  cluster_.emplace(dir_.path(), size, with_branch_log() && !spare);
  if (spare) {
    for (int i = 0; i < size; ++i) {
      cluster_->node(i).extra_flags = {"--peers", first_nodes_flag(i + 1 < size ? size - 1 : size)};
    }
  }
  for (int i = 0; i < (spare ? size - 1 : size); ++i) {
    ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
  }
}

ChildProcess ClusterTest::start_loadgen(const std::vector<std::string>& extra,
                                        const std::string& log_name, const std::string& proposer_id,
                                        const std::string& safekeepers) {
  std::vector<std::string> argv = {loadgen_binary(),
                                   "--safekeepers",
                                   safekeepers.empty() ? cluster_->safekeepers_flag() : safekeepers,
                                   "--http",
                                   cluster_->http_flag(),
                                   "--tenant",
                                   kTenant,
                                   "--timeline",
                                   kTimeline,
                                   "--start-lsn",
                                   kStartLsn,
                                   "--proposer-id",
                                   proposer_id};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return ChildProcess::spawn(argv, dir_.path() / log_name);
}

std::string ClusterTest::proposer_address(int i) const {
  return "127.0.0.1:" + std::to_string(cluster_->node(i).proposer_port);
}

std::string ClusterTest::http_address(int i) const {
  return "127.0.0.1:" + std::to_string(cluster_->node(i).http_port);
}

std::string ClusterTest::first_nodes_flag(int count) const {
  std::string flag;
  for (int i = 0; i < count; ++i) {
    flag += (i == 0 ? "" : ",") + std::to_string(i + 1) + "=" + proposer_address(i);
  }
  return flag;
}

std::optional<int> ClusterTest::run_skctl(const std::vector<int>& nodes,
                                          const std::vector<std::string>& args,
                                          const std::string& log_name) {
  std::string addresses;
  for (int i : nodes) {
    addresses += (addresses.empty() ? "" : ",") + http_address(i);
  }
  std::vector<std::string> argv = {skctl_binary(),
                                   "--safekeepers",
                                   addresses,
                                   "--walproposer",
                                   walproposer_binary(),
                                   "--home",
                                   (dir_.path() / "skctl").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess process = ChildProcess::spawn(argv, dir_.path() / log_name);
  return process.wait_exit(std::chrono::minutes(2));
}

std::string ClusterTest::configuration_body(int generation, const std::vector<int>& members,
                                            const std::vector<int>& new_members) const {
  json::array m;
  json::array n;
  json::object addresses;
  for (const auto* set : {&members, &new_members}) {
    for (int i : *set) {
      (set == &members ? m : n).push_back(i + 1);
      addresses[std::to_string(i + 1)] = proposer_address(i);
    }
  }
  return json::serialize(json::object{{"generation", generation},
                                      {"members", std::move(m)},
                                      {"new_members", std::move(n)},
                                      {"addresses", std::move(addresses)}});
}

std::string ClusterTest::configuration_at(int i, const std::string& path) {
  auto reply = cluster_->http(i, "GET", path);
  if (!reply || reply->status != 200 || !reply->body.is_object() ||
      reply->body.as_object().if_contains("configuration") == nullptr ||
      reply->body.at("configuration").is_null()) {
    return "";
  }
  return json::serialize(reply->body.at("configuration"));
}

std::string ClusterTest::digest(int i, Lsn from, Lsn until) {
  auto reply = cluster_->http(
      i, "GET",
      timeline_path() + "/digest?from_lsn=" + from.to_string() + "&until_lsn=" + until.to_string());
  if (!reply || reply->status != 200) {
    return "";
  }
  return std::string(reply->body.at("digest").as_string());
}

std::optional<json::value> ClusterTest::timeline(int i) {
  auto reply = cluster_->http(i, "GET", timeline_path());
  if (!reply || reply->status != 200) {
    return std::nullopt;
  }
  return reply->body;
}

bool poll_until(ChildProcess& process, const std::function<bool()>& condition,
                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    if (process.wait_exit(std::chrono::milliseconds(20))) {
      return condition();
    }
  }
  return condition();
}

ChildProcess ClusterTest::start_sync(const std::string& log_name) {
  return ChildProcess::spawn(
      {walproposer_binary(), "--sync-safekeepers", "--safekeepers", cluster_->safekeepers_flag(),
       "--http", cluster_->http_flag(), "--tenant", kTenant, "--timeline", kTimeline},
      dir_.path() / log_name);
}

std::optional<consensus::Lsn> ClusterTest::printed_lsn(const std::string& log_name) {
  std::istringstream lines(file_text(dir_.path() / log_name));
  const std::regex lsn_line("^[0-9A-F]+/[0-9A-F]+$");
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, lsn_line)) {
      return consensus::Lsn::parse(line);
    }
  }
  return std::nullopt;
}

std::string ClusterTest::states() {
  std::string out;
  for (int i = 0; i < cluster_->size(); ++i) {
    auto state = timeline(i);
    out += "node " + std::to_string(i + 1) + ": " +
           (state ? json::serialize(*state) : std::string("unreachable")) + "\n";
  }
  return out;
}

Lsn ClusterTest::commit_lsn(int i) {
  auto state = timeline(i);
  return state ? lsn_field(*state, "commit_lsn") : Lsn();
}

Lsn ClusterTest::flush_lsn(int i) {
  auto state = timeline(i);
  return state ? lsn_field(*state, "flush_lsn") : Lsn();
}

std::optional<json::object> ClusterTest::expect_run_held_by(const std::string& log_name,
                                                            const std::vector<int>& nodes) {
  auto summary = loadgen_summary(dir_.path() / log_name);
  EXPECT_TRUE(summary.has_value()) << file_text(dir_.path() / log_name);
  if (!summary) {
    return std::nullopt;
  }
  const Lsn start = lsn_field(*summary, "start_lsn");
  const Lsn committed = lsn_field(*summary, "committed_lsn");
  const std::string expected(summary->at("digest").as_string());
  for (int i : nodes) {
    EXPECT_GE(flush_lsn(i), committed) << "node " << i + 1 << ", run " << log_name;
    EXPECT_EQ(digest(i, start, committed), expected) << "node " << i + 1 << ", run " << log_name;
  }
  return summary;
}

}  // namespace sk::testing
