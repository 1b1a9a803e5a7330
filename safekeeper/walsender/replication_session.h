// ReplicationSession: one reader's connection to the PostgreSQL replication port, as a pure
// state machine: bytes and storage answers in, bytes and requests out. It answers what
// pg_receivewal and a standby's walreceiver send (../../docs/PG_PROTOCOL.md):
//
//   startup packet -> SSLRequest answered 'S' and TLS when the port has a certificate (then
//   required), 'N' otherwise; GSSENCRequest 'N' -> trust, a token (as a cleartext password) or
//   SCRAM-SHA-256 against the password file's users (a token is asked for as the password when
//   tokens are checked: it must read the timeline's tenant, and write it for
//   CREATE/DROP_REPLICATION_SLOT) -> the timeline named by options='-c tenant_id=... -c
//   timeline_id=...' -> ParameterStatus, BackendKeyData, ReadyForQuery -> simple queries:
//   IDENTIFY_SYSTEM, SHOW, READ/CREATE/DROP_REPLICATION_SLOT, TIMELINE_HISTORY, START_REPLICATION
//   -> CopyBoth: XLogData up to the committed LSN, keepalives, status updates and hot-standby
//   feedback read.
//
// The I/O adapter (server/pg_server.cc) sends `output`, closes when asked, and answers the two
// requests with what only the storage worker may read: `describe` (the timeline's identity and
// committed LSN, fetched afresh before each query so IDENTIFY_SYSTEM is current) and `read`
// (committed WAL from an LSN, answered once there is some). Readers never see WAL above the
// commit LSN: a standby must not replay what a new proposer could still truncate.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "proto/codec.h"
#include "safekeeper/auth/authenticator.h"
#include "safekeeper/auth/scram.h"
#include "safekeeper/pgproto/replication_command.h"
#include "safekeeper/pgproto/wire.h"
#include "safekeeper/walsender/replication_slots.h"

namespace sk::walsender {

// What the session needs to know of its timeline, read on the storage worker.
struct TimelineInfo {
  consensus::TimelineIdentity identity;
  // The end of the WAL readers may have: the commit LSN, or the flush LSN if that is lower.
  consensus::Lsn committed;
};

struct WalRequest {
  std::uint64_t id = 0;  // Echoed to on_wal(); an answer to an older request is ignored.
  consensus::Lsn from;
  std::size_t max_bytes = 0;
};

struct WalChunk {
  consensus::Lsn start;
  std::vector<std::uint8_t> bytes;
  consensus::Lsn committed;
};

struct SessionOptions {
  // Checks the password as a token (auth/authenticator.h) when it is enabled; then `users` is
  // not used. nullptr or disabled: `users` decide.
  const auth::Authenticator* auth = nullptr;
  // User name -> SCRAM-SHA-256 verifier. Empty: every user is trusted. Otherwise SCRAM is asked.
  std::map<std::string, auth::ScramVerifier> users;
  std::string sasl_nonce;  // This session's server nonce (printable, random; pg_server.cc).
  // The port has a certificate: SSLRequest is answered 'S', and a connection that does not
  // ask for TLS is refused.
  bool tls = false;
  std::uint32_t backend_pid = 0;  // BackendKeyData; we do not serve cancel requests.
  std::uint32_t cancel_secret = 0;
  // A keepalive goes out when nothing was sent for this long while streaming.
  std::chrono::milliseconds keepalive_interval{std::chrono::seconds(10)};
  // A streaming client silent for half of this is asked for a reply; silent for all of it, or
  // not through its startup in this time, it is disconnected (PostgreSQL's wal_sender_timeout
  // and authentication_timeout).
  std::chrono::milliseconds silence_timeout{std::chrono::seconds(60)};
  std::size_t max_read_bytes = std::size_t{1} << 20;
};

// Both clocks: steady for timers, the wall clock for the protocol's send times.
struct Now {
  std::chrono::steady_clock::time_point steady;
  std::int64_t unix_micros = 0;
};

class ReplicationSession {
 public:
  struct Effects {
    pgproto::Bytes output;
    bool close = false;  // After `output` is sent.
    // After `output` ('S') is sent, shake hands as TLS server, then call on_tls_started();
    // read nothing before.
    bool start_tls = false;
    // Call on_timeline_info() with the timeline's current state.
    std::optional<proto::TimelineKey> describe;
    // Call on_wal() once committed WAL at or after `from` exists (or with an error).
    std::optional<WalRequest> read;
    std::vector<std::string> log;  // Lines for the server's log.
  };

  ReplicationSession(std::uint64_t id, SessionOptions options, ReplicationSlots& slots, Now now);
  ~ReplicationSession();
  ReplicationSession(const ReplicationSession&) = delete;
  ReplicationSession& operator=(const ReplicationSession&) = delete;

  Effects on_bytes(std::span<const std::uint8_t> bytes, Now now);
  Effects on_tls_started(Now now);
  Effects on_timeline_info(Result<TimelineInfo> info, Now now);
  Effects on_wal(std::uint64_t request_id, Result<WalChunk> chunk, Now now);
  // Timers; call about once a second.
  Effects on_tick(Now now);

  // For status pages.
  std::uint64_t id() const { return id_; }
  const std::optional<proto::TimelineKey>& timeline() const { return key_; }
  const std::string& user() const { return user_; }
  const std::string& application_name() const { return application_name_; }
  bool streaming() const { return state_ == State::kStreaming; }
  consensus::Lsn sent_up_to() const { return sent_up_to_; }
  consensus::Lsn reported_flush() const { return reported_flush_; }

 private:
  enum class State { kStartup, kPassword, kOpening, kIdle, kQuerying, kStreaming, kClosed };

  void process_input(Now now);
  bool on_startup(const pgproto::StartupPacket& packet);
  void on_password(const pgproto::FrontendMessage& message);
  void on_sasl(const pgproto::FrontendMessage& message);
  void on_idle_message(const pgproto::FrontendMessage& message);
  void on_copy_message(const pgproto::FrontendMessage& message, Now now);
  void run_query(const TimelineInfo& info, Now now);
  void identify_system(const TimelineInfo& info);
  void show(const pgproto::Show& command, const TimelineInfo& info);
  void read_slot(const pgproto::ReadReplicationSlot& command);
  void create_slot(const pgproto::CreateReplicationSlot& command, const TimelineInfo& info);
  void drop_slot(const pgproto::DropReplicationSlot& command);
  void start_replication(const pgproto::StartReplication& command, const TimelineInfo& info,
                         Now now);
  void end_streaming();
  void request_wal();
  void send_wal(const WalChunk& chunk, Now now);
  void send_keepalive(bool reply_requested, Now now);
  // ERROR: the command fails and the session goes on (ReadyForQuery follows).
  void error(std::string sqlstate, std::string message, std::string detail = {});
  bool tokens_checked() const { return options_.auth != nullptr && options_.auth->enabled(); }
  // True if the session may change slots; otherwise an ERROR 42501 says why.
  bool may_write();
  // FATAL: the message, then the connection closes.
  void fatal(std::string sqlstate, std::string message, std::string detail = {});
  Effects take();

  const std::uint64_t id_;
  SessionOptions options_;
  ReplicationSlots& slots_;
  State state_ = State::kStartup;
  pgproto::FrontendReader reader_;
  Effects effects_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_input_;
  std::chrono::steady_clock::time_point last_output_;
  bool reply_asked_ = false;  // A keepalive asked for a reply since the last input.

  std::string user_;
  std::optional<auth::Grant> grant_;
  std::optional<auth::ScramServer> scram_;  // The SCRAM exchange under way.
  bool scram_first_done_ = false;
  bool tls_active_ = false;  // The token's, when tokens are checked.
  std::string application_name_;
  std::optional<proto::TimelineKey> key_;
  std::optional<pgproto::ReplicationCommand> pending_query_;

  // Streaming.
  std::optional<std::string> streaming_slot_;
  consensus::Lsn sent_up_to_;
  consensus::Lsn committed_;
  consensus::Lsn reported_flush_;
  std::uint64_t next_request_id_ = 1;
  std::uint64_t awaited_request_ = 0;  // 0: no read outstanding.
};

}  // namespace sk::walsender
