// PostgreSQL's frontend/backend protocol 3.0 as bytes: the backend messages a WAL server sends
// (built into a byte vector) and a reader that splits a client's bytes into its startup packet
// and then typed messages. All integers are big-endian on the wire. Pure code: no sockets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::pgproto {

using Bytes = std::vector<std::uint8_t>;

// ---- Backend messages (server to client), each appended to `out` ----

// The payload of one message, built field by field.
class Payload {
 public:
  Payload& int8(std::uint8_t v);
  Payload& int16(std::uint16_t v);
  Payload& int32(std::uint32_t v);
  Payload& int64(std::uint64_t v);
  Payload& cstring(std::string_view s);  // The bytes, then a NUL.
  Payload& bytes(std::span<const std::uint8_t> b);
  const Bytes& data() const { return data_; }

 private:
  Bytes data_;
};

// Type byte, Int32 length (itself plus the payload), payload.
void append_message(Bytes& out, char type, const Payload& payload);

void authentication_ok(Bytes& out);
void authentication_cleartext_password(Bytes& out);
// SASL authentication (PostgreSQL 10 and later): the mechanisms offered, then the server's
// challenge and its final message.
void authentication_sasl(Bytes& out, std::string_view mechanism);
void authentication_sasl_continue(Bytes& out, std::string_view data);
void authentication_sasl_final(Bytes& out, std::string_view data);
void parameter_status(Bytes& out, std::string_view name, std::string_view value);
void backend_key_data(Bytes& out, std::uint32_t pid, std::uint32_t secret);
void ready_for_query(Bytes& out);  // Idle: no transaction on a replication connection.
void empty_query_response(Bytes& out);
void command_complete(Bytes& out, std::string_view tag);

// An ErrorResponse's fields: severity ERROR (the session goes on) or FATAL (it ends), SQLSTATE.
struct PgError {
  bool fatal = false;
  std::string sqlstate;  // Five characters, e.g. "42601".
  std::string message;
  std::string detail;  // Optional.
  std::string hint;    // Optional.
};
void error_response(Bytes& out, const PgError& error);

// Type OIDs of the result columns a replication server sends.
inline constexpr std::uint32_t kInt8Oid = 20;
inline constexpr std::uint32_t kInt4Oid = 23;
inline constexpr std::uint32_t kTextOid = 25;

struct Column {
  std::string name;
  std::uint32_t type_oid = kTextOid;
};
void row_description(Bytes& out, const std::vector<Column>& columns);
// nullopt is SQL NULL.
void data_row(Bytes& out, const std::vector<std::optional<std::string>>& values);
// RowDescription, one DataRow and CommandComplete(tag): every replication command's answer.
void single_row_result(Bytes& out, const std::vector<Column>& columns,
                       const std::vector<std::optional<std::string>>& values, std::string_view tag);

void copy_both_response(Bytes& out);  // Text format, no columns, as walsender sends it.
void copy_done(Bytes& out);

// Microseconds since 2000-01-01 00:00:00 UTC, the protocol's timestamps.
std::int64_t pg_time_from_unix_micros(std::int64_t unix_micros);

// CopyData 'w': WAL bytes starting at `start`; `wal_end` is what the server holds.
void xlog_data(Bytes& out, consensus::Lsn start, consensus::Lsn wal_end, std::int64_t pg_time,
               std::span<const std::uint8_t> wal);
// CopyData 'k'.
void primary_keepalive(Bytes& out, consensus::Lsn wal_end, std::int64_t pg_time,
                       bool reply_requested);

// ---- Frontend messages (client to server) ----

// The first packet of a connection (no type byte).
struct StartupPacket {
  enum class Kind { kStartup, kSslRequest, kGssEncRequest, kCancelRequest, kOtherVersion };
  Kind kind = Kind::kStartup;
  std::uint32_t version = 0;                      // The requested protocol version or code.
  std::map<std::string, std::string> parameters;  // kStartup only: user, database, options...
};

struct FrontendMessage {
  char type = 0;  // 'Q' query, 'p' password, 'd' CopyData, 'c' CopyDone, 'X' terminate, ...
  Bytes payload;
};

// Splits a client's bytes into messages; feed() what arrives, then take what is complete.
// kMalformedMessage for a bad length or a startup packet without its terminators; after an
// error the reader is not used again (the connection is closed).
class FrontendReader {
 public:
  static constexpr std::size_t kMaxStartupBytes = 10000;  // As PostgreSQL's limit.
  static constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 20;

  void feed(std::span<const std::uint8_t> bytes);
  // The startup packet once complete. SSL and GSS requests are followed by another startup
  // packet, so call this again after answering them.
  Result<std::optional<StartupPacket>> next_startup();
  Result<std::optional<FrontendMessage>> next_message();
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  void compact();

  Bytes buffer_;
  std::size_t consumed_ = 0;
};

// A NUL-terminated string at the start of `payload` ('Q', 'p'): kMalformedMessage without one.
Result<std::string> payload_cstring(const Bytes& payload);

// A SASLInitialResponse ('p'): the mechanism chosen and the client's first message.
struct SaslInitialResponse {
  std::string mechanism;
  std::string data;
};
Result<SaslInitialResponse> parse_sasl_initial_response(const Bytes& payload);

// What a standby or pg_receivewal sends inside CopyData while streaming.
struct StandbyStatusUpdate {
  consensus::Lsn write;  // Each +1 past the last byte; 0 when not reported.
  consensus::Lsn flush;
  consensus::Lsn apply;
  std::int64_t client_time = 0;
  bool reply_requested = false;
};
struct HotStandbyFeedback {
  std::int64_t client_time = 0;
  std::uint32_t xmin = 0;
  std::uint32_t xmin_epoch = 0;
  std::uint32_t catalog_xmin = 0;
  std::uint32_t catalog_xmin_epoch = 0;
};
using StandbyMessage = std::variant<StandbyStatusUpdate, HotStandbyFeedback>;
// kMalformedMessage for an unknown kind or a wrong length.
Result<StandbyMessage> parse_standby_message(const Bytes& copy_data);

}  // namespace sk::pgproto
