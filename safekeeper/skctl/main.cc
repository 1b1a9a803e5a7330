// skctl: the command line of the branch API and of computes on branches. See usage() in
// command_line.cc, and docs/HTTP_API.md for what each command asks the safekeepers.
//
// Exit status, as psql's: 0 done; 1 refused or failed, with one line on stderr; 2 no safekeeper
// could be reached or the cluster has no quorum.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <unistd.h>

#include "branchmgr/duration.h"
#include "safekeeper/auth/token.h"
#include "safekeeper/cli/command_line.h"
#include "safekeeper/http/http_client.h"
#include "safekeeper/proposer/cluster_setup.h"
#include "safekeeper/skctl/api_client.h"
#include "safekeeper/skctl/command_line.h"
#include "safekeeper/skctl/compute.h"
#include "safekeeper/skctl/compute_passwords.h"
#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/membership.h"
#include "safekeeper/skctl/schema_diff.h"
#include "safekeeper/skctl/snapshot_agent.h"
#include "safekeeper/skctl/snapshot_store.h"
#include "safekeeper/skctl/table.h"
#include "safekeeper/skctl/tokens.h"

namespace {

using namespace sk;
using namespace sk::skctl;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kExitFailed = 1;
constexpr int kExitUnreachable = 3;  // 2 is bad usage, as for every program (sk::cli).

const std::vector<std::string> kBranchColumns = {
    "name", "timeline_id", "parent", "lsn", "head_lsn", "protected", "expires_at", "created_at"};
const std::vector<std::string> kBranchFields = {
    "name",     "tenant_id", "timeline_id", "parent",     "parent_timeline_id", "lsn",
    "head_lsn", "protected", "expires_at",  "created_at", "updated_at"};
const std::vector<std::string> kTenantColumns = {"name", "tenant_id", "branches",
                                                 "history_retention", "created_at"};
const std::vector<std::string> kSnapshotColumns = {"snapshot_id", "branch",     "start_lsn",
                                                   "end_lsn",     "size_bytes", "clone",
                                                   "removable",   "created_at"};

int fail(const Error& error) {
  std::fprintf(stderr, "skctl: error: %s\n", error.message().c_str());
  return error.code() == ErrorCode::kUnavailable ? kExitUnreachable : kExitFailed;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

struct Context {
  Invocation invocation;
  ApiClient api;
  LocalSettings local;
  bool json_output = false;

  std::filesystem::path passfile() const { return ComputePasswords(local.home).passfile(); }

  // As JSON, or as a table of `columns` (a list under `list_key`) or of `fields` (one object).
  void print(const json::value& body, const std::string& list_key,
             const std::vector<std::string>& columns) const {
    if (json_output) {
      std::printf("%s\n", json::serialize(body).c_str());
      return;
    }
    const json::object& o = body.as_object();
    const Table table =
        list_key.empty() ? record_of(o, columns) : table_of(o.at(list_key).as_array(), columns);
    std::fputs(format_table(table).c_str(), stdout);
  }
};

// --tenant as an id, or the id of the tenant so named; without it, the only tenant.
Result<std::string> resolve_tenant(const Context& c) {
  const std::string wanted = c.invocation.flag("--tenant", env_or("SKCTL_TENANT", ""));
  if (consensus::TenantId::parse_hex(wanted)) {
    return wanted;
  }
  auto reply = c.api.call("GET", "/v1/tenants");
  if (!reply) {
    return reply.error();
  }
  const json::array& tenants = reply->body.as_object().at("tenants").as_array();
  std::vector<std::string> matching;
  for (const auto& t : tenants) {
    if (wanted.empty() || t.as_object().at("name").as_string() == wanted) {
      matching.emplace_back(t.as_object().at("tenant_id").as_string());
    }
  }
  if (matching.size() == 1) {
    return matching.front();
  }
  if (wanted.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 matching.empty() ? "there is no tenant yet: skctl tenant create NAME"
                                  : "there are several tenants: pass --tenant NAME|ID");
  }
  return Error(ErrorCode::kNotFound, "no tenant is named \"" + wanted + "\"");
}

int tenant_command(const Context& c) {
  if (c.invocation.verb == "list") {
    auto reply = c.api.call("GET", "/v1/tenants");
    if (!reply) {
      return fail(reply.error());
    }
    c.print(reply->body, "tenants", kTenantColumns);
    return 0;
  }
  json::object body;
  if (c.invocation.has("--history-retention")) {
    body["history_retention"] = c.invocation.flag("--history-retention");
  }
  Result<ApiReply> reply = Error(ErrorCode::kInternal, "no request");
  if (c.invocation.verb == "set") {
    auto tenant = resolve_tenant(c);
    if (!tenant) {
      return fail(tenant.error());
    }
    reply = c.api.call("PATCH", "/v1/tenants/" + *tenant, json::value(body));
  } else {
    body["name"] = c.invocation.operand;
    if (c.invocation.has("--tenant-id")) {
      body["tenant_id"] = c.invocation.flag("--tenant-id");
    }
    reply = c.api.call("POST", "/v1/tenants", json::value(body));
  }
  if (!reply) {
    return fail(reply.error());
  }
  c.print(reply->body, "", kTenantColumns);
  return 0;
}

// --protected true|false, --ttl DURATION, --expires-at RFC3339|never: the API's fields.
Result<json::object> lifecycle_body(const Invocation& inv) {
  json::object body;
  if (inv.has("--protected")) {
    const std::string value = inv.flag("--protected");
    if (value != "true" && value != "false") {
      return Error(ErrorCode::kInvalidArgument,
                   "--protected must be true or false, not \"" + value + "\"");
    }
    body["protected"] = value == "true";
  }
  if (inv.has("--ttl")) {
    body["ttl"] = inv.flag("--ttl");
  }
  if (inv.has("--expires-at")) {
    const std::string value = inv.flag("--expires-at");
    body["expires_at"] = value == "never" ? json::value(nullptr) : json::value(value);
  }
  return body;
}

// The point of NAME@POINT as the API's "lsn" or "timestamp" field (none: the head).
void add_point(json::object& body, const ParentSpec& spec) {
  if (spec.lsn) {
    body["lsn"] = spec.lsn->to_string();
  }
  if (spec.timestamp) {
    body["timestamp"] = *spec.timestamp;
  }
}

// `branch restore NAME --to SOURCE[@POINT] [--preserve-as KEPT]`. A compute of the branch on this
// machine is stopped first (its last commits reach the quorum), then started again on the
// restored branch with the same data directory and port: its connection string stays. If the
// safekeepers refuse the restore, it is started again as it was.
int restore_branch(const Context& c, const std::string& tenant) {
  const Invocation& inv = c.invocation;
  auto to = parse_parent(inv.flag("--to"), "--to");
  if (!to) {
    return fail(to.error());
  }
  json::object body{{"source", to->branch}};
  add_point(body, *to);
  if (inv.has("--preserve-as")) {
    body["preserve_under_name"] = inv.flag("--preserve-as");
  }
  std::optional<Endpoint> compute;
  for (const Endpoint& e : Endpoints(c.local.home).all()) {
    if (e.kind == "compute" && e.tenant_id == tenant && e.branch == inv.operand) {
      compute = e;
    }
  }
  if (compute) {
    if (Status s = stop_endpoint(c.local, *compute); !s) {
      return fail(s.error());
    }
  }
  auto reply = c.api.call(
      "POST", "/v1/tenants/" + tenant + "/branches/" + url_encode(inv.operand) + "/restore",
      json::value(body));
  if (compute) {
    StartRequest again;
    again.tenant_id = tenant;
    again.branch = inv.operand;
    again.pgdata = compute->pgdata;
    again.port = compute->port;
    auto started = start_endpoint(c.api, c.local, again);
    if (!started) {
      return fail(Error(started.error().code(),
                        std::string(reply ? "branch restored, but its compute did not start again: "
                                          : "restore refused, and the branch's compute did not "
                                            "start again: ") +
                            started.error().message()));
    }
    std::fprintf(stderr, "skctl: the compute of branch %s was restarted: %s\n", inv.operand.c_str(),
                 started->connection_uri(c.passfile()).c_str());
  }
  if (!reply) {
    return fail(reply.error());
  }
  c.print(reply->body, "", kBranchFields);
  return 0;
}

int branch_command(const Context& c, const std::string& tenant) {
  const Invocation& inv = c.invocation;
  const std::string branches = "/v1/tenants/" + tenant + "/branches";
  Result<ApiReply> reply = Error(ErrorCode::kInternal, "no request");
  if (inv.verb == "create") {
    json::object body{{"name", inv.operand}};
    if (inv.has("--parent")) {
      auto parent = parse_parent(inv.flag("--parent"));
      if (!parent) {
        return fail(parent.error());
      }
      body["parent"] = parent->branch;
      add_point(body, *parent);
    }
    if (inv.has("--timeline-id")) {
      body["timeline_id"] = inv.flag("--timeline-id");
    }
    if (auto lifecycle = lifecycle_body(inv); !lifecycle) {
      return fail(lifecycle.error());
    } else {
      for (const auto& [field, value] : *lifecycle) {
        body[field] = value;
      }
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (inv.has("--idempotency-key")) {
      headers.emplace_back("Idempotency-Key", inv.flag("--idempotency-key"));
    }
    reply = c.api.call("POST", branches, json::value(body), headers);
  } else if (inv.verb == "list") {
    // Every page, so that the table is the whole list.
    json::array all;
    std::string cursor;
    do {
      reply = c.api.call("GET", branches + "?limit=" + inv.flag("--limit", "1000") +
                                    (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
      if (!reply) {
        return fail(reply.error());
      }
      const json::object& page = reply->body.as_object();
      for (const auto& b : page.at("branches").as_array()) {
        all.push_back(b);
      }
      const auto* next = page.at("pagination").as_object().if_contains("next");
      cursor = next != nullptr && next->is_string() ? std::string(next->get_string()) : "";
    } while (!cursor.empty() && !inv.has("--limit"));
    c.print(json::object{{"branches", all}}, "branches", kBranchColumns);
    return 0;
  } else if (inv.verb == "get") {
    reply = c.api.call("GET", branches + "/" + url_encode(inv.operand));
  } else if (inv.verb == "delete") {
    reply = c.api.call("DELETE", branches + "/" + url_encode(inv.operand));
  } else if (inv.verb == "set") {
    auto lifecycle = lifecycle_body(inv);
    if (!lifecycle) {
      return fail(lifecycle.error());
    }
    reply = c.api.call("PATCH", branches + "/" + url_encode(inv.operand), json::value(*lifecycle));
  } else if (inv.verb == "restore") {
    return restore_branch(c, tenant);
  } else {
    reply = c.api.call("POST", branches + "/" + url_encode(inv.operand) + "/reset");
  }
  if (!reply) {
    return fail(reply.error());
  }
  c.print(reply->body, "", kBranchFields);
  return 0;
}

// The branch log first (the safekeepers refuse a snapshot a start would use), then its files in
// the snapshot store; a location registered outside the store is not skctl's to remove.
int delete_snapshot(const Context& c, const std::string& tenant) {
  auto reply = c.api.call(
      "DELETE", "/v1/tenants/" + tenant + "/snapshots/" + url_encode(c.invocation.operand));
  if (!reply) {
    return fail(reply.error());
  }
  const json::object& o = reply->body.as_object();
  const std::string id(o.at("snapshot_id").as_string());
  const std::string location(o.at("location").as_string());
  const SnapshotStore store(c.local.snapshot_store);
  auto removed = store.remove(id, location);
  if (!removed) {
    return fail(Error(removed.error().code(), "snapshot " + id +
                                                  " is deleted from the branch log, but not "
                                                  "its files: " +
                                                  removed.error().message()));
  }
  if (*removed == SnapshotStore::Removal::kLeftInPlace) {
    std::fprintf(stderr,
                 "skctl: snapshot %s was registered at %s, not in the snapshot store %s: its files "
                 "were left there\n",
                 id.c_str(), location.c_str(), store.root().string().c_str());
  }
  c.print(reply->body, "",
          {"snapshot_id", "branch", "timeline_id", "start_lsn", "end_lsn", "location"});
  return 0;
}

int snapshot_command(const Context& c, const std::string& tenant) {
  const Invocation& inv = c.invocation;
  if (inv.verb == "delete") {
    return delete_snapshot(c, tenant);
  }
  if (inv.verb == "follow") {
    const auto every = parse_byte_size(inv.flag("--every"));
    const int port = std::atoi(inv.flag("--port").c_str());
    const long interval_ms = std::atol(inv.flag("--interval-ms", "5000").c_str());
    if (!every || *every == 0 || port <= 0 || interval_ms <= 0) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        "snapshot follow needs --every SIZE > 0, --port P and --interval-ms > 0"));
    }
    return follow_with_snapshots(
        c.api, c.local,
        {tenant, inv.flag("--branch"), port, *every, std::chrono::milliseconds(interval_ms)});
  }
  if (inv.verb == "list") {
    auto reply = c.api.call("GET", "/v1/tenants/" + tenant + "/snapshots");
    if (!reply) {
      return fail(reply.error());
    }
    // Whether a compute starting from each one clones it (O(1)) or copies it: a property of
    // the store's file system, probed once.
    const SnapshotStore store(c.local.snapshot_store);
    const bool store_clones = store.clones();
    for (auto& snapshot : reply->body.as_object().at("snapshots").as_array()) {
      json::object& o = snapshot.as_object();
      const auto* location = o.if_contains("location");
      const bool clones = store_clones && location != nullptr && location->is_string() &&
                          fs::is_directory(std::string(location->get_string())) &&
                          is_inside(std::string(location->get_string()), store.root());
      o["clone"] = clones ? "yes" : "no (copied)";
    }
    c.print(reply->body, "snapshots", kSnapshotColumns);
    return 0;
  }
  int port = std::atoi(inv.flag("--port", "0").c_str());
  if (port == 0) {  // The branch's compute on this machine.
    auto branch = c.api.call(
        "GET", "/v1/tenants/" + tenant + "/branches/" + url_encode(inv.flag("--branch")));
    if (!branch) {
      return fail(branch.error());
    }
    const std::string timeline(branch->body.as_object().at("timeline_id").as_string());
    for (const Endpoint& e : Endpoints(c.local.home).all()) {
      if (e.kind == "compute" && e.tenant_id == tenant && e.timeline_id == timeline) {
        port = e.port;
      }
    }
    if (port == 0) {
      return fail(Error(ErrorCode::kFailedPrecondition,
                        "branch '" + inv.flag("--branch") +
                            "' has no compute on this machine: pass --port of its server"));
    }
  }
  auto reply = create_snapshot(c.api, c.local, tenant, inv.flag("--branch"),
                               inv.flag("--host", "127.0.0.1"), port);
  if (!reply) {
    return fail(reply.error());
  }
  c.print(reply->body, "",
          {"snapshot_id", "branch", "timeline_id", "start_lsn", "end_lsn", "location", "checksum",
           "size_bytes", "created_at"});
  return 0;
}

int endpoint_command(const Context& c, const std::string& tenant) {
  const Invocation& inv = c.invocation;
  const bool replica = inv.group == "replica";
  if (inv.verb == "start") {
    const int port = std::atoi(inv.flag("--port").c_str());
    if (port <= 0 || port > 65535) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        "--port " + inv.flag("--port") + " is not a port number"));
    }
    auto durability = parse_durability(inv.flag("--durability", "quorum"));
    if (!durability) {
      return fail(durability.error());
    }
    const auto snapshot_every = parse_byte_size(inv.flag("--snapshot-every", "1GB"));
    if (!snapshot_every) {
      return fail(Error(
          ErrorCode::kInvalidArgument,
          "--snapshot-every " + inv.flag("--snapshot-every") + " is not a size (1GB, 512MB, 0)"));
    }
    const bool read_only = inv.has("--read-only");
    if (!read_only && inv.flag("--branch").find('@') != std::string::npos) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        "a point in a branch's past is read-only: add --read-only, or create a "
                        "branch there (skctl branch create NAME --parent " +
                            inv.flag("--branch") + ")"));
    }
    auto endpoint = start_endpoint(c.api, c.local,
                                   {tenant, inv.flag("--branch"), inv.flag("--pgdata"), port,
                                    replica, *durability, read_only, *snapshot_every});
    if (!endpoint) {
      return fail(endpoint.error());
    }
    if (c.json_output) {
      std::printf("%s\n", json::serialize(json::object{{"kind", endpoint->kind},
                                                       {"branch", endpoint->branch},
                                                       {"timeline_id", endpoint->timeline_id},
                                                       {"pgdata", endpoint->pgdata.string()},
                                                       {"port", endpoint->port},
                                                       {"connection_string",
                                                        endpoint->connection_uri(c.passfile())}})
                              .c_str());
    } else {
      std::printf("%s of branch %s started: %s\n", endpoint->kind.c_str(), endpoint->branch.c_str(),
                  endpoint->connection_uri(c.passfile()).c_str());
    }
    return 0;
  }
  const fs::path pgdata = inv.has("--pgdata") ? fs::absolute(inv.flag("--pgdata")) : fs::path();
  for (const Endpoint& e : Endpoints(c.local.home).all()) {
    const bool match =
        replica ? e.kind == "replica" && e.pgdata == pgdata
                : e.kind != "replica" && e.tenant_id == tenant && e.branch == inv.flag("--branch");
    if (match) {
      if (Status s = stop_endpoint(c.local, e); !s) {
        return fail(s.error());
      }
      std::printf("%s of branch %s stopped\n", e.kind.c_str(), e.branch.c_str());
      return 0;
    }
  }
  return fail(Error(ErrorCode::kNotFound,
                    replica ? "no replica runs from " + pgdata.string()
                            : "branch '" + inv.flag("--branch") + "' has no compute here"));
}

// `branch schema-diff A B`: both branches need a server skctl started on this machine.
int schema_diff(const Context& c) {
  const std::vector<Endpoint> endpoints = Endpoints(c.local.home).all();
  std::vector<Endpoint> servers;
  for (const std::string& name : c.invocation.operands) {
    const auto found = std::find_if(endpoints.begin(), endpoints.end(),
                                    [&](const Endpoint& e) { return e.branch == name; });
    if (found == endpoints.end()) {
      return fail(Error(ErrorCode::kFailedPrecondition,
                        "branch '" + name +
                            "' has no server on this machine: skctl compute (or "
                            "replica) start --branch " +
                            name + " ... first"));
    }
    servers.push_back(*found);
  }
  auto bindir = find_pg_bindir(c.local.pg_bindir);
  if (!bindir) {
    return fail(bindir.error());
  }
  const fs::path scratch = c.local.home / ("schema-diff-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::create_directories(scratch, ec);
  std::vector<std::string> dumps;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    auto dump = dump_schema(*bindir, servers[i], scratch / ("dump" + std::to_string(i) + ".sql"));
    if (!dump) {
      fs::remove_all(scratch, ec);
      return fail(dump.error());
    }
    dumps.push_back(std::move(*dump));
  }
  const std::string a = c.invocation.operands[0];
  const std::string b = c.invocation.operands[1];
  auto diff = diff_schemas(a, dumps[0], b, dumps[1], scratch);
  fs::remove_all(scratch, ec);
  if (!diff) {
    return fail(diff.error());
  }
  if (c.json_output) {
    auto list = [](const std::vector<std::string>& keys) {
      json::array out;
      for (const std::string& key : keys) {
        out.emplace_back(key);
      }
      return out;
    };
    std::printf("%s\n", json::serialize(json::object{{"a", a},
                                                     {"b", b},
                                                     {"only_in_a", list(diff->only_in_a)},
                                                     {"only_in_b", list(diff->only_in_b)},
                                                     {"changed", list(diff->changed)}})
                            .c_str());
  } else if (diff->unified.empty()) {
    std::printf("the schemas of '%s' and '%s' are the same\n", a.c_str(), b.c_str());
  } else {
    std::fputs(diff->unified.c_str(), stdout);
  }
  return 0;
}

int connection_string(const Context& c, const std::string& tenant) {
  for (const Endpoint& e : Endpoints(c.local.home).all()) {
    if (e.kind != "replica" && e.tenant_id == tenant && e.branch == c.invocation.operand) {
      std::printf("%s\n", e.connection_uri(c.passfile()).c_str());
      return 0;
    }
  }
  return fail(Error(ErrorCode::kNotFound, "branch '" + c.invocation.operand +
                                              "' has no compute on this machine: skctl compute "
                                              "start --branch " +
                                              c.invocation.operand + " --pgdata DIR --port P"));
}

// token keygen | issue: local only, no safekeeper is asked.
int token_command(const Invocation& inv) {
  Result<std::string> text =
      inv.verb == "keygen" ? make_key_pair(inv.flag("--out"))
                           : issue_token(inv.flag("--scope"), inv.flag("--key"),
                                         inv.flag("--ttl", "24h"), inv.flag("--subject"),
                                         std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  if (!text) {
    return fail(text.error());
  }
  std::fputs(text->c_str(), stdout);
  if (inv.verb == "issue") {
    std::fputc('\n', stdout);
  }
  return 0;
}

// The token to send: --token-file, else SKCTL_TOKEN_FILE, else SKCTL_TOKEN; empty: none.
Result<std::string> token_to_send(const Invocation& inv) {
  const std::string file = inv.flag("--token-file", env_or("SKCTL_TOKEN_FILE", ""));
  if (!file.empty()) {
    return auth::read_token_file(file);
  }
  return env_or("SKCTL_TOKEN", "");
}

// safekeeper add HOST:PORT [--replacing ID] | remove ID: membership.h.
int safekeeper_command(const Context& c) {
  const Invocation& inv = c.invocation;
  MembershipChange change;
  auto node_id = [](const std::string& text) -> std::optional<consensus::NodeId> {
    char* end = nullptr;
    const unsigned long long id = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || id == 0) {
      return std::nullopt;
    }
    return consensus::NodeId(id);
  };
  const std::string removed = inv.verb == "add" ? inv.flag("--replacing") : inv.operand;
  if (inv.verb == "add") {
    change.add_http = inv.operand;
  }
  if (!removed.empty()) {
    auto id = node_id(removed);
    if (!id) {
      return fail(Error(ErrorCode::kInvalidArgument, "\"" + removed + "\" is not a safekeeper id"));
    }
    change.remove.push_back(*id);
  }
  if (inv.has("--timeout")) {
    auto seconds = branchmgr::parse_duration(inv.flag("--timeout"));
    if (!seconds || *seconds == 0) {
      return fail(Error(ErrorCode::kInvalidArgument, "--timeout \"" + inv.flag("--timeout") +
                                                         "\" is not a duration (90s, 10m)"));
    }
    change.timeout = std::chrono::seconds(*seconds);
  }
  auto walproposer = find_walproposer(c.local.walproposer);
  if (!walproposer) {
    return fail(walproposer.error());
  }
  change.walproposer = *walproposer;
  std::error_code ec;
  fs::create_directories(c.local.home, ec);
  change.log = c.local.home / "membership.log";
  Status done = change_membership(c.api, change, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  return done ? 0 : fail(done.error());
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_command_line({argv + 1, argv + argc});
  if (!parsed) {
    std::fprintf(stderr, "skctl: %s (see --help)\n", parsed.error().message().c_str());
    return sk::cli::kExitUsage;
  }
  if (parsed->help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (parsed->version) {
    std::puts("skctl " SK_VERSION);
    return 0;
  }
  const Invocation& inv = parsed->invocation;
  if (inv.group == "token") {
    return token_command(inv);
  }
  auto token = token_to_send(inv);
  if (!token) {
    return fail(token.error());
  }
  const fs::path home = inv.flag("--home", env_or("SKCTL_HOME", env_or("HOME", ".") + "/.skctl"));
  std::string tls_ca = inv.flag("--tls-ca", env_or("SKCTL_TLS_CA", ""));
  if (!tls_ca.empty()) {
    std::error_code ec;
    tls_ca = fs::absolute(tls_ca, ec).string();
    http::set_trusted_ca(tls_ca);
  }
  // Computes accept scram-sha-256 only: skctl's connections to them, and those of the programs
  // it starts (walproposer, pg_basebackup, pg_dump), find the password in HOME/pgpass.
  ::setenv("PGPASSFILE", ComputePasswords(home).passfile().c_str(), 1);
  auto token_file = token_file_for_children(
      inv.flag("--token-file", env_or("SKCTL_TOKEN_FILE", "")), home, *token);
  if (!token_file) {
    return fail(token_file.error());
  }
  Context c{inv,
            ApiClient(proposer::split_list(
                          inv.flag("--safekeepers", env_or("SKCTL_SAFEKEEPERS", "127.0.0.1:7676"))),
                      std::move(*token), std::move(*token_file), tls_ca),
            LocalSettings{home,
                          inv.flag("--snapshot-store",
                                   env_or("SKCTL_SNAPSHOT_STORE", (home / "snapshots").string())),
                          inv.flag("--pg-bindir"), inv.flag("--walproposer")},
            inv.flag("--output") == "json"};
  if (inv.group == "tenant") {
    return tenant_command(c);
  }
  if (inv.group == "safekeeper") {
    return safekeeper_command(c);
  }
  auto tenant = resolve_tenant(c);
  if (!tenant) {
    return fail(tenant.error());
  }
  if (inv.group == "branch" && inv.verb == "schema-diff") {
    return schema_diff(c);
  }
  if (inv.group == "branch") {
    return branch_command(c, *tenant);
  }
  if (inv.group == "snapshot") {
    return snapshot_command(c, *tenant);
  }
  if (inv.group == "compute" || inv.group == "replica") {
    return endpoint_command(c, *tenant);
  }
  return connection_string(c, *tenant);
}
