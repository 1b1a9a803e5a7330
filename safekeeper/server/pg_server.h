// PgServer: the PostgreSQL replication port, where pg_receivewal and standbys read a timeline's
// committed WAL. The protocol is walsender::ReplicationSession's; this file is its socket side:
// bytes in and out, a one-second tick for keepalives and timeouts, and the session's storage
// requests run through the CommittedWalReader on the storage worker's thread, which describes
// what is committed and leaves the reading of the bytes to the WalReadPool.
//
// Back-pressure: the next WAL read is issued only once less than max_unsent_bytes wait for the
// socket, so a slow reader holds at most that much of our memory.
//
// Threads: the io_context's thread; storage answers are posted back to it. Asio stays out of
// this header.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "safekeeper/server/bound_port.h"
#include "safekeeper/server/committed_wal_reader.h"
#include "safekeeper/server/connection_limits.h"
#include "safekeeper/server/storage_worker.h"
#include "safekeeper/tls/tls_context.h"
#include "safekeeper/walsender/replication_slots.h"

namespace boost::asio {
class io_context;
}

namespace sk::safekeeper {

struct PgServerOptions {
  // With a certificate, connections must ask for TLS (SSLRequest) and get it; nullptr: plain.
  const tls::ServerContext* tls = nullptr;
  ConnectionLimits limits;
  // Checks tokens given as the password (when enabled); nullptr: `users` decide.
  const auth::Authenticator* auth = nullptr;
  // User name -> SCRAM-SHA-256 verifier (--pg-auth-file); empty: trust.
  std::map<std::string, auth::ScramVerifier> users;
  std::size_t max_unsent_bytes = std::size_t{4} << 20;
  // A reader not through its start-up in this time, or silent this long while streaming, is
  // disconnected (walsender::SessionOptions::silence_timeout).
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // A slot no reader has used for this long is dropped (0: never), so that one forgotten standby
  // cannot hold WAL for ever.
  std::chrono::seconds slot_inactive_limit{0};
  // Where slots are kept across restarts (null: in memory only), and those kept before.
  walsender::SlotJournal* slot_journal = nullptr;
  std::vector<std::pair<storage::TimelineKey, walsender::ReplicationSlot>> restored_slots;
};

// A reader as the HTTP API reports it.
struct PgReaderInfo {
  std::uint64_t id = 0;
  std::string peer;
  std::string application_name;
  std::optional<storage::TimelineKey> timeline;
  bool streaming = false;
  consensus::Lsn sent_up_to;
  consensus::Lsn reported_flush;
};

struct PgServerStats {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> wal_bytes_sent{0};
};

class PgServer {
 public:
  PgServer(boost::asio::io_context& io, StorageWorker& worker, CommittedWalReader& reader,
           PgServerOptions options = {});
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Starts accepting on `port` (bound_port.h).
  void serve(BoundPort port);
  // Stops accepting and closes every connection (io thread).
  void stop();

  // io thread only.
  std::vector<PgReaderInfo> readers() const;
  std::vector<walsender::ReplicationSlot> slots(const storage::TimelineKey& timeline) const;
  const PgServerStats& stats() const;
  const ListenerStats& listener_stats() const;

  // Defined in the .cc; public only so that its file-local helpers can name it.
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::safekeeper
