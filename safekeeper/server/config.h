// Config: the safekeeper's settings, from flags (read by Boost.Program_options, safekeeper/cli)
// and an optional config file. The file holds "key = value" lines with the flags' names
// without dashes ("id = 1", "data-dir = /var/lib/sk"); '#' starts a comment. A flag overrides
// the file. Anything unknown or malformed is an error naming the flag or the file and line, so
// the daemon can exit with one clear line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/auth/scram.h"
#include "safekeeper/log/log.h"
#include "safekeeper/proposer/acceptor_links.h"
#include "safekeeper/server/connection_limits.h"
#include "safekeeper/storage/disk_reserve.h"

namespace sk::safekeeper {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;  // 0: any free port (the daemon logs the one it got).
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

struct Config {
  consensus::NodeId node_id;
  std::filesystem::path data_dir;
  ListenAddress listen_proposer{"127.0.0.1", 5454};
  ListenAddress listen_pg{"127.0.0.1", 5455};
  ListenAddress listen_http{"127.0.0.1", 7676};
  // The replication port's users for SCRAM-SHA-256 (load_pg_users); none: every user is trusted
  // (unless tokens are checked).
  std::filesystem::path pg_auth_file;
  // Tokens on every port are checked against the Ed25519 public keys here (a PEM file or a
  // directory of them, auth/keys.h); empty: no authentication, and only loopback addresses
  // may be listened on unless `insecure`.
  std::filesystem::path auth_public_keys;
  // This node's own token (scope safekeeper), which its branch-log writer presents to the
  // other nodes' proposer ports; required with auth_public_keys and peers.
  std::filesystem::path auth_token_file;
  bool insecure = false;
  // Per port: connections open at once, and from one peer address.
  ConnectionLimits connection_limits;
  // A proposer connection must greet within this time.
  std::uint64_t greeting_timeout_ms = 10000;
  // An HTTP response not read within this time is dropped with its connection.
  std::uint64_t http_write_timeout_ms = 60000;
  // A client that sends nothing for this long is closed, on every port (a greeted proposer, a
  // replication reader, an HTTP request that has not arrived whole).
  std::uint64_t idle_timeout_ms = 60000;
  // The HTTP and replication ports speak TLS only with this certificate chain and key (PEM,
  // reloaded on SIGHUP); both empty: plain TCP.
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
  // Mutual TLS on the proposer port: clients (and peers, to this node) present certificates
  // this CA signed. Empty: the proposer port is plain TCP.
  std::filesystem::path proposer_tls_ca;
  // Every safekeeper of the cluster (this one included) by id and proposer address: the
  // members of the branch log. Empty: no branch log, and the branch API answers 503.
  std::vector<proposer::AcceptorAddress> peers;
  // The host name or address other machines reach this node at (a StatefulSet pod's DNS name,
  // a machine's FQDN). Empty: the listen host, or the machine's host name when that is a
  // wildcard. When set, --peers must list this node at it.
  std::string advertise;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  // The shortest history retention window a tenant may have (tests lower it).
  std::uint64_t min_history_retention_s = 3600;
  // A replication slot unused for this long is dropped; 0: never.
  std::uint64_t slot_inactive_limit_s = 7 * 86400;
  std::uint64_t wal_removal_interval_s = 10;  // 0: WAL is never removed.
  std::uint64_t lmdb_map_size_bytes = std::uint64_t{1} << 30;
  // Free space kept on the data directory's file system; below it WAL appends are refused.
  storage::ReserveSize disk_reserve{};
};

// One setting: its flag (--NAME) and config-file key (NAME), and its line in --help.
struct Setting {
  const char* name;
  const char* value_name;
  const char* help;
};
// Every setting, in --help's order.
std::span<const Setting> settings();

// The config from the file's settings, then the flags given over them (name without dashes ->
// value). kInvalidArgument with a message fit for one line on stderr.
Result<Config> make_config(const std::map<std::string, std::string>& flags,
                           const std::optional<std::string>& config_file);

Result<ListenAddress> parse_listen_address(const std::string& text);
// True for "localhost", 127.0.0.0/8 and ::1: addresses no other machine reaches.
bool is_loopback_host(const std::string& host);
Result<LogLevel> parse_log_level(const std::string& text);
Result<LogFormat> parse_log_format(const std::string& text);
// The host others reach this node at: --advertise, else the proposer port's listen host, else
// (a wildcard: 0.0.0.0, ::) the machine's host name.
std::string advertised_host(const Config& config);

// The users of a pg-auth-file, one per line: "user:password", or "user:SCRAM-SHA-256$..." (a
// verifier as PostgreSQL keeps it in pg_authid, so that the file need not hold the password);
// '#' comments and blank lines skipped. A plain password becomes a verifier with a random salt.
// kInvalidArgument naming the file and line for anything else; kIoError if it cannot be read.
Result<std::map<std::string, auth::ScramVerifier>> load_pg_users(const std::filesystem::path& path);

}  // namespace sk::safekeeper
