// Config; see config.h.
#include "safekeeper/server/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <arpa/inet.h>
#include <unistd.h>

#include "branchmgr/duration.h"
#include "safekeeper/proposer/cluster_setup.h"

namespace sk::safekeeper {

namespace {

Error bad(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) {
    return "";
  }
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::optional<std::uint64_t> parse_unsigned(const std::string& text) {
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// Applies one setting, from a flag or the file; `where` names it in errors.
Status apply(Config& config, const std::string& key, const std::string& value,
             const std::string& where) {
  if (key == "id") {
    auto id = parse_unsigned(value);
    if (!id || *id == 0 || *id > 0xffffffffu) {
      return bad(where + ": node id '" + value + "' must be an integer from 1 to 4294967295");
    }
    config.node_id = consensus::NodeId(*id);
  } else if (key == "data-dir") {
    if (value.empty()) {
      return bad(where + ": the data directory must not be empty");
    }
    config.data_dir = value;
  } else if (key == "listen-proposer" || key == "listen-pg" || key == "listen-http") {
    auto address = parse_listen_address(value);
    if (!address) {
      return bad(where + ": " + address.error().message());
    }
    (key == "listen-proposer" ? config.listen_proposer
     : key == "listen-pg"     ? config.listen_pg
                              : config.listen_http) = *address;
  } else if (key == "pg-auth-file") {
    if (value.empty()) {
      return bad(where + ": pg-auth-file must not be empty");
    }
    config.pg_auth_file = value;
  } else if (key == "auth-public-keys" || key == "auth-token-file") {
    if (value.empty()) {
      return bad(where + ": " + key + " must not be empty");
    }
    (key == "auth-public-keys" ? config.auth_public_keys : config.auth_token_file) = value;
  } else if (key == "proposer-tls-ca") {
    if (value.empty()) {
      return bad(where + ": proposer-tls-ca needs a file");
    }
    config.proposer_tls_ca = value;
  } else if (key == "tls-cert" || key == "tls-key") {
    if (value.empty()) {
      return bad(where + ": " + key + " must not be empty");
    }
    (key == "tls-cert" ? config.tls_certificate : config.tls_private_key) = value;
  } else if (key == "max-connections" || key == "max-connections-per-address") {
    auto count = parse_unsigned(value);
    if (!count || *count == 0 || *count > 1000000) {
      return bad(where + ": " + key + " '" + value + "' must be from 1 to 1000000");
    }
    (key == "max-connections" ? config.connection_limits.per_port
                              : config.connection_limits.per_address) = *count;
  } else if (key == "greeting-timeout" || key == "http-write-timeout" || key == "idle-timeout") {
    auto seconds = branchmgr::parse_duration(value);
    if (!seconds || *seconds == 0 || *seconds > 3600) {
      return bad(where + ": " + key + " '" + value + "' must be from 1s to 1h");
    }
    (key == "greeting-timeout"     ? config.greeting_timeout_ms
     : key == "http-write-timeout" ? config.http_write_timeout_ms
                                   : config.idle_timeout_ms) = *seconds * 1000;
  } else if (key == "insecure") {
    if (value != "true" && value != "false") {
      return bad(where + ": insecure must be true or false");
    }
    config.insecure = value == "true";
  } else if (key == "peers") {
    auto peers = proposer::parse_acceptor_list(value);
    if (!peers) {
      return bad(where + ": " + peers.error().message());
    }
    std::set<std::uint64_t> ids;
    for (const proposer::AcceptorAddress& peer : *peers) {
      if (!ids.insert(peer.id.value()).second) {
        return bad(where + ": node id " + std::to_string(peer.id.value()) + " is listed twice");
      }
    }
    config.peers = std::move(*peers);
  } else if (key == "log-level") {
    auto level = parse_log_level(value);
    if (!level) {
      return bad(where + ": " + level.error().message());
    }
    config.log_level = *level;
  } else if (key == "log-format") {
    auto format = parse_log_format(value);
    if (!format) {
      return bad(where + ": " + format.error().message());
    }
    config.log_format = *format;
  } else if (key == "advertise") {
    if (value.empty() || value.find_first_of(" ,:/=") != std::string::npos) {
      return bad(where + ": advertise '" + value + "' must be a host name or an IPv4 address");
    }
    config.advertise = value;
  } else if (key == "min-history-retention") {
    auto seconds = branchmgr::parse_duration(value);
    if (!seconds || *seconds == 0) {
      return bad(where + ": min-history-retention '" + value +
                 "' must be a positive duration (90s, 15m, 24h, 7d)");
    }
    config.min_history_retention_s = *seconds;
  } else if (key == "slot-inactive-limit") {
    auto seconds = branchmgr::parse_duration(value);
    if (!seconds) {
      return bad(where + ": slot-inactive-limit '" + value +
                 "' must be a duration (90s, 15m, 24h, 7d; 0s: never)");
    }
    config.slot_inactive_limit_s = *seconds;
  } else if (key == "wal-removal-interval") {
    auto seconds = branchmgr::parse_duration(value);
    if (!seconds) {
      return bad(where + ": wal-removal-interval '" + value +
                 "' must be a duration (10s, 1m; 0s: never remove WAL)");
    }
    config.wal_removal_interval_s = *seconds;
  } else if (key == "lmdb-map-size-mib") {
    auto mib = parse_unsigned(value);
    if (!mib || *mib < 1 || *mib > (std::uint64_t{1} << 20)) {
      return bad(where + ": lmdb-map-size-mib '" + value + "' must be from 1 to 1048576");
    }
    config.lmdb_map_size_bytes = *mib << 20;
  } else if (key == "disk-reserve") {
    auto reserve = storage::ReserveSize::parse(value);
    if (!reserve) {
      return bad(where + ": " + reserve.error().message());
    }
    config.disk_reserve = *reserve;
  } else {
    return bad(where + ": unknown setting '" + key + "' (see --help)");
  }
  return {};
}

Status apply_file(Config& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return bad("cannot read config file " + path);
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) {
      continue;
    }
    const auto equals = line.find('=');
    const std::string where = path + ":" + std::to_string(number);
    if (equals == std::string::npos) {
      return bad(where + ": expected 'key = value', got '" + line + "'");
    }
    if (Status s =
            apply(config, trim(line.substr(0, equals)), trim(line.substr(equals + 1)), where);
        !s) {
      return s;
    }
  }
  return {};
}

}  // namespace

Result<ListenAddress> parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return bad("listen address '" + text + "' must be host:port");
  }
  auto port = parse_unsigned(text.substr(colon + 1));
  if (!port || *port > 65535) {
    return bad("listen address '" + text + "': port must be from 0 to 65535");
  }
  return ListenAddress{text.substr(0, colon), static_cast<std::uint16_t>(*port)};
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") {
    return true;
  }
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

Result<LogLevel> parse_log_level(const std::string& text) {
  static const std::map<std::string, LogLevel> kLevels = {{"debug", LogLevel::kDebug},
                                                          {"info", LogLevel::kInfo},
                                                          {"warn", LogLevel::kWarn},
                                                          {"error", LogLevel::kError}};
  auto it = kLevels.find(text);
  if (it == kLevels.end()) {
    return bad("log level '" + text + "' must be debug, info, warn or error");
  }
  return it->second;
}

Result<LogFormat> parse_log_format(const std::string& text) {
  if (text == "text") {
    return LogFormat::kText;
  }
  if (text == "json") {
    return LogFormat::kJson;
  }
  return bad("log format '" + text + "' must be text or json");
}

std::string advertised_host(const Config& config) {
  if (!config.advertise.empty()) {
    return config.advertise;
  }
  const std::string& host = config.listen_proposer.host;
  if (host != "0.0.0.0" && host != "::" && !host.empty()) {
    return host;
  }
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) {
    return host;
  }
  return name;
}

Result<std::map<std::string, auth::ScramVerifier>> load_pg_users(
    const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return Error(ErrorCode::kIoError, "cannot read pg-auth-file " + path.string());
  }
  std::map<std::string, auth::ScramVerifier> users;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (trim(line).empty() || trim(line)[0] == '#') {
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return bad(path.string() + ":" + std::to_string(number) + ": expected 'user:password'");
    }
    const std::string secret = line.substr(colon + 1);
    if (secret.starts_with("SCRAM-SHA-256$")) {
      auto verifier = auth::parse_scram_verifier(secret);
      if (!verifier) {
        return bad(path.string() + ":" + std::to_string(number) + ": " +
                   verifier.error().message());
      }
      users[line.substr(0, colon)] = std::move(*verifier);
    } else {
      users[line.substr(0, colon)] = auth::make_scram_verifier(secret);
    }
  }
  if (users.empty()) {
    return bad(path.string() + ": no 'user:password' line");
  }
  return users;
}

std::span<const Setting> settings() {
  static constexpr Setting kSettings[] = {
      {"id", "N", "this node's id (1 to 4294967295); fixed for its data dir"},
      {"data-dir", "DIR", "where the node keeps its WAL and control state (must exist)"},
      {"listen-proposer", "HOST:PORT", "proposer protocol (default 127.0.0.1:5454)"},
      {"listen-pg", "HOST:PORT",
       "PostgreSQL replication protocol, for pg_receivewal and standbys (default "
       "127.0.0.1:5455)"},
      {"pg-auth-file", "FILE",
       "'user:password' or 'user:SCRAM-SHA-256$...' lines: the replication port asks for the "
       "password with SCRAM-SHA-256; without it every user is trusted (unless tokens are "
       "checked)"},
      {"listen-http", "HOST:PORT", "HTTP API and /metrics (default 127.0.0.1:7676)"},
      {"auth-public-keys", "PATH",
       "a PEM file or a directory of *.pem Ed25519 public keys: every port then requires a "
       "token signed by one of them (skctl token issue); reloaded on SIGHUP"},
      {"tls-cert", "FILE",
       "PEM certificate chain: the HTTP and replication ports then speak TLS only (reloaded "
       "on SIGHUP, with --tls-key)"},
      {"tls-key", "FILE", "the PEM private key of --tls-cert"},
      {"proposer-tls-ca", "FILE",
       "mutual TLS on the proposer port: it speaks TLS only (with --tls-cert) and requires a "
       "client certificate signed by this CA (PEM); this node presents --tls-cert to its peers "
       "and checks theirs against the same CA"},
      {"max-connections", "N",
       "connections each port keeps open at once; more are closed as they arrive (default "
       "4096)"},
      {"max-connections-per-address", "N",
       "connections each port keeps open from one peer address (default 1024)"},
      {"greeting-timeout", "DURATION",
       "a proposer connection that has not greeted within this time is closed (default 10s)"},
      {"idle-timeout", "DURATION",
       "a client that sends nothing for this long is closed: a greeted proposer, a replication "
       "reader (or one not through its start-up), an HTTP request not arrived whole (default "
       "60s)"},
      {"http-write-timeout", "DURATION",
       "an HTTP response its client has not read within this time is dropped with its "
       "connection (default 60s: a 16 MiB segment at 280 KB/s)"},
      {"auth-token-file", "FILE",
       "this node's token (scope safekeeper), presented to the other nodes' proposer ports"},
      {"peers", "ID=HOST:PORT,...",
       "every safekeeper of the cluster, this one included, by id and proposer address: they "
       "hold the branch log (tenants, branches, snapshots); without it the branch API is off"},
      {"advertise", "HOST",
       "the host name or address other machines reach this node at (its certificate names "
       "it); with --peers, this node's entry must use it (default: the proposer port's listen "
       "host, or the machine's host name when that is a wildcard)"},
      {"log-level", "LEVEL", "debug, info, warn or error (default info)"},
      {"log-format", "FORMAT",
       "text (time, level, message, key=value) or json (one object per line) (default text)"},
      {"lmdb-map-size-mib", "N", "largest size of the control database (default 1024)"},
      {"slot-inactive-limit", "DURATION",
       "a replication slot no reader has used for this long is dropped, so that a forgotten "
       "standby cannot hold WAL for ever (default 7d; 0s: never)"},
      {"wal-removal-interval", "DURATION",
       "how often each timeline's WAL segments below its removal horizon are removed (default "
       "10s; 0s: never)"},
      {"min-history-retention", "DURATION",
       "the shortest history retention window a tenant may be given (default 1h; the longest "
       "is 30d)"},
      {"disk-reserve", "SIZE",
       "free space to keep on the data directory's file system, as 2GiB, 512MiB or 5%: below "
       "it WAL appends are refused (NO_SPACE) until space returns (default: the smaller of 5% "
       "and 2GiB)"},
  };
  return kSettings;
}

Result<Config> make_config(const std::map<std::string, std::string>& flags,
                           const std::optional<std::string>& config_file) {
  Config config;
  if (config_file) {
    if (Status s = apply_file(config, *config_file); !s) {
      return s.error();
    }
  }
  for (const auto& [key, value] : flags) {
    if (Status s = apply(config, key, value, "--" + key); !s) {
      return s.error();
    }
  }
  if (config.node_id.value() == 0) {
    return bad("--id is required (this node's id, an integer from 1)");
  }
  if (config.data_dir.empty()) {
    return bad("--data-dir is required (this node's data directory)");
  }
  if (config.auth_public_keys.empty() && !config.insecure) {
    for (const ListenAddress* address :
         {&config.listen_proposer, &config.listen_pg, &config.listen_http}) {
      if (!is_loopback_host(address->host)) {
        return bad("refusing to listen on " + address->to_string() +
                   " without authentication: give --auth-public-keys (docs/SECURITY.md), or "
                   "--insecure to let anyone who reaches this address own the node");
      }
    }
  }
  if (config.tls_certificate.empty() != config.tls_private_key.empty()) {
    return bad("--tls-cert and --tls-key go together");
  }
  if (!config.proposer_tls_ca.empty() && config.tls_certificate.empty()) {
    return bad(
        "--proposer-tls-ca needs --tls-cert and --tls-key: the proposer port's own "
        "certificate");
  }
  const auto& peers = config.peers;
  if (!config.auth_public_keys.empty() && !peers.empty() && config.auth_token_file.empty()) {
    return bad(
        "--auth-token-file is required with --auth-public-keys and --peers: this node "
        "presents it to the other nodes' proposer ports");
  }
  if (!peers.empty() && std::none_of(peers.begin(), peers.end(),
                                     [&](const auto& peer) { return peer.id == config.node_id; })) {
    return bad("--peers must list this node (id " + std::to_string(config.node_id.value()) +
               ") among the cluster's safekeepers");
  }
  // A node whose id and address disagree (a StatefulSet ordinal mapped to the wrong id) would
  // vote as another member: refused here rather than found in a split vote.
  for (const proposer::AcceptorAddress& peer : peers) {
    if (peer.id == config.node_id && !config.advertise.empty() && peer.host != config.advertise) {
      return bad("--peers lists this node (id " + std::to_string(config.node_id.value()) + ") at " +
                 peer.host + ", but --advertise says it is " + config.advertise);
    }
  }
  return config;
}

}  // namespace sk::safekeeper
