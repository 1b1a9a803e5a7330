// The protocol's messages; see wire.h.
#include "safekeeper/pgproto/wire.h"

#include <algorithm>

namespace sk::pgproto {
namespace {

constexpr std::uint32_t kProtocol3 = 196608;  // 3.0
constexpr std::uint32_t kCancelRequestCode = 80877102;
constexpr std::uint32_t kSslRequestCode = 80877103;
constexpr std::uint32_t kGssEncRequestCode = 80877104;
// Seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
constexpr std::int64_t kPgEpochUnixSeconds = 946684800;

std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::uint64_t get64(const std::uint8_t* p) {
  return (std::uint64_t{get32(p)} << 32) | get32(p + 4);
}

void copy_data(Bytes& out, const Payload& inner) {
  append_message(out, 'd', inner);
}

}  // namespace

Payload& Payload::int8(std::uint8_t v) {
  data_.push_back(v);
  return *this;
}

Payload& Payload::int16(std::uint16_t v) {
  data_.push_back(static_cast<std::uint8_t>(v >> 8));
  data_.push_back(static_cast<std::uint8_t>(v));
  return *this;
}

Payload& Payload::int32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    data_.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  return *this;
}

Payload& Payload::int64(std::uint64_t v) {
  int32(static_cast<std::uint32_t>(v >> 32));
  return int32(static_cast<std::uint32_t>(v));
}

Payload& Payload::cstring(std::string_view s) {
  data_.insert(data_.end(), s.begin(), s.end());
  data_.push_back(0);
  return *this;
}

Payload& Payload::bytes(std::span<const std::uint8_t> b) {
  data_.insert(data_.end(), b.begin(), b.end());
  return *this;
}

void append_message(Bytes& out, char type, const Payload& payload) {
  out.push_back(static_cast<std::uint8_t>(type));
  Payload length;
  length.int32(static_cast<std::uint32_t>(payload.data().size() + 4));
  out.insert(out.end(), length.data().begin(), length.data().end());
  out.insert(out.end(), payload.data().begin(), payload.data().end());
}

void authentication_ok(Bytes& out) {
  append_message(out, 'R', Payload().int32(0));
}

void authentication_cleartext_password(Bytes& out) {
  append_message(out, 'R', Payload().int32(3));
}

void authentication_sasl(Bytes& out, std::string_view mechanism) {
  append_message(out, 'R', Payload().int32(10).cstring(mechanism).cstring(""));
}

void authentication_sasl_continue(Bytes& out, std::string_view data) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  append_message(out, 'R', Payload().int32(11).bytes({bytes, data.size()}));
}

void authentication_sasl_final(Bytes& out, std::string_view data) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  append_message(out, 'R', Payload().int32(12).bytes({bytes, data.size()}));
}

void parameter_status(Bytes& out, std::string_view name, std::string_view value) {
  append_message(out, 'S', Payload().cstring(name).cstring(value));
}

void backend_key_data(Bytes& out, std::uint32_t pid, std::uint32_t secret) {
  append_message(out, 'K', Payload().int32(pid).int32(secret));
}

void ready_for_query(Bytes& out) {
  append_message(out, 'Z', Payload().int8('I'));
}

void empty_query_response(Bytes& out) {
  append_message(out, 'I', Payload());
}

void command_complete(Bytes& out, std::string_view tag) {
  append_message(out, 'C', Payload().cstring(tag));
}

void error_response(Bytes& out, const PgError& error) {
  const char* severity = error.fatal ? "FATAL" : "ERROR";
  Payload p;
  p.int8('S').cstring(severity).int8('V').cstring(severity);
  p.int8('C').cstring(error.sqlstate).int8('M').cstring(error.message);
  if (!error.detail.empty()) {
    p.int8('D').cstring(error.detail);
  }
  if (!error.hint.empty()) {
    p.int8('H').cstring(error.hint);
  }
  p.int8(0);
  append_message(out, 'E', p);
}

void row_description(Bytes& out, const std::vector<Column>& columns) {
  Payload p;
  p.int16(static_cast<std::uint16_t>(columns.size()));
  for (const Column& column : columns) {
    const bool int8 = column.type_oid == kInt8Oid;
    const bool int4 = column.type_oid == kInt4Oid;
    const std::uint16_t length = int8 ? 8 : int4 ? 4 : 0xFFFF;  // -1: variable length.
    p.cstring(column.name).int32(0).int16(0).int32(column.type_oid).int16(length);
    p.int32(0xFFFFFFFF).int16(0);  // typmod -1, text format.
  }
  append_message(out, 'T', p);
}

void data_row(Bytes& out, const std::vector<std::optional<std::string>>& values) {
  Payload p;
  p.int16(static_cast<std::uint16_t>(values.size()));
  for (const auto& value : values) {
    if (!value) {
      p.int32(0xFFFFFFFF);
      continue;
    }
    p.int32(static_cast<std::uint32_t>(value->size()));
    p.bytes({reinterpret_cast<const std::uint8_t*>(value->data()), value->size()});
  }
  append_message(out, 'D', p);
}

void single_row_result(Bytes& out, const std::vector<Column>& columns,
                       const std::vector<std::optional<std::string>>& values,
                       std::string_view tag) {
  row_description(out, columns);
  data_row(out, values);
  command_complete(out, tag);
}

void copy_both_response(Bytes& out) {
  append_message(out, 'W', Payload().int8(0).int16(0));
}

void copy_done(Bytes& out) {
  append_message(out, 'c', Payload());
}

std::int64_t pg_time_from_unix_micros(std::int64_t unix_micros) {
  return unix_micros - kPgEpochUnixSeconds * 1000000;
}

void xlog_data(Bytes& out, consensus::Lsn start, consensus::Lsn wal_end, std::int64_t pg_time,
               std::span<const std::uint8_t> wal) {
  Payload p;
  p.int8('w').int64(start.value()).int64(wal_end.value());
  p.int64(static_cast<std::uint64_t>(pg_time)).bytes(wal);
  copy_data(out, p);
}

void primary_keepalive(Bytes& out, consensus::Lsn wal_end, std::int64_t pg_time,
                       bool reply_requested) {
  Payload p;
  p.int8('k').int64(wal_end.value()).int64(static_cast<std::uint64_t>(pg_time));
  p.int8(reply_requested ? 1 : 0);
  copy_data(out, p);
}

void FrontendReader::feed(std::span<const std::uint8_t> bytes) {
  compact();
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void FrontendReader::compact() {
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
}

Result<std::optional<StartupPacket>> FrontendReader::next_startup() {
  if (buffered() < 4) {
    return std::optional<StartupPacket>();
  }
  const std::uint8_t* p = buffer_.data() + consumed_;
  const std::uint32_t length = get32(p);
  if (length < 8 || length > kMaxStartupBytes) {
    return Error(ErrorCode::kMalformedMessage,
                 "invalid length of startup packet: " + std::to_string(length));
  }
  if (buffered() < length) {
    return std::optional<StartupPacket>();
  }
  StartupPacket packet;
  packet.version = get32(p + 4);
  const std::uint8_t* body = p + 8;
  const std::size_t body_size = length - 8;
  consumed_ += length;
  switch (packet.version) {
    case kSslRequestCode:
      packet.kind = StartupPacket::Kind::kSslRequest;
      return std::optional(packet);
    case kGssEncRequestCode:
      packet.kind = StartupPacket::Kind::kGssEncRequest;
      return std::optional(packet);
    case kCancelRequestCode:
      packet.kind = StartupPacket::Kind::kCancelRequest;
      return std::optional(packet);
    case kProtocol3:
      break;
    default:
      packet.kind = StartupPacket::Kind::kOtherVersion;
      return std::optional(packet);
  }
  // Pairs of NUL-terminated strings, then one more NUL.
  std::size_t at = 0;
  auto next_string = [&]() -> std::optional<std::string> {
    const auto* end = std::find(body + at, body + body_size, std::uint8_t{0});
    if (end == body + body_size) {
      return std::nullopt;
    }
    std::string s(reinterpret_cast<const char*>(body + at),
                  static_cast<std::size_t>(end - (body + at)));
    at = static_cast<std::size_t>(end - body) + 1;
    return s;
  };
  for (;;) {
    auto name = next_string();
    if (!name) {
      return Error(ErrorCode::kMalformedMessage, "startup packet: missing terminator");
    }
    if (name->empty()) {
      break;
    }
    auto value = next_string();
    if (!value) {
      return Error(ErrorCode::kMalformedMessage,
                   "startup packet: no value for parameter \"" + *name + "\"");
    }
    packet.parameters[*name] = *value;
  }
  if (at != body_size) {
    return Error(ErrorCode::kMalformedMessage, "startup packet: bytes after the terminator");
  }
  return std::optional(packet);
}

Result<std::optional<FrontendMessage>> FrontendReader::next_message() {
  if (buffered() < 5) {
    return std::optional<FrontendMessage>();
  }
  const std::uint8_t* p = buffer_.data() + consumed_;
  const std::uint32_t length = get32(p + 1);
  if (length < 4 || length > kMaxMessageBytes) {
    return Error(ErrorCode::kMalformedMessage, "invalid message length " + std::to_string(length) +
                                                   " for message type '" +
                                                   std::string(1, static_cast<char>(p[0])) + "'");
  }
  if (buffered() < length + 1) {
    return std::optional<FrontendMessage>();
  }
  FrontendMessage message;
  message.type = static_cast<char>(p[0]);
  message.payload.assign(p + 5, p + 1 + length);
  consumed_ += length + 1;
  return std::optional(std::move(message));
}

Result<std::string> payload_cstring(const Bytes& payload) {
  const auto end = std::find(payload.begin(), payload.end(), std::uint8_t{0});
  if (end == payload.end()) {
    return Error(ErrorCode::kMalformedMessage, "a string without its terminating NUL");
  }
  return std::string(payload.begin(), end);
}

Result<SaslInitialResponse> parse_sasl_initial_response(const Bytes& payload) {
  auto mechanism = payload_cstring(payload);
  if (!mechanism) {
    return mechanism.error();
  }
  const std::size_t at = mechanism->size() + 1;
  if (payload.size() < at + 4) {
    return Error(ErrorCode::kMalformedMessage, "SASLInitialResponse without its data length");
  }
  const std::int32_t length = static_cast<std::int32_t>(
      std::uint32_t{payload[at]} << 24 | std::uint32_t{payload[at + 1]} << 16 |
      std::uint32_t{payload[at + 2]} << 8 | std::uint32_t{payload[at + 3]});
  const std::size_t rest = payload.size() - at - 4;
  if (length < 0 ? rest != 0 : static_cast<std::size_t>(length) != rest) {
    return Error(ErrorCode::kMalformedMessage, "SASLInitialResponse data length " +
                                                   std::to_string(length) + " but " +
                                                   std::to_string(rest) + " bytes follow");
  }
  return SaslInitialResponse{
      *mechanism,
      std::string(payload.begin() + static_cast<std::ptrdiff_t>(at + 4), payload.end())};
}

Result<StandbyMessage> parse_standby_message(const Bytes& copy_data) {
  if (copy_data.empty()) {
    return Error(ErrorCode::kMalformedMessage, "empty CopyData message");
  }
  const std::uint8_t* p = copy_data.data() + 1;
  switch (copy_data[0]) {
    case 'r': {
      if (copy_data.size() != 34) {
        return Error(
            ErrorCode::kMalformedMessage,
            "standby status update of " + std::to_string(copy_data.size()) + " bytes; expected 34");
      }
      StandbyStatusUpdate update;
      update.write = consensus::Lsn(get64(p));
      update.flush = consensus::Lsn(get64(p + 8));
      update.apply = consensus::Lsn(get64(p + 16));
      update.client_time = static_cast<std::int64_t>(get64(p + 24));
      update.reply_requested = p[32] != 0;
      return StandbyMessage(update);
    }
    case 'h': {
      if (copy_data.size() != 25) {
        return Error(
            ErrorCode::kMalformedMessage,
            "hot standby feedback of " + std::to_string(copy_data.size()) + " bytes; expected 25");
      }
      HotStandbyFeedback feedback;
      feedback.client_time = static_cast<std::int64_t>(get64(p));
      feedback.xmin = get32(p + 8);
      feedback.xmin_epoch = get32(p + 12);
      feedback.catalog_xmin = get32(p + 16);
      feedback.catalog_xmin_epoch = get32(p + 20);
      return StandbyMessage(feedback);
    }
    default:
      return Error(ErrorCode::kMalformedMessage,
                   "unexpected CopyData message type '" +
                       std::string(1, static_cast<char>(copy_data[0])) + "' from a standby");
  }
}

}  // namespace sk::pgproto
