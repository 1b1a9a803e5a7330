// parse_acceptor_list, find_timeline, create_timeline; see cluster_setup.h.
#include "safekeeper/proposer/cluster_setup.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <boost/json.hpp>

#include "safekeeper/auth/token.h"
#include "safekeeper/http/http_client.h"
#include "safekeeper/tls/tls_context.h"

namespace sk::proposer {

namespace json = boost::json;
using consensus::TimelineIdentity;

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

constexpr auto kSetupTimeout = std::chrono::seconds(10);

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return n;
}

std::string timeline_target(const consensus::TenantId& tenant) {
  return "/v1/tenants/" + tenant.to_hex() + "/timelines";
}

// The identity in a GET /v1/tenants/{t}/timelines/{tl} answer (api_routes.cc, timeline_json).
Result<TimelineIdentity> parse_identity(const std::string& body, const consensus::TenantId& tenant,
                                        const consensus::TimelineId& timeline) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  auto text = [&](const char* key) -> std::string {
    const json::value* v = object == nullptr ? nullptr : object->if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  auto number = [&](const char* key) -> std::optional<std::uint64_t> {
    const json::value* v = object == nullptr ? nullptr : object->if_contains(key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (v->is_uint64()) {
      return v->get_uint64();
    }
    if (v->is_int64() && v->get_int64() >= 0) {
      return static_cast<std::uint64_t>(v->get_int64());
    }
    return std::nullopt;
  };
  const auto system_id = parse_number(text("system_id"));
  const auto pg_version = number("pg_version");
  const auto seg_size = number("wal_seg_size");
  const auto start = consensus::Lsn::parse(text("start_lsn"));
  if (!system_id || !pg_version || !seg_size || !start) {
    return Error(ErrorCode::kInvalidArgument, "unexpected timeline description: " + body);
  }
  return TimelineIdentity{.tenant_id = tenant,
                          .timeline_id = timeline,
                          .system_id = *system_id,
                          .pg_version = static_cast<std::uint32_t>(*pg_version),
                          .wal_seg_size_bytes = static_cast<std::uint32_t>(*seg_size),
                          .timeline_start_lsn = *start};
}

http::HttpHeaders bearer(const std::string& token) {
  if (token.empty()) {
    return {};
  }
  return {{"Authorization", "Bearer " + token}};
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const auto next = text.find(',', pos);
    out.push_back(text.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) {
      return out;
    }
    pos = next + 1;
  }
}

Result<std::vector<AcceptorAddress>> parse_acceptor_list(const std::string& text) {
  std::vector<AcceptorAddress> out;
  for (const std::string& item : split_list(text)) {
    const auto eq = item.find('=');
    const auto colon = item.rfind(':');
    std::uint64_t id = 0;
    std::uint64_t port = 0;
    if (eq != std::string::npos && colon != std::string::npos && colon >= eq + 2) {
      id = parse_number(item.substr(0, eq)).value_or(0);
      port = parse_number(item.substr(colon + 1)).value_or(0);
    }
    if (id == 0 || port == 0 || port > 65535) {
      return Error(ErrorCode::kInvalidArgument,
                   "'" + item + "' is not id=host:port (a positive id, a port from 1 to 65535)");
    }
    out.push_back({consensus::NodeId(id), item.substr(eq + 1, colon - eq - 1),
                   static_cast<std::uint16_t>(port)});
  }
  return out;
}

consensus::Configuration plain_configuration(const std::vector<AcceptorAddress>& acceptors) {
  std::vector<consensus::NodeId> ids;
  for (const AcceptorAddress& acceptor : acceptors) {
    ids.push_back(acceptor.id);
  }
  return consensus::Configuration::of(std::move(ids));
}

std::vector<AcceptorAddress> configured_acceptors(const consensus::Configuration& configuration,
                                                  const std::vector<AcceptorAddress>& known,
                                                  std::vector<consensus::NodeId>& unreachable) {
  std::vector<AcceptorAddress> out;
  for (consensus::NodeId id : configuration.acceptors()) {
    if (auto it = configuration.addresses.find(id); it != configuration.addresses.end()) {
      auto parsed = parse_acceptor_list(std::to_string(id.value()) + "=" + it->second);
      if (parsed && parsed->size() == 1) {
        out.push_back(parsed->front());
        continue;
      }
    }
    auto it = std::find_if(known.begin(), known.end(),
                           [&](const AcceptorAddress& a) { return a.id == id; });
    if (it != known.end()) {
      out.push_back(*it);
    } else {
      unreachable.push_back(id);
    }
  }
  return out;
}

Result<std::optional<TimelineIdentity>> find_timeline(
    const std::vector<std::string>& http_addresses, const consensus::TenantId& tenant,
    const consensus::TimelineId& timeline, const std::string& token) {
  bool answered = false;
  std::string last_error = "no HTTP address given";
  for (const std::string& address : http_addresses) {
    auto reply =
        http::http_request(address, "GET", timeline_target(tenant) + "/" + timeline.to_hex(), "",
                           kSetupTimeout, bearer(token));
    if (!reply) {
      last_error = address + ": " + reply.error().to_string();
      continue;
    }
    if (reply->status == 404) {
      answered = true;
      continue;
    }
    if (reply->status != 200) {
      last_error = address + ": HTTP " + std::to_string(reply->status) + " " + trimmed(reply->body);
      continue;
    }
    auto identity = parse_identity(reply->body, tenant, timeline);
    if (!identity) {
      return identity.error();
    }
    return std::optional<TimelineIdentity>(*identity);
  }
  if (!answered) {
    return Error(ErrorCode::kUnavailable, "no safekeeper answered: " + last_error);
  }
  return std::optional<TimelineIdentity>();
}

std::size_t create_timeline(const std::vector<std::string>& http_addresses,
                            const TimelineIdentity& identity, const std::string& token,
                            std::vector<std::string>& errors) {
  const std::string body = "{\"timeline_id\":\"" + identity.timeline_id.to_hex() +
                           "\",\"start_lsn\":\"" + identity.timeline_start_lsn.to_string() +
                           "\",\"system_id\":\"" + std::to_string(identity.system_id) +
                           "\",\"pg_version\":" + std::to_string(identity.pg_version) +
                           ",\"wal_seg_size\":" + std::to_string(identity.wal_seg_size_bytes) + "}";
  std::size_t holding = 0;
  for (const std::string& address : http_addresses) {
    auto reply = http::http_request(address, "POST", timeline_target(identity.tenant_id), body,
                                    kSetupTimeout, bearer(token));
    if (!reply) {
      errors.push_back(address + ": " + reply.error().to_string());
    } else if (reply->status != 200 && reply->status != 201) {
      errors.push_back(address + ": HTTP " + std::to_string(reply->status) + " " +
                       trimmed(reply->body));
    } else {
      ++holding;
    }
  }
  return holding;
}

void add_cluster_flags(cli::CommandLine& flags) {
  flags.value("safekeepers", "LIST", "the safekeepers' proposer ports, id=host:port,...")
      .value("http", "LIST", "their HTTP ports, host:port,... (to create the timeline)")
      .value("tenant", "HEX", "32 hex digits")
      .value("timeline", "HEX", "32 hex digits")
      .value("tls-ca", "FILE",
             "the CA that signed the safekeepers' certificates (https:// --http, TLS proposer "
             "ports)")
      .value("tls-cert", "FILE",
             "this proposer's certificate (PEM): the proposer ports are reached over mutual TLS")
      .value("tls-key", "FILE", "the private key of --tls-cert (PEM)")
      .value("token-file", "FILE",
             "a token (skctl token issue) for the safekeepers: tenant:ID or safekeeper scope");
}

ClusterFlags read_cluster_flags(const cli::CommandLine& flags) {
  ClusterFlags cluster;
  if (auto v = flags.get("safekeepers")) {
    auto list = parse_acceptor_list(*v);
    if (!list) {
      flags.usage_error("--safekeepers: " + list.error().message());
    }
    cluster.safekeepers = std::move(*list);
  }
  if (auto v = flags.get("http")) {
    cluster.http = split_list(*v);
  }
  if (auto v = flags.get("tenant")) {
    cluster.tenant = consensus::TenantId::parse_hex(*v);
    if (!cluster.tenant) {
      flags.usage_error("--tenant: '" + *v + "' is not 32 hex digits");
    }
  }
  if (auto v = flags.get("timeline")) {
    cluster.timeline = consensus::TimelineId::parse_hex(*v);
    if (!cluster.timeline) {
      flags.usage_error("--timeline: '" + *v + "' is not 32 hex digits");
    }
  }
  if (auto v = flags.get("tls-ca")) {
    http::set_trusted_ca(*v);
  }
  if (auto v = flags.get("token-file")) {
    auto token = auth::read_token_file(*v);
    if (!token) {
      flags.usage_error("--token-file: " + token.error().message());
    }
    cluster.token = std::move(*token);
  }
  const auto certificate = flags.get("tls-cert");
  const auto key = flags.get("tls-key");
  if (certificate.has_value() != key.has_value()) {
    flags.usage_error("--tls-cert and --tls-key go together");
  }
  if (certificate) {
    auto context = tls::client_context({.ca_file = flags.get("tls-ca").value_or(""),
                                        .certificate = *certificate,
                                        .private_key = *key});
    if (!context) {
      flags.usage_error("--tls-cert: " + context.error().message());
    }
    cluster.proposer_tls = std::move(*context);
  }
  return cluster;
}

}  // namespace sk::proposer
