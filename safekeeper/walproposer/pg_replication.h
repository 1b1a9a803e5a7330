// PgReplication: one physical replication connection to a PostgreSQL primary through libpq, as
// the walproposer uses it (REFERENCE.md 1.2-1.4): IDENTIFY_SYSTEM, SHOW, READ_REPLICATION_SLOT,
// CREATE_REPLICATION_SLOT ... PHYSICAL RESERVE_WAL, then START_REPLICATION in CopyBoth mode,
// where it reads XLogData and keepalives without blocking and sends standby status updates.
// Blocking calls are for set-up only; once streaming, the owner waits on socket() for input.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "consensus/result.h"
#include "consensus/types.h"

struct pg_conn;

namespace sk::walproposer {

class PgReplication {
 public:
  struct System {
    std::uint64_t system_id = 0;
    std::uint32_t timeline = 0;
    consensus::Lsn flush_lsn;  // IDENTIFY_SYSTEM's xlogpos.
  };
  // What one receive() call saw besides WAL.
  struct Received {
    bool reply_requested = false;  // A keepalive asked for a status update now.
    bool ended = false;            // The server ended the stream (it is shutting down, say).
  };
  using WalHandler = std::function<Status(consensus::Lsn at, std::span<const std::uint8_t>)>;

  // `conninfo` is a libpq connection string or URI; replication=true and application_name are
  // added (the primary's synchronous_standby_names names that application). kUnavailable when
  // the server cannot be reached, with libpq's message.
  static Result<PgReplication> connect(const std::string& conninfo,
                                       const std::string& application_name);
  ~PgReplication();
  PgReplication(PgReplication&& other) noexcept;
  PgReplication& operator=(PgReplication&& other) noexcept;

  int server_version() const;  // PG_VERSION_NUM, e.g. 150004.
  Result<System> identify_system();
  Result<std::string> show(const std::string& setting);
  // The slot's restart LSN; nullopt when there is no such slot (or it never reserved WAL).
  Result<std::optional<consensus::Lsn>> read_slot(const std::string& slot);
  // Creates a physical slot that reserves WAL at once (read_slot() then gives its restart LSN).
  Status create_slot(const std::string& slot);
  Status start_replication(const std::string& slot, consensus::Lsn from, std::uint32_t timeline);

  // While streaming: the socket to wait on for input.
  int socket() const;
  // Reads everything that arrived, without blocking, handing each XLogData to `on_wal` (an
  // error from it stops the reading and is returned).
  Result<Received> receive(const WalHandler& on_wal);
  // A standby status update ('r'); positions are ends (one past the last byte).
  Status send_status(consensus::Lsn written, consensus::Lsn flushed, consensus::Lsn applied,
                     bool reply_requested);
  // Sends what an earlier send_status() left in libpq's buffer (the socket was full then).
  Status flush_output();

 private:
  explicit PgReplication(pg_conn* conn) : conn_(conn) {}
  Error error(const std::string& doing) const;

  pg_conn* conn_ = nullptr;
};

}  // namespace sk::walproposer
