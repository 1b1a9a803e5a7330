// skctl safekeeper add|remove; see membership.h.
#include "safekeeper/skctl/membership.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "safekeeper/server/configuration_json.h"
#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/membership_plan.h"

namespace sk::skctl {
namespace json = boost::json;
using consensus::Configuration;
using consensus::Lsn;
using consensus::NodeId;
using safekeeper::configuration_json;
using safekeeper::parse_configuration;
using Clock = std::chrono::steady_clock;

namespace {

// A timeline, by its ids (tenant, timeline).
using TimelineKey = std::pair<std::string, std::string>;

constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(100);
// How long a timeline may go without a connected proposer before skctl runs one.
constexpr auto kIdleBeforeSync = std::chrono::seconds(2);

// A node that answered: where its HTTP API and its proposer port are.
struct Member {
  NodeId id;
  std::string http;
  std::string proposer;
};

// What the cluster's nodes said about themselves.
struct ClusterView {
  std::vector<Member> reachable;  // Old members that answered, then the node to add.
  std::optional<Member> added;
  // The ids proposers were started with (--peers), for timelines without a configuration.
  std::vector<NodeId> started_with;
  std::map<NodeId, std::string> proposer_addresses;  // Of every node anyone named.
  std::set<TimelineKey> timelines;                   // Every one an old member holds.
};

std::string text_of(const json::value& value, const char* key) {
  const json::value* v = value.is_object() ? value.as_object().if_contains(key) : nullptr;
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<Member> status_of(const ApiClient& api, const std::string& address,
                         std::vector<std::pair<NodeId, std::string>>& peers,
                         std::set<TimelineKey>& timelines) {
  auto reply = api.call_at(address, "GET", "/v1/status", std::nullopt, {}, kRequestTimeout);
  if (!reply) {
    return reply.error();
  }
  const json::object& body = reply->body.as_object();
  const json::value* id = body.if_contains("node_id");
  if (id == nullptr || !id->is_number()) {
    return Error(ErrorCode::kInternal, address + ": /v1/status has no node_id");
  }
  Member member{NodeId(id->to_number<std::uint64_t>()), address, ""};
  if (const json::value* advertised = body.if_contains("advertised")) {
    member.proposer = text_of(*advertised, "proposer");
  }
  if (const json::value* list = body.if_contains("peers"); list != nullptr && list->is_array()) {
    for (const json::value& peer : list->as_array()) {
      peers.emplace_back(NodeId(peer.at("node_id").to_number<std::uint64_t>()),
                         text_of(peer, "proposer"));
    }
  }
  if (const json::value* list = body.if_contains("timeline_wal");
      list != nullptr && list->is_array()) {
    for (const json::value& timeline : list->as_array()) {
      timelines.emplace(text_of(timeline, "tenant_id"), text_of(timeline, "timeline_id"));
    }
  }
  return member;
}

Result<ClusterView> look_at_cluster(const ApiClient& api, const MembershipChange& change) {
  ClusterView view;
  std::vector<std::pair<NodeId, std::string>> peers;
  std::string unreachable;
  for (const std::string& address : api.addresses()) {
    std::vector<std::pair<NodeId, std::string>> named;
    auto member = status_of(api, address, named, view.timelines);
    if (!member) {
      unreachable += "; " + address + ": " + member.error().message();
      continue;
    }
    if (view.started_with.empty()) {
      for (const auto& [id, proposer] : named) {
        view.started_with.push_back(id);
      }
    }
    peers.insert(peers.end(), named.begin(), named.end());
    view.reachable.push_back(*member);
  }
  if (view.reachable.empty()) {
    return Error(ErrorCode::kUnavailable, "no safekeeper answered" + unreachable);
  }
  if (!change.add_http.empty()) {
    std::vector<std::pair<NodeId, std::string>> ignored;
    std::set<TimelineKey> its_own;
    auto added = status_of(api, change.add_http, ignored, its_own);
    if (!added) {
      return Error(ErrorCode::kUnavailable, "the safekeeper to add does not answer at " +
                                                change.add_http + ": " + added.error().message());
    }
    view.added = *added;
    // Named by --safekeepers too when a change is run again: already among the reachable.
    if (std::none_of(view.reachable.begin(), view.reachable.end(),
                     [&](const Member& member) { return member.id == added->id; })) {
      view.reachable.push_back(*added);
    }
  }
  if (view.started_with.empty()) {  // Nodes without --peers: the ones named.
    for (const Member& member : view.reachable) {
      if (!view.added || member.id != view.added->id) {
        view.started_with.push_back(member.id);
      }
    }
  }
  for (const auto& [id, proposer] : peers) {
    if (!proposer.empty()) {
      view.proposer_addresses[id] = proposer;
    }
  }
  for (const Member& member : view.reachable) {
    if (!member.proposer.empty()) {
      view.proposer_addresses[member.id] = member.proposer;
    }
  }
  return view;
}

// A timeline the change goes through.
struct TimelineRef {
  std::string tenant_id;
  std::string timeline_id;

  bool branch_log() const { return tenant_id == std::string(32, '0'); }
  std::string path() const { return "/v1/tenants/" + tenant_id + "/timelines/" + timeline_id; }
  std::string name() const { return branch_log() ? "branch log" : tenant_id + "/" + timeline_id; }
};

// Every timeline an old member holds, the branch log first (the all-zero ids sort first): the
// nodes learn tenants and branches from it.
std::vector<TimelineRef> timelines_of(const ClusterView& cluster) {
  std::vector<TimelineRef> out;
  for (const auto& [tenant_id, timeline_id] : cluster.timelines) {
    out.push_back(TimelineRef{tenant_id, timeline_id});
  }
  return out;
}

// Every reachable node's copy of the timeline (nodes that do not hold it are left out).
std::vector<AcceptorView> views_of(const ApiClient& api, const ClusterView& cluster,
                                   const TimelineRef& timeline) {
  std::vector<AcceptorView> views;
  for (const Member& member : cluster.reachable) {
    auto reply =
        api.call_at(member.http, "GET", timeline.path(), std::nullopt, {}, kRequestTimeout);
    if (!reply) {
      continue;
    }
    const json::object& body = reply->body.as_object();
    AcceptorView view;
    view.id = member.id;
    if (const json::value* c = body.if_contains("configuration"); c != nullptr && !c->is_null()) {
      auto configuration = parse_configuration(*c);
      if (!configuration) {
        continue;
      }
      view.configuration = *configuration;
    }
    view.term = body.at("term").to_number<std::uint64_t>();
    view.flush_lsn = Lsn::parse(text_of(reply->body, "flush_lsn")).value_or(Lsn());
    view.commit_lsn = Lsn::parse(text_of(reply->body, "commit_lsn")).value_or(Lsn());
    const json::value* proposer = body.if_contains("connected_proposer");
    view.proposer_connected = proposer != nullptr && !proposer->is_null();
    views.push_back(view);
  }
  return views;
}

bool holds(const std::vector<AcceptorView>& views, NodeId id) {
  return std::any_of(views.begin(), views.end(),
                     [&](const AcceptorView& view) { return view.id == id; });
}

// PUTs `configuration` on each reachable node among `ids`; the ids that took it.
std::vector<NodeId> put_configuration(const ApiClient& api, const ClusterView& cluster,
                                      const TimelineRef& timeline,
                                      const Configuration& configuration,
                                      const std::vector<NodeId>& ids, std::string& errors) {
  std::vector<NodeId> took;
  for (const Member& member : cluster.reachable) {
    if (std::find(ids.begin(), ids.end(), member.id) == ids.end()) {
      continue;
    }
    auto reply = api.call_at(member.http, "PUT", timeline.path() + "/configuration",
                             configuration_json(configuration), {}, kRequestTimeout);
    if (reply) {
      took.push_back(member.id);
    } else {
      errors += "; node " + std::to_string(member.id.value()) + ": " + reply.error().message();
    }
  }
  return took;
}

std::string id_list(const std::vector<NodeId>& ids) {
  std::string text;
  for (NodeId id : ids) {
    text += (text.empty() ? "" : ",") + std::to_string(id.value());
  }
  return text;
}

// `walproposer --sync-safekeepers` on the timeline under `joint`, waiting for `added` too.
void run_sync(const ApiClient& api, const MembershipChange& change, const ClusterView& cluster,
              const TimelineRef& timeline, const Configuration& joint,
              const std::vector<NodeId>& added, std::chrono::milliseconds timeout) {
  std::string safekeepers;
  for (NodeId id : joint.acceptors()) {
    if (auto it = cluster.proposer_addresses.find(id); it != cluster.proposer_addresses.end()) {
      safekeepers +=
          (safekeepers.empty() ? "" : ",") + std::to_string(id.value()) + "=" + it->second;
    }
  }
  std::string http;
  for (const Member& member : cluster.reachable) {
    http += (http.empty() ? "" : ",") + member.http;
  }
  std::vector<std::string> argv{change.walproposer.string(),
                                "--sync-safekeepers",
                                "--safekeepers",
                                safekeepers,
                                "--http",
                                http,
                                "--tenant",
                                timeline.tenant_id,
                                "--timeline",
                                timeline.timeline_id};
  if (!added.empty()) {
    argv.insert(argv.end(), {"--wait-for", id_list(added)});
  }
  if (!api.token_file().empty()) {
    argv.insert(argv.end(), {"--token-file", api.token_file()});
  }
  if (!api.tls_ca().empty()) {
    argv.insert(argv.end(), {"--tls-ca", api.tls_ca()});
  }
  if (auto result = run_program(argv, timeout); result) {
    std::ofstream(change.log, std::ios::app) << result->output;
  }
}

Status change_timeline(const ApiClient& api, const MembershipChange& change,
                       const ClusterView& cluster, const TimelineRef& timeline,
                       const std::function<void(const std::string&)>& report) {
  std::vector<AcceptorView> views = views_of(api, cluster, timeline);
  if (views.empty()) {
    return Error(ErrorCode::kUnavailable,
                 "timeline " + timeline.name() + ": no node that holds it answered");
  }
  const Configuration current = current_configuration(views, cluster.started_with);
  std::vector<NodeId> added;
  if (cluster.added) {
    added.push_back(cluster.added->id);
  }
  const bool done_before =
      !current.joint() &&
      std::all_of(added.begin(), added.end(), [&](NodeId id) { return current.contains(id); }) &&
      std::none_of(change.remove.begin(), change.remove.end(),
                   [&](NodeId id) { return current.contains(id); });
  if (done_before) {  // The same command run again.
    report("timeline " + timeline.name() + ": already at " + current.describe());
    return {};
  }
  auto target = changed_members(current.members, added, change.remove);
  if (!target) {
    return Error(target.error().code(),
                 "timeline " + timeline.name() + ": " + target.error().message());
  }
  Configuration joint;
  if (current.joint()) {
    if (current.new_members != *target) {
      return Error(ErrorCode::kFailedPrecondition,
                   "timeline " + timeline.name() + " is in another change, " + current.describe() +
                       ": run that one again to finish it");
    }
    joint = current;
  } else {
    auto started = start_change(current, *target);
    if (!started) {
      return Error(started.error().code(),
                   "timeline " + timeline.name() + ": " + started.error().message());
    }
    joint = std::move(*started);
    // Resumed, a joint configuration is set again exactly as it was first made.
    for (NodeId id : joint.acceptors()) {
      if (auto it = cluster.proposer_addresses.find(id); it != cluster.proposer_addresses.end()) {
        joint.addresses.emplace(id, it->second);
      }
    }
  }
  // 1. The timeline on the new member, with the identity the others hold.
  if (cluster.added && !holds(views, cluster.added->id)) {
    if (timeline.branch_log()) {
      return Error(ErrorCode::kFailedPrecondition, "node " +
                                                       std::to_string(cluster.added->id.value()) +
                                                       " has no branch log: start it with --peers");
    }
    auto held = api.call("GET", timeline.path());
    if (!held) {
      return Error(held.error().code(),
                   "timeline " + timeline.name() + ": " + held.error().message());
    }
    json::object body;
    for (const char* field :
         {"timeline_id", "start_lsn", "system_id", "pg_version", "wal_seg_size"}) {
      if (const json::value* v = held->body.as_object().if_contains(field)) {
        body[field] = *v;
      }
    }
    auto created =
        api.call_at(cluster.added->http, "POST", "/v1/tenants/" + timeline.tenant_id + "/timelines",
                    body, {}, kRequestTimeout);
    if (!created) {
      return Error(created.error().code(), "timeline " + timeline.name() +
                                               ": creating it on node " +
                                               std::to_string(cluster.added->id.value()) + ": " +
                                               created.error().message());
    }
  }
  // 2. The joint configuration; a majority of the old set must take it.
  std::string errors;
  const std::vector<NodeId> took =
      put_configuration(api, cluster, timeline, joint, joint.acceptors(), errors);
  if (!Configuration::of(joint.members).is_quorum([&](NodeId id) {
        return std::find(took.begin(), took.end(), id) != took.end();
      })) {
    return Error(ErrorCode::kUnavailable, "timeline " + timeline.name() + ": not a majority of " +
                                              Configuration::of(joint.members).describe() +
                                              " took " + joint.describe() + errors);
  }
  // 3. The new set catches up with the sync point.
  const Clock::time_point began = Clock::now();
  const Clock::time_point deadline = began + change.timeout;
  Clock::time_point served_at = began;
  std::optional<SyncPoint> point;
  for (;;) {
    views = views_of(api, cluster, timeline);
    // Taken once, as the explorer checks it (under load a fresh one would keep moving ahead of
    // the commit LSN); again after a sync, which may cut an uncommitted tail the old point was
    // in (any later point of a majority of the old set is still at or above what it committed).
    if (!point) {
      point = sync_point(joint, views);
    }
    if (point && new_set_holds(joint, *point, views, added)) {
      break;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return Error(
          ErrorCode::kUnavailable,
          "timeline " + timeline.name() + ": the new members did not catch up within " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(change.timeout).count()) +
              " s (" +
              (point ? "sync point " + point->lsn.to_string() + ", term " +
                           std::to_string(point->term)
                     : std::string("a majority of the old set is not reachable")) +
              "); it stays at " + joint.describe() + ": run the command again to go on");
    }
    const bool served = std::any_of(views.begin(), views.end(),
                                    [](const AcceptorView& v) { return v.proposer_connected; });
    if (served) {
      served_at = now;
    } else if (!timeline.branch_log() && now - served_at >= kIdleBeforeSync) {
      // Nobody proposes on this timeline (its compute is stopped): a sync does the catching up.
      run_sync(api, change, cluster, timeline, joint, added,
               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
      served_at = Clock::now();
      point.reset();
      continue;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const auto caught_up_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count();
  // 4. The new configuration: the new members first (a majority must take it), then the others.
  const Configuration done = finish_change(joint).value();
  const std::vector<NodeId> took_new =
      put_configuration(api, cluster, timeline, done, done.members, errors);
  if (!Configuration::of(done.members).is_quorum([&](NodeId id) {
        return std::find(took_new.begin(), took_new.end(), id) != took_new.end();
      })) {
    return Error(ErrorCode::kUnavailable, "timeline " + timeline.name() + ": not a majority of " +
                                              Configuration::of(done.members).describe() +
                                              " took " + done.describe() + errors);
  }
  std::vector<NodeId> removed;
  for (NodeId id : joint.members) {
    if (!done.contains(id)) {
      removed.push_back(id);
    }
  }
  std::string ignored;
  put_configuration(api, cluster, timeline, done, removed, ignored);
  report("timeline " + timeline.name() + ": " + current.describe() + " -> " + done.describe() +
         "; the new set caught up to " + point->lsn.to_string() + " (term " +
         std::to_string(point->term) + ") in " + std::to_string(caught_up_ms) + " ms");
  return {};
}

}  // namespace

Status change_membership(const ApiClient& api, const MembershipChange& change,
                         const std::function<void(const std::string&)>& report) {
  auto cluster = look_at_cluster(api, change);
  if (!cluster) {
    return cluster.error();
  }
  for (const TimelineRef& timeline : timelines_of(*cluster)) {
    if (Status changed = change_timeline(api, change, *cluster, timeline, report); !changed) {
      return changed;
    }
  }
  return {};
}

}  // namespace sk::skctl
