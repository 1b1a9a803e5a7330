// ApiRoutes; see api_routes.h.
#include "safekeeper/server/api_routes.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/json.hpp>

#include "safekeeper/log/log.h"
#include "safekeeper/metrics/prometheus_text.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/server/api_json.h"
#include "safekeeper/server/branch_requests.h"
#include "safekeeper/server/branch_routes.h"
#include "safekeeper/server/configuration_json.h"
#include "safekeeper/server/route_access.h"
#include "safekeeper/storage/wal_digest.h"

namespace sk::safekeeper {

namespace json = boost::json;
using consensus::Lsn;

namespace {

Error not_hosted(const storage::TimelineKey& key) {
  return Error(ErrorCode::kNotFound,
               "timeline " + storage::timeline_name(key) + " is not hosted here");
}

// The timeline a path names, or the error about its first bad id.
Result<storage::TimelineKey> parse_timeline_key(const std::string& tenant,
                                                const std::string& timeline) {
  auto tenant_id = parse_id<consensus::TenantId>("tenant id", tenant);
  if (!tenant_id) {
    return tenant_id.error();
  }
  auto timeline_id = parse_id<consensus::TimelineId>("timeline id", timeline);
  if (!timeline_id) {
    return timeline_id.error();
  }
  return storage::TimelineKey{*tenant_id, *timeline_id};
}

json::object timeline_json(const Timeline& timeline, std::uint64_t wal_bytes_on_disk) {
  const consensus::AcceptorState& state = timeline.acceptor().state();
  const consensus::TimelineIdentity& identity = state.identity;
  json::array history;
  for (const consensus::TermSwitch& entry : state.history.entries()) {
    history.push_back(json::object{{"term", entry.term.value()}, {"lsn", entry.lsn.to_string()}});
  }
  const Lsn term_start =
      state.history.empty() ? identity.timeline_start_lsn : state.history.entries().back().lsn;
  json::object out{
      {"tenant_id", identity.tenant_id.to_hex()},
      {"timeline_id", identity.timeline_id.to_hex()},
      {"system_id", std::to_string(identity.system_id)},
      {"pg_version", identity.pg_version},
      {"wal_seg_size", identity.wal_seg_size_bytes},
      {"start_lsn", identity.timeline_start_lsn.to_string()},
      {"term", state.term.value()},
      {"term_history", std::move(history)},
      {"term_start_lsn", term_start.to_string()},
      {"flush_lsn", timeline.flush_lsn().to_string()},
      {"commit_lsn", state.commit_lsn.to_string()},
      {"truncate_lsn", state.truncate_lsn.to_string()},
      {"configuration", configuration_json(state.configuration)},
      {"wal_bytes_on_disk", wal_bytes_on_disk},
      {"status", timeline.failure() ? "failed" : "active"},
  };
  if (timeline.failure()) {
    out["error"] = json::object{{"code", error_code_name(timeline.failure()->code())},
                                {"message", timeline.failure()->message()}};
  }
  return out;
}

// Adds the proposer connected to the timeline `object` describes (I/O thread).
void add_connected_proposer(json::object& object, const storage::TimelineKey& key,
                            const std::vector<ProposerConnectionInfo>& connections) {
  json::value proposer = nullptr;
  for (const ProposerConnectionInfo& c : connections) {
    if (c.timeline == key) {
      proposer = json::object{{"proposer_id", c.proposer_id.value()}, {"peer", c.peer}};
    }
  }
  object["connected_proposer"] = std::move(proposer);
}

// The file restore_command asks for by name (REFERENCE.md 1.6): exactly the segment size, the
// timeline's WAL in it up to the commit LSN (never past the durable end), zeros after. 404 for
// any other name (a .history file, another PostgreSQL timeline: "missing" is the clean answer)
// and for a segment the timeline does not hold from its first byte.
// A branch's segment is composed along its ancestry (ComposedWal).
ApiResponse wal_segment_response(const Result<Composition>& composition,
                                 const std::string& file_name, const std::string& request_id) {
  if (!composition) {
    return error_response(composition.error(), request_id);
  }
  const consensus::TimelineIdentity& identity = composition->identity;
  const std::uint64_t seg_size = identity.wal_seg_size_bytes;
  auto name = pgwal::parse_segment_file_name(file_name, seg_size);
  if (!name || name->pg_timeline_id != 1) {
    return error_response(
        Error(ErrorCode::kNotFound, "'" + file_name + "' is not a WAL segment of this timeline"),
        request_id);
  }
  const Lsn seg_start = pgwal::segment_start(name->segno, seg_size);
  const Lsn seg_end = pgwal::segment_start(name->segno + 1, seg_size);
  const Lsn held_from = identity.timeline_start_lsn;
  const Lsn held_to = composition->committed;
  if (seg_start < held_from || seg_start >= held_to) {
    return error_response(
        Error(ErrorCode::kNotFound, "segment " + file_name + " is not held: committed WAL is [" +
                                        held_from.to_string() + ", " + held_to.to_string() + ")"),
        request_id);
  }
  auto bytes = ComposedWal::read(*composition, seg_start, std::min(seg_end, held_to));
  if (!bytes) {
    return error_response(bytes.error(), request_id);
  }
  ApiResponse response;
  response.content_type = "application/octet-stream";
  response.body.assign(bytes->begin(), bytes->end());
  response.body.resize(static_cast<std::size_t>(seg_size), '\0');
  return response;
}

// The digest of the committed WAL [from, committed), read through `wal` in 1 MiB pieces (a long
// range never sits in memory whole), followed by `tail`.
Result<storage::WalDigest> digest_of(const storage::DurableWalReader& wal, Lsn from, Lsn committed,
                                     std::span<const std::uint8_t> tail) {
  constexpr std::uint64_t kPieceBytes = 1 << 20;
  storage::WalDigest digest;
  std::vector<std::uint8_t> piece;
  for (Lsn at = from; at < committed;) {
    const Lsn end = Lsn(std::min(committed.value(), at.value() + kPieceBytes));
    piece.resize(end.bytes_since(at));
    if (Status read = wal.read(at, piece); !read) {
      return read.error();
    }
    digest.update(piece);
    at = end;
  }
  digest.update(tail);
  return digest;
}

}  // namespace

ApiRoutes::ApiRoutes(Node& node, StorageWorker& worker, const ProposerServer& proposers,
                     const PgServer& readers, const ComposedWal& wal, WalReadPool& reads,
                     const auth::Authenticator& auth, RunOnIo run_on_io, std::string version,
                     Cluster cluster, BranchLog branch_log)
    : node_(node),
      worker_(worker),
      proposers_(proposers),
      readers_(readers),
      wal_(wal),
      reads_(reads),
      auth_(auth),
      cluster_(std::move(cluster)),
      run_on_io_(std::move(run_on_io)),
      version_(std::move(version)),
      branch_log_(branch_log) {}

void ApiRoutes::handle(ApiRequest request, Respond respond) {
  const std::vector<std::string> path = path_segments(request.target);
  if (is_probe(path)) {
    if (request.method != "GET" && request.method != "HEAD") {
      respond(method_not_allowed_response(request, "GET"));
    } else if (path[0] == "healthz") {
      respond(json_response(200, json::object{{"status", "ok"}}));
    } else {
      get_readiness(std::move(respond));
    }
    return;
  }
  auto grant = authenticate(request, route_need(request.method, path));
  if (!grant) {
    ApiResponse refusal = error_response(grant.error(), request.request_id);
    if (grant.error().code() == ErrorCode::kUnauthenticated) {
      refusal.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="safekeeper")");
    }
    respond(std::move(refusal));
    return;
  }
  if (branch_log_.routes.handle(request, path, respond)) {
    return;
  }
  auto method_not_allowed = [&](const std::string& allow) {
    respond(method_not_allowed_response(request, allow));
  };
  auto only_get = [&]() {
    if (request.method == "GET" || request.method == "HEAD") {
      return true;
    }
    method_not_allowed("GET");
    return false;
  };
  if (path == std::vector<std::string>{"metrics"}) {
    if (only_get()) {
      get_metrics(std::move(respond));
    }
    return;
  }
  if (path == std::vector<std::string>{"v1", "status"}) {
    if (only_get()) {
      get_status(request, *grant, std::move(respond));
    }
    return;
  }
  if (path.size() == 4 && path[0] == "v1" && path[1] == "tenants" && path[3] == "timelines") {
    if (request.method == "POST") {
      create_timeline(request, path[2], std::move(respond));
    } else if (request.method == "GET") {
      list_timelines(request, path[2], std::move(respond));
    } else {
      method_not_allowed("GET, POST");
    }
    return;
  }
  if (path.size() == 5 && path[0] == "v1" && path[1] == "tenants" && path[3] == "timelines") {
    if (request.method == "DELETE") {
      delete_timeline(request, path[2], path[4], std::move(respond));
    } else if (request.method == "GET" || request.method == "HEAD") {
      get_timeline(request, path[2], path[4], std::move(respond));
    } else {
      method_not_allowed("GET, DELETE");
    }
    return;
  }
  if (path.size() == 6 && path[0] == "v1" && path[1] == "tenants" && path[3] == "timelines" &&
      path[5] == "digest") {
    if (only_get()) {
      get_digest(request, path[2], path[4], std::move(respond));
    }
    return;
  }
  if (path.size() == 6 && path[0] == "v1" && path[1] == "tenants" && path[3] == "timelines" &&
      path[5] == "configuration") {
    if (request.method == "PUT") {
      set_configuration(request, path[2], path[4], std::move(respond));
    } else {
      method_not_allowed("PUT");
    }
    return;
  }
  if (path.size() == 6 && path[0] == "v1" && path[1] == "tenants" && path[3] == "timelines" &&
      path[5] == "slots") {
    if (only_get()) {
      list_slots(request, path[2], path[4], respond);
    }
    return;
  }
  if (path.size() == 7 && path[0] == "v1" && path[1] == "tenants" && path[3] == "timelines" &&
      path[5] == "wal") {
    if (only_get()) {
      get_wal_segment(request, path[2], path[4], path[6], std::move(respond));
    }
    return;
  }
  respond(error_response(Error(ErrorCode::kNotFound, "no route for " + request.target),
                         request.request_id));
}

Result<auth::Grant> ApiRoutes::authenticate(const ApiRequest& request,
                                            const auth::Need& need) const {
  std::string_view token;
  if (auth_.enabled() && !request.authorization.empty()) {
    auto bearer = auth::bearer_token(request.authorization);
    if (!bearer) {
      return Error(ErrorCode::kUnauthenticated,
                   "the Authorization header must be \"Bearer <token>\"");
    }
    token = *bearer;
  }
  return auth_.check(token, need);
}

void ApiRoutes::get_status(const ApiRequest& request, const auth::Grant& grant, Respond respond) {
  worker_.post([this, request_id = request.request_id, grant,
                respond = std::move(respond)]() mutable {
    json::array broken;
    for (const auto& [key, error] : node_.broken()) {
      if (!auth::sees_tenant(grant, key.tenant_id)) {
        continue;
      }
      broken.push_back(json::object{{"tenant_id", key.tenant_id.to_hex()},
                                    {"timeline_id", key.timeline_id.to_hex()},
                                    {"error", error.to_string()}});
    }
    // Each timeline's WAL on disk and what keeps it there (the removal rule's holder).
    json::array timeline_wal;
    for (const storage::TimelineKey& key : node_.timelines()) {
      if (!auth::sees_tenant(grant, key.tenant_id)) {
        continue;
      }
      json::object wal{{"tenant_id", key.tenant_id.to_hex()},
                       {"timeline_id", key.timeline_id.to_hex()},
                       {"wal_bytes_on_disk", node_.wal_bytes_on_disk(key)},
                       {"wal_kept_from", node_.first_held_lsn(key).value_or(Lsn()).to_string()}};
      if (auto removal = branch_log_.commands.removal_inputs(key)) {
        const branchmgr::HeldFrom horizon = branchmgr::removal_horizon(*removal);
        wal["removal_horizon"] =
            json::object{{"lsn", horizon.lsn.to_string()}, {"held_by", horizon.holder}};
      }
      timeline_wal.push_back(std::move(wal));
    }
    const std::size_t shown = timeline_wal.size();
    json::object body{{"node_id", node_.node_id().value()},
                      {"version", version_},
                      {"timelines", shown},
                      {"timeline_wal", std::move(timeline_wal)},
                      {"broken_timelines", std::move(broken)}};
    body["data_dir"] =
        json::object{{"incarnation", storage::format_incarnation(node_.incarnation())},
                     {"identity", branch_log_.identity != nullptr ? branch_log_.identity->describe()
                                                                  : "unchecked (no --peers)"}};
    storage::DiskReserve& reserve = node_.disk_reserve();
    reserve.refresh_if_stale();
    body["disk"] = json::object{{"free_bytes", reserve.free_bytes()},
                                {"reserve_bytes", reserve.reserve_bytes()},
                                {"refusing_appends", reserve.refusing()}};
    const BranchLogApplier& applier = branch_log_.applier;
    json::object branch_log{{"applied_lsn", applier.applied_lsn().to_string()},
                            {"applied_entries", applier.view().applied_entries()}};
    if (applier.failure()) {
      branch_log["error"] = applier.failure()->to_string();
    }
    run_on_io_([this, body = std::move(body), branch_log = std::move(branch_log),
                respond = std::move(respond)]() mutable {
      body["proposer_connections"] = proposers_.connections().size();
      json::object listening;
      for (const auto& [port, address] : cluster_.listening) {
        listening[port] = address;
      }
      body["listening"] = std::move(listening);
      json::object advertised;
      for (const auto& [port, address] : cluster_.advertised) {
        advertised[port] = address;
      }
      body["advertised"] = std::move(advertised);
      json::array peers;
      for (const auto& [id, address] : cluster_.peers) {
        peers.push_back(json::object{{"node_id", id}, {"proposer", address}});
      }
      body["peers"] = std::move(peers);
      json::value writer = nullptr;
      if (branch_log_.writer != nullptr) {
        const BranchLogWriter::Status w = branch_log_.writer->status();
        writer = json::object{{"phase", w.phase},
                              {"term", w.term},
                              {"commit_lsn", w.commit_lsn.to_string()},
                              {"pending", w.pending},
                              {"streaming_acceptors", w.streaming_acceptors}};
      }
      branch_log["writer"] = std::move(writer);
      body["branch_log"] = std::move(branch_log);
      respond(json_response(200, body));
    });
  });
}

void ApiRoutes::get_readiness(Respond respond) {
  // On the worker, so that a worker stuck on its disk fails the probe by its timeout.
  worker_.post([this, respond = std::move(respond)]() mutable {
    bool ready = true;
    json::object checks;
    const std::size_t broken = node_.broken().size();
    checks["timelines"] = broken == 0 ? "ok" : std::to_string(broken) + " broken";
    ready = ready && broken == 0;
    storage::DiskReserve& reserve = node_.disk_reserve();
    reserve.refresh_if_stale();
    checks["disk"] = reserve.refusing() ? "below the reserve: appends refused" : "ok";
    ready = ready && !reserve.refusing();
    const bool has_branch_log = branch_log_.writer != nullptr;
    const bool applier_failed = branch_log_.applier.failure().has_value();
    checks["branch_log"] = !has_branch_log  ? "off (no --peers)"
                           : applier_failed ? "failed (see /v1/status)"
                                            : "ok";
    ready = ready && !applier_failed;
    const IdentityCheck* identity = branch_log_.identity;
    const bool unconfirmed = identity != nullptr && !identity->confirmed();
    checks["identity"] = identity == nullptr ? "off (no --peers)" : identity->describe();
    ready = ready && !unconfirmed;
    respond_on_io(std::move(respond),
                  json_response(ready ? 200 : 503,
                                json::object{{"ready", ready}, {"checks", std::move(checks)}}));
  });
}

void ApiRoutes::list_timelines(const ApiRequest& request, const std::string& tenant,
                               Respond respond) {
  auto tenant_id = parse_id<consensus::TenantId>("tenant id", tenant);
  if (!tenant_id) {
    respond(error_response(tenant_id.error(), request.request_id));
    return;
  }
  worker_.post([this, tenant_id = *tenant_id, respond = std::move(respond)]() mutable {
    auto objects = std::make_shared<std::vector<std::pair<storage::TimelineKey, json::object>>>();
    for (const storage::TimelineKey& key : node_.timelines()) {
      if (key.tenant_id == tenant_id) {
        objects->emplace_back(key,
                              timeline_json(*node_.timeline(key), node_.wal_bytes_on_disk(key)));
      }
    }
    run_on_io_([this, objects, respond = std::move(respond)]() mutable {
      const auto connections = proposers_.connections();
      json::array list;
      for (auto& [key, object] : *objects) {
        add_connected_proposer(object, key, connections);
        list.push_back(std::move(object));
      }
      respond(json_response(200, json::object{{"timelines", std::move(list)}}));
    });
  });
}

void ApiRoutes::create_timeline(const ApiRequest& request, const std::string& tenant,
                                Respond respond) {
  auto identity = parse_create_timeline(tenant, request.body);
  if (!identity) {
    respond(error_response(identity.error(), request.request_id));
    return;
  }
  worker_.post([this, identity = *identity, request_id = request.request_id,
                respond = std::move(respond)]() mutable {
    const storage::TimelineKey key{identity.tenant_id, identity.timeline_id};
    int status = 201;
    Timeline* timeline = node_.timeline(key);
    if (timeline != nullptr) {
      // Idempotent: the same parameters again get the timeline; different ones a conflict.
      if (timeline->acceptor().state().identity != identity) {
        auto error = Error(ErrorCode::kAlreadyExists,
                           "timeline " + storage::timeline_name(key) +
                               " exists with other parameters (system id, version, segment "
                               "size or start LSN)");
        respond_on_io(std::move(respond), error_response(error, request_id));
        return;
      }
      status = 200;
    } else {
      auto created = node_.create_timeline(identity);
      if (!created) {
        respond_on_io(std::move(respond), error_response(created.error(), request_id));
        return;
      }
      timeline = *created;
    }
    run_on_io_([this, status, key, object = timeline_json(*timeline, node_.wal_bytes_on_disk(key)),
                respond = std::move(respond)]() mutable {
      add_connected_proposer(object, key, proposers_.connections());
      respond(json_response(status, object));
    });
  });
}

// This node only (as Neon's safekeeper timeline delete): a timeline the branch log still gives
// to a branch is refused; one it left to none goes by itself (BranchLogApplier's release).
void ApiRoutes::delete_timeline(const ApiRequest& request, const std::string& tenant,
                                const std::string& timeline, Respond respond) {
  auto parsed_key = parse_timeline_key(tenant, timeline);
  if (!parsed_key) {
    respond(error_response(parsed_key.error(), request.request_id));
    return;
  }
  const storage::TimelineKey key = *parsed_key;
  worker_.post([this, key, request_id = request.request_id,
                respond = std::move(respond)]() mutable {
    const std::string name = "timeline " + storage::timeline_name(key);
    std::optional<Error> refusal;
    if (key == branch_log_key()) {
      refusal = Error(ErrorCode::kFailedPrecondition, name + " is the branch log");
    } else if (const branchmgr::Branch* branch = branch_log_.applier.view().branch_with_timeline(
                   key.tenant_id, key.timeline_id)) {
      refusal = Error(ErrorCode::kFailedPrecondition,
                      name + " is branch '" + branch->name + "': delete the branch instead");
    } else if (node_.timeline(key) == nullptr && !node_.broken().contains(key)) {
      refusal = not_hosted(key);
    }
    if (refusal) {
      respond_on_io(std::move(respond), error_response(*refusal, request_id));
      return;
    }
    Status removed = node_.remove_timeline(key);
    respond_on_io(std::move(respond), removed ? json_response(200, json::object{{"removed", name}})
                                              : error_response(removed.error(), request_id));
  });
}

void ApiRoutes::get_timeline(const ApiRequest& request, const std::string& tenant,
                             const std::string& timeline, Respond respond) {
  auto parsed_key = parse_timeline_key(tenant, timeline);
  if (!parsed_key) {
    respond(error_response(parsed_key.error(), request.request_id));
    return;
  }
  const storage::TimelineKey key = *parsed_key;
  worker_.post(
      [this, key, request_id = request.request_id, respond = std::move(respond)]() mutable {
        Timeline* found = node_.timeline(key);
        if (found == nullptr) {
          const auto broken = node_.broken().find(key);
          const Error error = broken != node_.broken().end()
                                  ? Error(broken->second.code(),
                                          "timeline " + storage::timeline_name(key) +
                                              " could not be opened: " + broken->second.message())
                                  : not_hosted(key);
          respond_on_io(std::move(respond), error_response(error, request_id));
          return;
        }
        json::object object = timeline_json(*found, node_.wal_bytes_on_disk(key));
        if (auto removal = branch_log_.commands.removal_inputs(key)) {
          const branchmgr::HeldFrom horizon = branchmgr::removal_horizon(*removal);
          object["removal_horizon"] =
              json::object{{"lsn", horizon.lsn.to_string()}, {"held_by", horizon.holder}};
        }
        if (auto first_held = node_.first_held_lsn(key)) {
          object["wal_kept_from"] = first_held->to_string();
        }
        run_on_io_([this, key, object = std::move(object), respond = std::move(respond)]() mutable {
          add_connected_proposer(object, key, proposers_.connections());
          respond(json_response(200, object));
        });
      });
}

void ApiRoutes::set_configuration(const ApiRequest& request, const std::string& tenant,
                                  const std::string& timeline, Respond respond) {
  auto parsed_key = parse_timeline_key(tenant, timeline);
  if (!parsed_key) {
    respond(error_response(parsed_key.error(), request.request_id));
    return;
  }
  auto configuration = parse_configuration_body(request.body);
  if (!configuration) {
    respond(error_response(configuration.error(), request.request_id));
    return;
  }
  const storage::TimelineKey key = *parsed_key;
  worker_.post([this, key, configuration = std::move(*configuration),
                request_id = request.request_id, respond = std::move(respond)]() mutable {
    Timeline* found = node_.timeline(key);
    if (found == nullptr) {
      respond_on_io(std::move(respond), error_response(not_hosted(key), request_id));
      return;
    }
    const consensus::Configuration before = found->acceptor().state().configuration;
    if (Status set = found->set_configuration(configuration); !set) {
      respond_on_io(std::move(respond), error_response(set.error(), request_id));
      return;
    }
    if (before != configuration) {
      log_info("timeline " + storage::timeline_name(key) + ": configuration " +
               (before.none() ? std::string("none") : before.describe()) + " -> " +
               configuration.describe());
    }
    respond_on_io(std::move(respond),
                  json_response(200, timeline_json(*found, node_.wal_bytes_on_disk(key))));
  });
}

void ApiRoutes::get_wal_segment(const ApiRequest& request, const std::string& tenant,
                                const std::string& timeline, const std::string& file_name,
                                Respond respond) {
  auto parsed_key = parse_timeline_key(tenant, timeline);
  if (!parsed_key) {
    respond(error_response(parsed_key.error(), request.request_id));
    return;
  }
  const storage::TimelineKey key = *parsed_key;
  // The worker describes what is committed; a read thread reads it (up to 16 MiB).
  worker_.post([this, key, file_name, request_id = request.request_id,
                respond = std::move(respond)]() mutable {
    read_off_worker(respond, request_id,
                    [this, composition = wal_.compose(key), file_name, request_id, respond] {
                      respond_on_io(respond,
                                    wal_segment_response(composition, file_name, request_id));
                    });
  });
}

// The replication port's slots live on the I/O thread, where this runs: answered at once.
void ApiRoutes::list_slots(const ApiRequest& request, const std::string& tenant,
                           const std::string& timeline, const Respond& respond) {
  auto key = parse_timeline_key(tenant, timeline);
  if (!key) {
    respond(error_response(key.error(), request.request_id));
    return;
  }
  json::array slots;
  for (const walsender::ReplicationSlot& slot : readers_.slots(*key)) {
    slots.push_back(json::object{
        {"slot_name", slot.name},
        {"slot_type", "physical"},
        {"temporary", slot.temporary},
        {"active", slot.active != 0},
        {"restart_lsn", slot.restart_lsn == Lsn() ? json::value(nullptr)
                                                  : json::value(slot.restart_lsn.to_string())}});
  }
  respond(json_response(200, json::object{{"slots", std::move(slots)}}));
}

void ApiRoutes::get_digest(const ApiRequest& request, const std::string& tenant,
                           const std::string& timeline, Respond respond) {
  auto parsed_key = parse_timeline_key(tenant, timeline);
  auto lsn_parameter = [&](std::string_view name) -> std::optional<Lsn> {
    const auto text = query_parameter(request.target, name);
    return text ? Lsn::parse(*text) : std::nullopt;
  };
  const auto from = lsn_parameter("from_lsn");
  const auto until = lsn_parameter("until_lsn");
  if (!parsed_key || !from || !until) {
    respond(error_response(
        !parsed_key ? parsed_key.error()
                    : Error(ErrorCode::kInvalidArgument,
                            "from_lsn and until_lsn (X/X) are required query parameters"),
        request.request_id));
    return;
  }
  if (*from > *until) {
    respond(error_response(Error(ErrorCode::kInvalidArgument, "from_lsn is above until_lsn"),
                           request.request_id));
    return;
  }
  const storage::TimelineKey key = *parsed_key;
  worker_.post([this, key, from = *from, until = *until, request_id = request.request_id,
                respond = std::move(respond)]() mutable {
    const Timeline* found = node_.timeline(key);
    if (found == nullptr) {
      respond_on_io(std::move(respond), error_response(not_hosted(key), request_id));
      return;
    }
    if (Status durable = found->check_durable_range(from, until); !durable) {
      respond_on_io(std::move(respond), error_response(durable.error(), request_id));
      return;
    }
    // The committed part is read off the worker. Above the commit LSN a new term may still cut
    // the WAL, so that part (durable, not committed: usually what a proposer had in flight, and
    // what tests compare after a crash) is read here, at the moment of the description.
    const Lsn committed =
        std::clamp(std::min(found->durable_state().commit_lsn, found->flush_lsn()), from, until);
    auto tail = found->read_wal(committed, until);
    if (!tail) {
      respond_on_io(std::move(respond), error_response(tail.error(), request_id));
      return;
    }
    read_off_worker(respond, request_id,
                    [this, wal = found->durable_reader(), from, committed, until,
                     tail = std::move(*tail), request_id, respond] {
                      auto digest = digest_of(*wal, from, committed, tail);
                      respond_on_io(
                          respond,
                          digest ? json_response(200, json::object{{"from_lsn", from.to_string()},
                                                                   {"until_lsn", until.to_string()},
                                                                   {"digest", digest->hex()}})
                                 : error_response(digest.error(), request_id));
                    });
  });
}

void ApiRoutes::read_off_worker(const Respond& respond, const std::string& request_id,
                                std::function<void()> read) {
  if (Status submitted = reads_.submit(std::move(read)); !submitted) {
    respond_on_io(respond, error_response(submitted.error(), request_id));
  }
}

void ApiRoutes::respond_on_io(Respond respond, ApiResponse response) {
  run_on_io_([respond = std::move(respond), response = std::move(response)] { respond(response); });
}

void ApiRoutes::get_metrics(Respond respond) {
  struct TimelineGauges {
    storage::TimelineKey key;
    std::uint64_t term = 0;
    std::uint64_t flush_lsn = 0;
    std::uint64_t commit_lsn = 0;
    std::uint64_t term_start_lsn = 0;
    std::uint64_t wal_bytes_on_disk = 0;
    std::uint64_t commit_index_entries = 0;
    std::uint64_t commit_index_bytes = 0;
    std::uint64_t wal_kept_from_lsn = 0;
    std::optional<branchmgr::HeldFrom> removal_horizon;
  };
  worker_.post([this, respond = std::move(respond)]() mutable {
    std::vector<TimelineGauges> gauges;
    for (const storage::TimelineKey& key : node_.timelines()) {
      const Timeline& t = *node_.timeline(key);
      const auto& state = t.acceptor().state();
      const CommitTimeIndexer::Indexed* indexed = branch_log_.commit_times.indexed(key);
      const bool has_index = indexed != nullptr && indexed->commits;
      const std::uint64_t entries = has_index ? indexed->commits->commits() : 0;
      const std::uint64_t index_bytes = has_index ? indexed->commits->memory_bytes() : 0;
      gauges.push_back({key, state.term.value(), t.flush_lsn().value(), state.commit_lsn.value(),
                        state.history.empty() ? 0 : state.history.entries().back().lsn.value(),
                        node_.wal_bytes_on_disk(key), entries, index_bytes,
                        node_.first_held_lsn(key).value_or(Lsn()).value(), std::nullopt});
      if (auto removal = branch_log_.commands.removal_inputs(key)) {
        gauges.back().removal_horizon = branchmgr::removal_horizon(*removal);
      }
    }
    const std::size_t broken = node_.broken().size();
    storage::DiskReserve& reserve = node_.disk_reserve();
    reserve.refresh_if_stale();
    struct Disk {
      std::uint64_t free_bytes = 0;
      std::uint64_t reserve_bytes = 0;
      std::uint64_t refused = 0;
    };
    const Disk disk{reserve.free_bytes(), reserve.reserve_bytes(), reserve.refused_total()};
    run_on_io_([this, gauges = std::move(gauges), broken, disk, respond = std::move(respond)] {
      metrics::PrometheusText text;
      text.family("safekeeper_build_info", "gauge", "Build metadata; always 1.");
      text.sample("safekeeper_build_info", {{"version", version_}}, std::uint64_t{1});
      text.family("safekeeper_timelines", "gauge", "Timelines hosted by this node.");
      text.sample("safekeeper_timelines", {}, std::uint64_t{gauges.size()});
      text.family("safekeeper_broken_timelines", "gauge",
                  "Timelines found on disk that could not be opened.");
      text.sample("safekeeper_broken_timelines", {}, std::uint64_t{broken});
      auto per_timeline = [&](std::string_view name, std::string_view help, auto field) {
        text.family(name, "gauge", help);
        for (const TimelineGauges& g : gauges) {
          text.sample(name,
                      {{"tenant_id", g.key.tenant_id.to_hex()},
                       {"timeline_id", g.key.timeline_id.to_hex()}},
                      static_cast<double>(g.*field));
        }
      };
      per_timeline("safekeeper_flush_lsn", "Durable end of the timeline's WAL on this node.",
                   &TimelineGauges::flush_lsn);
      per_timeline("safekeeper_commit_lsn", "Highest LSN known committed by a majority.",
                   &TimelineGauges::commit_lsn);
      per_timeline("safekeeper_acceptor_term", "The acceptor's current term.",
                   &TimelineGauges::term);
      per_timeline("safekeeper_epoch_start_lsn", "Where the latest term started writing.",
                   &TimelineGauges::term_start_lsn);
      per_timeline("safekeeper_wal_disk_bytes",
                   "Bytes the timeline's WAL segment files take on disk.",
                   &TimelineGauges::wal_bytes_on_disk);
      per_timeline("safekeeper_commit_index_entries",
                   "Commits in the timeline's commit-time index (the WAL it covers).",
                   &TimelineGauges::commit_index_entries);
      per_timeline("safekeeper_commit_index_bytes",
                   "Memory the timeline's commit-time index takes (a summary per 1 MiB piece of "
                   "WAL, the open piece's commits).",
                   &TimelineGauges::commit_index_bytes);
      per_timeline("safekeeper_wal_kept_from_lsn",
                   "First LSN of the timeline's WAL still on disk (WAL below was removed).",
                   &TimelineGauges::wal_kept_from_lsn);
      text.family("safekeeper_wal_removal_horizon_lsn", "gauge",
                  "Below this LSN (rounded down to a segment) the timeline's WAL may be removed; "
                  "held_by names what holds it there.");
      for (const TimelineGauges& g : gauges) {
        if (g.removal_horizon) {
          text.sample("safekeeper_wal_removal_horizon_lsn",
                      {{"tenant_id", g.key.tenant_id.to_hex()},
                       {"timeline_id", g.key.timeline_id.to_hex()},
                       {"held_by", g.removal_horizon->holder}},
                      static_cast<double>(g.removal_horizon->lsn.value()));
        }
      }
      text.family("safekeeper_disk_free_bytes", "gauge",
                  "Free space on the data directory's file system.");
      text.sample("safekeeper_disk_free_bytes", {}, disk.free_bytes);
      text.family("safekeeper_disk_reserve_bytes", "gauge",
                  "Free space kept in reserve; below it WAL appends are refused.");
      text.sample("safekeeper_disk_reserve_bytes", {}, disk.reserve_bytes);
      text.family("safekeeper_disk_reserve_refused_appends_total", "counter",
                  "WAL appends refused because free space was below the reserve.");
      text.sample("safekeeper_disk_reserve_refused_appends_total", {}, disk.refused);
      const storage::IoMetrics& io = node_.io_metrics();
      text.family("safekeeper_write_wal_bytes_total", "counter", "WAL bytes written.");
      text.sample("safekeeper_write_wal_bytes_total", {}, io.wal_bytes_written.load());
      text.family("safekeeper_flush_wal_total", "counter", "WAL fdatasync calls.");
      text.sample("safekeeper_flush_wal_total", {}, io.wal_syncs.load());
      text.family("safekeeper_wal_disk_io_errors_total", "counter",
                  "Storage errors (ENOSPC, EIO, ...) returned by the WAL or control store.");
      text.sample("safekeeper_wal_disk_io_errors_total", {}, io.io_errors.load());
      text.family("safekeeper_wal_removed_segments_total", "counter",
                  "WAL segment files removed below a removal horizon.");
      text.sample("safekeeper_wal_removed_segments_total", {}, io.wal_segments_removed.load());
      text.family("safekeeper_write_wal_seconds", "histogram", "Time to write WAL (no sync).");
      text.histogram("safekeeper_write_wal_seconds", {}, io.wal_write_seconds.snapshot());
      text.family("safekeeper_flush_wal_seconds", "histogram", "Time of one WAL fdatasync.");
      text.histogram("safekeeper_flush_wal_seconds", {}, io.wal_sync_seconds.snapshot());
      text.family("safekeeper_persist_control_file_seconds", "histogram",
                  "Time of one durable control state save (LMDB commit).");
      text.histogram("safekeeper_persist_control_file_seconds", {},
                     io.control_save_seconds.snapshot());
      std::vector<std::pair<const char*, const ListenerStats*>> ports = {
          {"proposer", &proposers_.listener_stats()}, {"pg", &readers_.listener_stats()}};
      if (http_stats_ != nullptr) {
        ports.emplace_back("http", http_stats_);
      }
      text.family("safekeeper_connections_open", "gauge", "Connections open now, by port.");
      for (const auto& [port, stats] : ports) {
        text.sample("safekeeper_connections_open", {{"port", port}}, stats->open.load());
      }
      text.family("safekeeper_connections_over_limit_total", "counter",
                  "Connections closed as they arrived: --max-connections or "
                  "--max-connections-per-address was reached.");
      for (const auto& [port, stats] : ports) {
        text.sample("safekeeper_connections_over_limit_total", {{"port", port}},
                    stats->refused_over_limit.load());
      }
      text.family("safekeeper_accept_failures_total", "counter",
                  "accept() failures (EMFILE and the like: accepting pauses 100 ms after each).");
      for (const auto& [port, stats] : ports) {
        text.sample("safekeeper_accept_failures_total", {{"port", port}},
                    stats->accept_failures.load());
      }
      const ProposerServerStats& p = proposers_.stats();
      text.family("safekeeper_wal_receivers", "gauge", "Open proposer connections.");
      text.sample("safekeeper_wal_receivers", {}, p.connections_open.load());
      text.family("safekeeper_proposer_connections_total", "counter",
                  "Proposer connections accepted.");
      text.sample("safekeeper_proposer_connections_total", {}, p.connections_accepted.load());
      text.family("safekeeper_proposer_connections_refused_total", "counter",
                  "Proposer connections closed with an error frame.");
      text.sample("safekeeper_proposer_connections_refused_total", {},
                  p.connections_refused.load());
      text.family("safekeeper_proposer_acceptor_messages_total", "counter",
                  "Frames received from proposers.");
      text.sample("safekeeper_proposer_acceptor_messages_total", {}, p.messages_received.load());
      text.family("safekeeper_proposer_io_bytes_total", "counter",
                  "Bytes on proposer connections, by direction.");
      text.sample("safekeeper_proposer_io_bytes_total", {{"direction", "in"}},
                  p.bytes_received.load());
      text.sample("safekeeper_proposer_io_bytes_total", {{"direction", "out"}},
                  p.bytes_sent.load());
      ApiResponse response;
      response.content_type = std::string(metrics::PrometheusText::kContentType);
      response.body = text.text();
      respond(std::move(response));
    });
  });
}

}  // namespace sk::safekeeper
