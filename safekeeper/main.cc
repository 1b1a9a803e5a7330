// The safekeeper daemon: opens the node's data directory, then serves the proposer protocol and
// the HTTP API until SIGTERM or SIGINT, when it stops accepting, lets the storage worker finish
// every fdatasync already under way and exits 0. Once every port listens it tells a systemd-style
// supervisor READY=1 (NOTIFY_SOCKET). Bad flags exit 2 and an unusable data directory exits 1,
// each with one line on stderr.
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <sys/resource.h>

#include "safekeeper/auth/authenticator.h"
#include "safekeeper/auth/token.h"
#include "safekeeper/branchlog/branch_command_runner.h"
#include "safekeeper/branchlog/branch_commands.h"
#include "safekeeper/branchlog/branch_expiry.h"
#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/branchlog/branch_log_writer.h"
#include "safekeeper/branchlog/commit_time_indexer.h"
#include "safekeeper/branchlog/wal_remover.h"
#include "safekeeper/cli/command_line.h"
#include "safekeeper/log/log.h"
#include "safekeeper/node/node.h"
#include "safekeeper/server/api_routes.h"
#include "safekeeper/server/bound_port.h"
#include "safekeeper/server/branch_routes.h"
#include "safekeeper/server/committed_wal_reader.h"
#include "safekeeper/server/config.h"
#include "safekeeper/server/data_dir_lock.h"
#include "safekeeper/server/http_api.h"
#include "safekeeper/server/identity_check.h"
#include "safekeeper/server/pg_server.h"
#include "safekeeper/server/proposer_server.h"
#include "safekeeper/server/service_notify.h"
#include "safekeeper/server/slot_journal.h"
#include "safekeeper/server/storage_worker.h"
#include "safekeeper/server/wal_read_pool.h"

#ifndef SK_VERSION
#define SK_VERSION "dev"
#endif

namespace {

using namespace sk::safekeeper;

// Raises the soft limit on open descriptors to the hard one, as a server that holds thousands
// of connections must (etcd and PostgreSQL's postmaster do the same); returns it.
rlim_t raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 0;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      return raised.rlim_cur;
    }
  }
  return limit.rlim_cur;
}

int run(const Config& config) {
  set_log_level(config.log_level);
  set_log_format(config.log_format);
  const rlim_t descriptors = raise_descriptor_limit();
  const std::size_t wanted = 3 * config.connection_limits.per_port + 1024;
  if (descriptors != 0 && descriptors < wanted) {
    log_warn("only " + std::to_string(descriptors) + " open descriptors allowed (ulimit -n), " +
             "fewer than the 3 ports' --max-connections need: accepts will pause when they "
             "run out");
  }
  auto data_dir_lock = DataDirLock::acquire(config.data_dir);  // Held until run() returns.
  if (!data_dir_lock) {
    std::fprintf(stderr, "safekeeper: cannot start: %s\n",
                 data_dir_lock.error().to_string().c_str());
    return 1;
  }
  Node::Report report;
  auto opened = Node::open({.node_id = config.node_id,
                            .data_dir = config.data_dir,
                            .lmdb_map_size_bytes = config.lmdb_map_size_bytes,
                            .disk_reserve = config.disk_reserve,
                            .timeline = {}},
                           report);
  for (const std::string& line : report) {
    log_info(line);
  }
  if (!opened) {
    std::fprintf(stderr, "safekeeper: cannot start: %s\n", opened.error().to_string().c_str());
    return 1;
  }
  std::shared_ptr<sk::auth::Authenticator> authenticator =
      std::make_shared<sk::auth::Authenticator>();
  if (!config.auth_public_keys.empty()) {
    auto opened_auth = sk::auth::Authenticator::open(config.auth_public_keys);
    if (!opened_auth) {
      std::fprintf(stderr, "safekeeper: cannot start: %s\n",
                   opened_auth.error().to_string().c_str());
      return 1;
    }
    authenticator = std::move(*opened_auth);
  } else {
    log_warn("no --auth-public-keys: every port serves anyone who reaches it, without a token");
  }
  std::shared_ptr<sk::tls::ServerContext> server_tls;
  if (!config.tls_certificate.empty()) {
    auto opened_tls = sk::tls::ServerContext::open({.certificate = config.tls_certificate,
                                                    .private_key = config.tls_private_key,
                                                    .client_ca = {}});
    if (!opened_tls) {
      std::fprintf(stderr, "safekeeper: cannot start: %s\n",
                   opened_tls.error().to_string().c_str());
      return 1;
    }
    server_tls = std::move(*opened_tls);
  }
  // Mutual TLS on the proposer port: the port's context (client certificates required) and the
  // one this node's branch-log writer connects to its peers with.
  std::shared_ptr<sk::tls::ServerContext> proposer_tls;
  std::shared_ptr<boost::asio::ssl::context> peer_tls;
  if (!config.proposer_tls_ca.empty()) {
    auto port_context = sk::tls::ServerContext::open({.certificate = config.tls_certificate,
                                                      .private_key = config.tls_private_key,
                                                      .client_ca = config.proposer_tls_ca});
    auto client = sk::tls::client_context({.ca_file = config.proposer_tls_ca,
                                           .certificate = config.tls_certificate,
                                           .private_key = config.tls_private_key});
    if (!port_context || !client) {
      std::fprintf(stderr, "safekeeper: cannot start: %s\n",
                   (!port_context ? port_context.error() : client.error()).to_string().c_str());
      return 1;
    }
    proposer_tls = std::move(*port_context);
    peer_tls = std::move(*client);
  }
  std::string own_token;  // Presented to the peers' proposer ports by the branch-log writer.
  if (!config.auth_token_file.empty()) {
    auto token = sk::auth::read_token_file(config.auth_token_file);
    if (!token) {
      std::fprintf(stderr, "safekeeper: cannot start: %s\n", token.error().to_string().c_str());
      return 1;
    }
    own_token = std::move(*token);
  }
  PgServerOptions pg_options;
  if (!config.pg_auth_file.empty()) {
    auto users = load_pg_users(config.pg_auth_file);
    if (!users) {
      std::fprintf(stderr, "safekeeper: cannot start: %s\n", users.error().to_string().c_str());
      return 1;
    }
    pg_options.users = std::move(*users);
  }
  Node& node = **opened;
  {
    sk::storage::DiskReserve& reserve = node.disk_reserve();
    const bool below = reserve.below_reserve_now();
    const std::string line = "disk reserve " + sk::storage::format_bytes(reserve.reserve_bytes()) +
                             " (" + config.disk_reserve.to_string() + "), free " +
                             sk::storage::format_bytes(reserve.free_bytes()) + " on " +
                             config.data_dir.string();
    if (below) {
      log_warn(line + ": below the reserve, WAL appends are refused");
    } else {
      log_info(line);
    }
  }
  for (const auto& [key, error] : node.broken()) {
    log_error("timeline " + sk::storage::timeline_name(key) +
              " is kept aside and not served: " + error.to_string());
  }
  NodeSlotJournal slot_journal(node.slot_store(), [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  });
  auto kept_slots = slot_journal.load();
  if (!kept_slots) {
    std::fprintf(stderr, "safekeeper: cannot start: %s\n", kept_slots.error().to_string().c_str());
    return 1;
  }
  if (!kept_slots->empty()) {
    log_info(std::to_string(kept_slots->size()) + " replication slots kept from before");
  }
  pg_options.slot_journal = &slot_journal;
  pg_options.auth = authenticator.get();
  pg_options.tls = server_tls.get();
  pg_options.limits = config.connection_limits;
  pg_options.idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms);
  pg_options.slot_inactive_limit = std::chrono::seconds(config.slot_inactive_limit_s);
  pg_options.restored_slots = std::move(*kept_slots);

  const bool branch_log = !config.peers.empty();
  if (!branch_log) {
    log_warn("no --peers: this node holds no branch log; the branch API answers 503");
  } else if (node.timeline(branch_log_key()) == nullptr &&
             !node.broken().contains(branch_log_key())) {
    if (auto created = node.create_timeline(branch_log_identity()); !created) {
      std::fprintf(stderr, "safekeeper: cannot start: creating the branch log: %s\n",
                   created.error().to_string().c_str());
      return 1;
    }
  }

  boost::asio::io_context io;
  // The ports first: a port in use stops the start before anything else is built, and the ports
  // bound (0 lets the kernel pick) are known to /v1/status.
  auto proposer_port =
      BoundPort::open(io, config.listen_proposer.host, config.listen_proposer.port, "proposers");
  auto pg_port = proposer_port ? BoundPort::open(io, config.listen_pg.host, config.listen_pg.port,
                                                 "PostgreSQL replication")
                               : sk::Result<BoundPort>(proposer_port.error());
  auto http_port =
      pg_port ? BoundPort::open(io, config.listen_http.host, config.listen_http.port, "HTTP")
              : sk::Result<BoundPort>(pg_port.error());
  if (!http_port) {
    std::fprintf(stderr, "safekeeper: cannot start: %s\n", http_port.error().to_string().c_str());
    return 1;
  }
  const std::string advertised = advertised_host(config);
  auto at_advertised = [&advertised](const BoundPort& port) {
    return advertised + ":" + std::to_string(port.port());
  };
  ApiRoutes::Cluster cluster{{{"proposer", proposer_port->address()},
                              {"pg", pg_port->address()},
                              {"http", http_port->address()}},
                             {{"proposer", at_advertised(*proposer_port)},
                              {"pg", at_advertised(*pg_port)},
                              {"http", at_advertised(*http_port)}},
                             {}};
  for (const auto& peer : config.peers) {
    cluster.peers.emplace_back(peer.id.value(), peer.host + ":" + std::to_string(peer.port));
  }
  const std::string listening = "proposer " + proposer_port->address() + ", pg " +
                                pg_port->address() + ", http " + http_port->address();

  // Then each part after what it uses. The read pool reads WAL for readers off the worker; it is
  // stopped after the worker (which hands it parked reads) and before the routes its tasks
  // answer through.
  auto lookup = [&node](const sk::storage::TimelineKey& key) { return node.timeline(key); };
  auto run_on_io = [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); };
  BranchLogApplier branch_applier(lookup, [&node](const sk::storage::TimelineKey& key) {
    if (node.timeline(key) == nullptr && !node.broken().contains(key)) {
      return;  // Replayed at start-up: gone already.
    }
    if (sk::Status removed = node.remove_timeline(key); !removed) {
      log_error("timeline " + sk::storage::timeline_name(key) +
                " left by the branch log could not be removed: " + removed.error().to_string());
      return;
    }
    log_info("timeline " + sk::storage::timeline_name(key) +
             " removed: the branch log left it to no branch");
  });
  const ComposedWal composed_wal(lookup, branch_log ? &branch_applier : nullptr);
  WalReadPool wal_reads;
  CommittedWalReader wal_reader(composed_wal, wal_reads);
  branch_applier.catch_up();
  CommitTimeIndexer commit_times(node);
  StorageWorker worker(
      lookup,
      [&node](const sk::storage::TimelineKey& key) {
        Node::Report lines;
        node.reopen_if_stopped(key, std::chrono::steady_clock::now(), lines);
        for (const std::string& line : lines) {
          log_info(line);
        }
      },
      [&wal_reader, &branch_applier, &commit_times] {
        wal_reader.after_round();
        branch_applier.catch_up();
        return commit_times.catch_up();  // More to index: called again before the worker waits.
      });
  // Stops every part and ends io.run() with this exit code (assigned once they all exist).
  std::function<void(int)> shut_down;
  int exit_code = 0;
  std::optional<IdentityCheck> identity;
  if (branch_log) {
    std::vector<sk::consensus::NodeId> members;
    for (const auto& peer : config.peers) {
      members.push_back(peer.id);
    }
    identity.emplace(node, std::move(members));
    if (!identity->confirmed()) {
      log_info("data directory: " + identity->describe());
    }
  }
  ProposerServer proposers(
      io, worker,
      {.auth = authenticator.get(),
       .tls = proposer_tls.get(),
       .identity = identity ? &*identity : nullptr,
       .limits = config.connection_limits,
       .greeting_timeout = std::chrono::milliseconds(config.greeting_timeout_ms),
       .idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms)});
  PgServer readers(io, worker, wal_reader, std::move(pg_options));
  std::optional<BranchLogWriter> branch_writer;
  if (branch_log) {
    branch_writer.emplace(
        io, BranchLogWriterOptions{
                .self = node.node_id(),
                .peers = config.peers,
                .credentials = {own_token, peer_tls, node.incarnation()},
                .on_acceptor_greeting =
                    [&identity](sk::consensus::NodeId peer) { identity->on_admitted(peer); },
                .on_connection_error =
                    [&shut_down](sk::consensus::NodeId peer, const sk::Error& why) {
                      if (why.code() == sk::ErrorCode::kIdentityConflict) {
                        log_error("stopping: node " + std::to_string(peer.value()) +
                                  " refused this node: " + why.message());
                        shut_down(1);
                      }
                    }});
  }
  BranchLogWriter* writer = branch_writer ? &*branch_writer : nullptr;
  RetentionLimits retention_limits;  // The maximum is the project's; the minimum a setting.
  retention_limits.min_s = config.min_history_retention_s;
  BranchCommands branch_commands(node, branch_applier, composed_wal, commit_times,
                                 BranchCommands::system_sources(), retention_limits);
  BranchCommandRunner branch_runner(
      branch_commands, branch_applier, writer,
      [&worker](std::function<void()> f) { worker.post(std::move(f)); }, run_on_io);
  BranchRoutes branch_routes(branch_runner, run_on_io);
  WalRemover wal_remover(
      io, node, branch_commands, commit_times,
      [&worker](std::function<void()> f) { worker.post(std::move(f)); },
      std::chrono::seconds(config.wal_removal_interval_s));
  std::optional<BranchExpiry> branch_expiry;
  if (branch_writer) {
    branch_expiry.emplace(io, branch_runner, *branch_writer);
  }
  ApiRoutes routes(node, worker, proposers, readers, composed_wal, wal_reads, *authenticator,
                   run_on_io, SK_VERSION, std::move(cluster),
                   {branch_routes, branch_applier, writer, branch_commands, commit_times,
                    identity ? &*identity : nullptr});
  HttpApi http(io, routes, server_tls.get(), config.connection_limits,
               std::chrono::milliseconds(config.idle_timeout_ms),
               std::chrono::milliseconds(config.http_write_timeout_ms));
  routes.report_http_connections(http.listener_stats());

  worker.start([&proposers](std::vector<StorageWorker::Completion> completions) {
    proposers.deliver(std::move(completions));
  });
  proposers.serve(std::move(*proposer_port));
  readers.serve(std::move(*pg_port));
  http.serve(std::move(*http_port));

  boost::asio::signal_set hangups(io, SIGHUP);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  shut_down = [&](int code) {
    exit_code = code;
    if (sk::Status s = notify_service_manager("STOPPING=1"); !s) {
      log_warn(s.error().to_string());
    }
    if (branch_writer) {
      branch_writer->stop();
      branch_expiry->stop();
    }
    wal_remover.stop();
    proposers.stop();
    readers.stop();
    http.stop();
    hangups.cancel();
    signals.cancel();
    io.stop();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) {
      return;
    }
    log_info(std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") +
             ": stopping (in-flight fdatasyncs finish first)");
    shut_down(0);
  });
  // SIGHUP: read the trusted public keys and the TLS certificate again (rotation without a
  // restart).
  std::function<void()> on_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) {
        return;
      }
      if (auto keys = authenticator->reload(); !keys) {
        log_error("SIGHUP: keeping the keys in use: " + keys.error().to_string());
      } else if (authenticator->enabled()) {
        log_info("SIGHUP: " + std::to_string(*keys) + " trusted public keys from " +
                 config.auth_public_keys.string());
      }
      if (proposer_tls) {
        if (sk::Status reloaded = proposer_tls->reload(); !reloaded) {
          log_error("SIGHUP: keeping the proposer port's TLS files in use: " +
                    reloaded.error().to_string());
        }
      }
      if (server_tls) {
        if (sk::Status reloaded = server_tls->reload(); !reloaded) {
          log_error("SIGHUP: keeping the TLS certificate in use: " + reloaded.error().to_string());
        } else {
          log_info("SIGHUP: TLS certificate reloaded from " + config.tls_certificate.string());
        }
      }
      on_hangup();
    });
  };
  on_hangup();
  log_info("safekeeper " + std::to_string(node.node_id().value()) +
           " (" SK_VERSION ") listening: " + listening + "; " +
           std::to_string(node.timelines().size()) + " timelines");
  if (branch_writer) {
    branch_writer->start();  // Once our own proposer port listens: we are one of its acceptors.
    branch_expiry->start();
  }
  wal_remover.start();
  if (sk::Status s = notify_service_manager("READY=1"); !s) {
    log_warn(s.error().to_string());
  }
  io.run();
  worker.stop();
  wal_reads.stop();
  const StorageWorker::Stats stats = worker.stats();
  log_info("stopped after " + std::to_string(stats.messages) + " messages in " +
           std::to_string(stats.batches) + " batches");
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  sk::cli::CommandLine command_line("safekeeper", "--id N --data-dir DIR [options]");
  for (const Setting& setting : settings()) {
    command_line.value(setting.name, setting.value_name, setting.help);
  }
  command_line.toggle("insecure",
                      "listen on other than loopback addresses without --auth-public-keys");
  command_line.value("config", "FILE", "'key = value' lines with the names above; flags win");
  command_line.parse(argc, argv);
  std::map<std::string, std::string> flags;
  for (const Setting& setting : settings()) {
    if (auto value = command_line.get(setting.name)) {
      flags.emplace(setting.name, *value);
    }
  }
  if (command_line.has("insecure")) {
    flags.emplace("insecure", "true");
  }
  auto config = make_config(flags, command_line.get("config"));
  if (!config) {
    command_line.usage_error(config.error().message());
  }
  return run(*config);
}
