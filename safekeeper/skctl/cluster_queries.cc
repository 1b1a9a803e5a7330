// Questions to the safekeepers; see cluster_queries.h.
#include "safekeeper/skctl/cluster_queries.h"

#include <algorithm>
#include <fstream>

#include <boost/json/value.hpp>

#include "safekeeper/pgwal/segment_name.h"

namespace sk::skctl {
namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

namespace {

std::string text_of(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<Lsn> lsn_of(const json::object& o, const char* key) {
  const std::string text = text_of(o, key);
  return text.empty() ? std::nullopt : Lsn::parse(text);
}

// "0.0.0.0:5455" reached as "10.0.0.1:7676" is "10.0.0.1:5455".
std::pair<std::string, std::string> split_address(const std::string& address,
                                                  const std::string& reached_at) {
  const auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    std::string reached = reached_at;
    if (const auto scheme = reached.find("://"); scheme != std::string::npos) {
      reached.erase(0, scheme + 3);
    }
    host = reached.substr(0, reached.rfind(':'));
  }
  return {host, colon == std::string::npos ? "" : address.substr(colon + 1)};
}

BranchInfo branch_info(const json::value& body) {
  const json::object& o = body.as_object();
  return {text_of(o, "name"), text_of(o, "timeline_id"), text_of(o, "parent_timeline_id"),
          lsn_of(o, "lsn"), lsn_of(o, "head_lsn")};
}

}  // namespace

std::string Cluster::http_flag() const {
  std::string flag;
  for (const std::string& address : http) {
    flag += (flag.empty() ? "" : ",") + address;
  }
  return flag;
}

Result<bool> timeline_exists(const ApiClient& api, const std::string& tenant,
                             const std::string& timeline) {
  std::optional<Error> unreachable;
  for (const std::string& address : api.addresses()) {
    auto reply = api.call_at(address, "GET", "/v1/tenants/" + tenant + "/timelines/" + timeline);
    if (reply) {
      return true;
    }
    if (reply.error().code() != ErrorCode::kNotFound) {
      unreachable = reply.error();
    }
  }
  if (unreachable) {
    return *unreachable;
  }
  return false;
}

Result<Cluster> discover(const ApiClient& api) {
  Cluster cluster;
  cluster.token_file = api.token_file();
  cluster.tls_ca = api.tls_ca();
  std::string unreachable;
  for (const std::string& address : api.addresses()) {
    auto status =
        api.call_at(address, "GET", "/v1/status", std::nullopt, {}, std::chrono::seconds(5));
    if (!status || !status->body.is_object()) {
      unreachable += "; " + (status ? address + ": not a status" : status.error().message());
      continue;
    }
    const json::object& o = status->body.get_object();
    cluster.http.push_back(address);
    if (const auto* listening = o.if_contains("listening"); listening && listening->is_object()) {
      const auto [host, port] = split_address(text_of(listening->get_object(), "pg"), address);
      cluster.pg_hosts.push_back(host);
      cluster.pg_ports.push_back(port);
    }
    const auto* peers = o.if_contains("peers");
    if (cluster.safekeepers_flag.empty() && peers != nullptr && peers->is_array()) {
      for (const auto& peer : peers->get_array()) {
        if (!peer.is_object() || !peer.get_object().contains("node_id")) {
          continue;
        }
        const auto [host, port] = split_address(text_of(peer.get_object(), "proposer"), address);
        const auto id = peer.get_object().at("node_id").to_number<std::uint64_t>();
        cluster.safekeepers_flag += (cluster.safekeepers_flag.empty() ? "" : ",") +
                                    std::to_string(id) + "=" + host + ":" + port;
      }
    }
  }
  if (cluster.http.empty()) {
    return Error(ErrorCode::kUnavailable, "no safekeeper answered" + unreachable);
  }
  if (cluster.safekeepers_flag.empty()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "the safekeepers report no cluster members: start them with --peers");
  }
  return cluster;
}

std::string branch_path(const std::string& tenant, const std::string& branch) {
  return "/v1/tenants/" + tenant + "/branches/" + url_encode(branch);
}

Result<BranchInfo> get_branch(const ApiClient& api, const std::string& tenant,
                              const std::string& branch) {
  auto reply = api.call("GET", branch_path(tenant, branch));
  if (!reply) {
    return reply.error();
  }
  return branch_info(reply->body);
}

Result<std::vector<BranchInfo>> ancestry_of(const ApiClient& api, const std::string& tenant,
                                            const BranchInfo& branch) {
  std::vector<BranchInfo> chain{branch};
  while (!chain.back().parent_timeline_id.empty()) {
    auto parent = get_branch(api, tenant, chain.back().parent_timeline_id);
    if (!parent) {
      return parent.error();
    }
    chain.push_back(*parent);
  }
  return chain;
}

std::vector<AncestryLevel> ancestry_levels(const std::vector<BranchInfo>& chain) {
  std::vector<AncestryLevel> levels;
  for (const BranchInfo& level : chain) {
    levels.push_back({level.timeline_id, level.branch_lsn});
  }
  return levels;
}

Result<std::vector<SnapshotInfo>> list_snapshots(const ApiClient& api, const std::string& tenant) {
  auto reply = api.call("GET", "/v1/tenants/" + tenant + "/snapshots");
  if (!reply) {
    return reply.error();
  }
  std::vector<SnapshotInfo> out;
  for (const auto& v : reply->body.as_object().at("snapshots").as_array()) {
    const json::object& o = v.as_object();
    out.push_back({text_of(o, "snapshot_id"), text_of(o, "timeline_id"),
                   lsn_of(o, "start_lsn").value_or(Lsn(0)), lsn_of(o, "end_lsn").value_or(Lsn(0)),
                   text_of(o, "location"), text_of(o, "checksum")});
  }
  return out;
}

Result<std::pair<std::string, Lsn>> furthest_head(const ApiClient& api, const std::string& tenant,
                                                  const std::string& timeline) {
  std::optional<std::pair<std::string, Lsn>> best;
  for (const std::string& address : api.addresses()) {
    auto reply = api.call_at(address, "GET", branch_path(tenant, timeline));
    if (!reply) {
      continue;
    }
    const auto head = lsn_of(reply->body.as_object(), "head_lsn");
    if (head && (!best || *head > best->second)) {
      best = {address, *head};
    }
  }
  if (!best) {
    return Error(ErrorCode::kUnavailable, "no safekeeper reports the branch's head");
  }
  return *best;
}

Result<std::uint64_t> segment_size(const ApiClient& api, const std::string& tenant,
                                   const std::string& root_timeline) {
  auto reply = api.call("GET", "/v1/tenants/" + tenant + "/timelines/" + root_timeline);
  if (!reply) {
    return reply.error();
  }
  const auto* size = reply->body.as_object().if_contains("wal_seg_size");
  if (size == nullptr || !size->is_int64() ||
      !pgwal::is_valid_segment_size(static_cast<std::uint64_t>(size->get_int64()))) {
    return Error(ErrorCode::kInternal, "the root timeline reports no segment size");
  }
  return static_cast<std::uint64_t>(size->get_int64());
}

Status fetch_wal(const ApiClient& api, const std::string& preferred, const std::string& tenant,
                 const std::string& timeline, Lsn from, Lsn until, std::uint64_t seg_size,
                 const fs::path& pg_wal) {
  std::vector<std::string> order{preferred};
  for (const std::string& a : api.addresses()) {
    if (a != preferred) {
      order.push_back(a);
    }
  }
  for (const std::uint64_t segno : segments_between(from, until, seg_size)) {
    const std::string name = pgwal::segment_file_name(1, segno, seg_size);
    std::optional<Error> last_error;
    bool written = false;
    for (const std::string& address : order) {
      auto bytes = api.fetch_at(
          address, "/v1/tenants/" + tenant + "/timelines/" + timeline + "/wal/" + name);
      if (!bytes) {
        last_error = bytes.error();
        continue;
      }
      if (pgwal::segment_start(segno, seg_size) < until &&
          until < pgwal::segment_start(segno + 1, seg_size)) {
        // A node may already know of WAL past `until` (another compute's, say): not ours.
        const std::uint64_t end = pgwal::segment_offset(until, seg_size);
        std::fill(bytes->begin() +
                      static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(end, bytes->size())),
                  bytes->end(), '\0');
      }
      std::ofstream out(pg_wal / name, std::ios::binary | std::ios::trunc);
      out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
      if (!out.flush()) {
        return Error(ErrorCode::kIoError, "cannot write " + (pg_wal / name).string());
      }
      written = true;
      break;
    }
    if (!written) {
      return Error(last_error ? last_error->code() : ErrorCode::kUnavailable,
                   "WAL segment " + name + " of the branch: " +
                       (last_error ? last_error->message() : std::string("no safekeeper")));
    }
  }
  return {};
}

}  // namespace sk::skctl
