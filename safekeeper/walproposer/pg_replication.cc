// PgReplication; see pg_replication.h.
#include "safekeeper/walproposer/pg_replication.h"

#include <array>
#include <chrono>
#include <utility>
#include <vector>

#include <libpq-fe.h>

namespace sk::walproposer {

using consensus::Lsn;

namespace {

// Microseconds between the Unix epoch and PostgreSQL's, 2000-01-01.
constexpr std::int64_t kPostgresEpochUnixMicros = 946684800LL * 1000000;

std::uint64_t read_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  }
  return v;
}

void write_be64(std::uint64_t v, char* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::int64_t now_postgres_micros() {
  const auto since_unix = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return since_unix.count() - kPostgresEpochUnixMicros;
}

// A PGresult that frees itself.
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

}  // namespace

Result<PgReplication> PgReplication::connect(const std::string& conninfo,
                                             const std::string& application_name) {
  // dbname is expanded as a connection string; the later keywords override what it says.
  const std::array<const char*, 4> keywords{"dbname", "replication", "application_name", nullptr};
  const std::array<const char*, 4> values{conninfo.c_str(), "true", application_name.c_str(),
                                          nullptr};
  pg_conn* conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) {
    return Error(ErrorCode::kUnavailable, "connecting to PostgreSQL: out of memory");
  }
  PgReplication replication(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    return Error(ErrorCode::kUnavailable,
                 "connecting to PostgreSQL: " + replication.error("").message());
  }
  return replication;
}

PgReplication::~PgReplication() {
  if (conn_ != nullptr) {
    PQfinish(conn_);
  }
}

PgReplication::PgReplication(PgReplication&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

PgReplication& PgReplication::operator=(PgReplication&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) {
      PQfinish(conn_);
    }
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}

Error PgReplication::error(const std::string& doing) const {
  std::string message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return Error(ErrorCode::kUnavailable, doing.empty() ? message : doing + ": " + message);
}

int PgReplication::server_version() const {
  return PQserverVersion(conn_);
}

Result<PgReplication::System> PgReplication::identify_system() {
  ResultPtr r(PQexec(conn_, "IDENTIFY_SYSTEM"));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1 ||
      PQnfields(r.get()) < 3) {
    return error("IDENTIFY_SYSTEM");
  }
  System system;
  const std::string id = PQgetvalue(r.get(), 0, 0);
  const auto lsn = Lsn::parse(PQgetvalue(r.get(), 0, 2));
  char* end = nullptr;
  system.system_id = std::strtoull(id.c_str(), &end, 10);
  system.timeline =
      static_cast<std::uint32_t>(std::strtoul(PQgetvalue(r.get(), 0, 1), nullptr, 10));
  if (id.empty() || *end != '\0' || !lsn) {
    return Error(ErrorCode::kInvalidArgument, "IDENTIFY_SYSTEM: unexpected answer");
  }
  system.flush_lsn = *lsn;
  return system;
}

Result<std::string> PgReplication::show(const std::string& setting) {
  ResultPtr r(PQexec(conn_, ("SHOW " + setting).c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
    return error("SHOW " + setting);
  }
  return std::string(PQgetvalue(r.get(), 0, 0));
}

Result<std::optional<Lsn>> PgReplication::read_slot(const std::string& slot) {
  ResultPtr r(PQexec(conn_, ("READ_REPLICATION_SLOT " + slot).c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1 ||
      PQnfields(r.get()) < 2) {
    return error("READ_REPLICATION_SLOT " + slot);
  }
  if (PQgetisnull(r.get(), 0, 1)) {
    return std::optional<Lsn>();
  }
  const auto lsn = Lsn::parse(PQgetvalue(r.get(), 0, 1));
  if (!lsn) {
    return Error(ErrorCode::kInvalidArgument, "READ_REPLICATION_SLOT: unexpected answer");
  }
  return std::optional<Lsn>(*lsn);
}

Status PgReplication::create_slot(const std::string& slot) {
  ResultPtr r(PQexec(conn_, ("CREATE_REPLICATION_SLOT " + slot + " PHYSICAL RESERVE_WAL").c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return error("CREATE_REPLICATION_SLOT " + slot);
  }
  return {};
}

Status PgReplication::start_replication(const std::string& slot, Lsn from, std::uint32_t timeline) {
  const std::string command = "START_REPLICATION SLOT " + slot + " PHYSICAL " + from.to_string() +
                              " TIMELINE " + std::to_string(timeline);
  ResultPtr r(PQexec(conn_, command.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COPY_BOTH) {
    return error(command);
  }
  if (PQsetnonblocking(conn_, 1) != 0) {
    return error("switching to non-blocking mode");
  }
  return {};
}

int PgReplication::socket() const {
  return PQsocket(conn_);
}

Result<PgReplication::Received> PgReplication::receive(const WalHandler& on_wal) {
  Received received;
  if (PQconsumeInput(conn_) == 0) {
    return error("reading the replication stream");
  }
  for (;;) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(conn_, &buffer, /*async=*/1);
    if (n == 0) {
      return received;  // Nothing more for now.
    }
    if (n == -1) {
      ResultPtr end(PQgetResult(conn_));
      received.ended = true;
      return received;
    }
    if (n < 0) {
      return error("reading the replication stream");
    }
    std::unique_ptr<char, decltype(&PQfreemem)> message(buffer, &PQfreemem);
    const auto size = static_cast<std::size_t>(n);
    if (buffer[0] == 'w' && size >= 25) {
      const Lsn at(read_be64(buffer + 1));
      const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(buffer + 25),
                                                size - 25);
      if (Status s = on_wal(at, bytes); !s) {
        return s.error();
      }
    } else if (buffer[0] == 'k' && size >= 18) {
      received.reply_requested = received.reply_requested || buffer[17] != 0;
    } else {
      return Error(ErrorCode::kInvalidArgument, "unexpected message '" + std::string(1, buffer[0]) +
                                                    "' of " + std::to_string(size) +
                                                    " bytes in the replication stream");
    }
  }
}

Status PgReplication::send_status(Lsn written, Lsn flushed, Lsn applied, bool reply_requested) {
  std::array<char, 34> message{};
  message[0] = 'r';
  write_be64(written.value(), message.data() + 1);
  write_be64(flushed.value(), message.data() + 9);
  write_be64(applied.value(), message.data() + 17);
  write_be64(static_cast<std::uint64_t>(now_postgres_micros()), message.data() + 25);
  message[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(conn_, message.data(), static_cast<int>(message.size())) != 1) {
    return error("sending a standby status update");
  }
  return flush_output();
}

Status PgReplication::flush_output() {
  // Non-blocking: what does not fit in the socket now goes with the next call.
  if (PQflush(conn_) < 0) {
    return error("sending a standby status update");
  }
  return {};
}

}  // namespace sk::walproposer
