// ReplicationSession; see replication_session.h.
#include "safekeeper/walsender/replication_session.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "safekeeper/pgproto/startup_options.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/pgwal/wal_format.h"

namespace sk::walsender {
namespace {

using consensus::Lsn;
using pgproto::Column;
using pgproto::kInt8Oid;
using pgproto::kTextOid;

// PostgreSQL never sends more than this in one XLogData message (walsender's MAX_SEND_SIZE).
constexpr std::size_t kMaxXLogDataBytes = std::size_t{128} * 1024;

bool is_true(const std::string& value) {
  return value == "true" || value == "on" || value == "yes" || value == "1";
}

// "15.4" from 150004, as PostgreSQL prints server_version.
std::string server_version(std::uint32_t pg_version_num) {
  return std::to_string(pg_version_num / 10000) + "." + std::to_string(pg_version_num % 100);
}

// "16MB", "1GB": the unit SHOW uses, which pg_receivewal parses.
std::string segment_size_text(std::uint64_t bytes) {
  constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
  if (bytes % (kMiB * 1024) == 0) {
    return std::to_string(bytes / (kMiB * 1024)) + "GB";
  }
  return std::to_string(bytes / kMiB) + "MB";
}

std::string in_quotes(const std::string& name) {
  return "\"" + name + "\"";
}

}  // namespace

ReplicationSession::ReplicationSession(std::uint64_t id, SessionOptions options,
                                       ReplicationSlots& slots, Now now)
    : id_(id),
      options_(std::move(options)),
      slots_(slots),
      started_(now.steady),
      last_input_(now.steady),
      last_output_(now.steady) {}

ReplicationSession::~ReplicationSession() {
  slots_.session_ended(id_);
}

ReplicationSession::Effects ReplicationSession::take() {
  return std::exchange(effects_, Effects{});
}

ReplicationSession::Effects ReplicationSession::on_bytes(std::span<const std::uint8_t> bytes,
                                                         Now now) {
  if (state_ != State::kClosed) {
    last_input_ = now.steady;
    reply_asked_ = false;
    reader_.feed(bytes);
    process_input(now);
  }
  return take();
}

void ReplicationSession::process_input(Now now) {
  while (state_ != State::kClosed) {
    if (state_ == State::kStartup) {
      auto packet = reader_.next_startup();
      if (!packet) {
        fatal("08P01", packet.error().message());
        return;
      }
      if (!packet->has_value() || !on_startup(**packet)) {
        return;
      }
      continue;
    }
    if (state_ == State::kOpening || state_ == State::kQuerying) {
      return;  // Waiting for the storage worker; later messages stay buffered.
    }
    auto message = reader_.next_message();
    if (!message) {
      fatal("08P01", message.error().message());
      return;
    }
    if (!message->has_value()) {
      return;
    }
    switch (state_) {
      case State::kPassword:
        on_password(**message);
        break;
      case State::kIdle:
        on_idle_message(**message);
        break;
      case State::kStreaming:
        on_copy_message(**message, now);
        break;
      default:
        return;
    }
  }
}

// True if more input may be read now.
bool ReplicationSession::on_startup(const pgproto::StartupPacket& packet) {
  using Kind = pgproto::StartupPacket::Kind;
  switch (packet.kind) {
    case Kind::kSslRequest:
      if (options_.tls && !tls_active_) {
        if (reader_.buffered() > 0) {
          // Bytes sent before the handshake would be read as if they had come over TLS.
          fatal("08P01", "received unencrypted data after SSL request");
          return false;
        }
        effects_.output.push_back('S');
        effects_.start_tls = true;
        return false;  // The next bytes come through TLS: on_tls_started() first.
      }
      effects_.output.push_back('N');  // No TLS here: the client goes on in plain text.
      return true;
    case Kind::kGssEncRequest:
      effects_.output.push_back('N');  // Not supported: the client goes on in plain text.
      return true;
    case Kind::kCancelRequest:
      effects_.close = true;  // Nothing runs that a cancel could stop.
      state_ = State::kClosed;
      return false;
    case Kind::kOtherVersion:
      fatal("0A000", "unsupported frontend protocol " + std::to_string(packet.version >> 16) + "." +
                         std::to_string(packet.version & 0xFFFF) + ": server supports 3.0 to 3.0");
      return false;
    case Kind::kStartup:
      break;
  }
  const auto parameter = [&](const std::string& name) {
    const auto it = packet.parameters.find(name);
    return it == packet.parameters.end() ? std::string() : it->second;
  };
  if (options_.tls && !tls_active_) {
    fatal("28000", "this safekeeper accepts replication connections over TLS only",
          "Connect with sslmode=require (or verify-full with the cluster's CA).");
    return false;
  }
  user_ = parameter("user");
  application_name_ = parameter("application_name");
  if (user_.empty()) {
    fatal("28000", "no PostgreSQL user name specified in startup packet");
    return false;
  }
  const std::string replication = parameter("replication");
  if (replication == "database") {
    fatal("0A000", "a safekeeper serves physical replication only, not logical");
    return false;
  }
  if (!is_true(replication)) {
    fatal("0A000", "a safekeeper serves only replication connections",
          "Connect with replication=true.");
    return false;
  }
  auto settings = pgproto::parse_startup_options(parameter("options"));
  if (!settings) {
    fatal("22023", settings.error().message());
    return false;
  }
  const auto tenant = consensus::TenantId::parse_hex((*settings)["tenant_id"]);
  const auto timeline = consensus::TimelineId::parse_hex((*settings)["timeline_id"]);
  if (!tenant || !timeline) {
    fatal("22023",
          "the timeline to read is chosen with options='-c tenant_id=<32 hex digits> "
          "-c timeline_id=<32 hex digits>'",
          "tenant_id \"" + (*settings)["tenant_id"] + "\", timeline_id \"" +
              (*settings)["timeline_id"] + "\"");
    return false;
  }
  key_ = proto::TimelineKey{*tenant, *timeline};
  if (tokens_checked()) {
    pgproto::authentication_cleartext_password(effects_.output);
    state_ = State::kPassword;
    return true;
  }
  if (!options_.users.empty()) {
    const auto user = options_.users.find(user_);
    scram_.emplace(user == options_.users.end() ? std::nullopt
                                                : std::optional<auth::ScramVerifier>(user->second),
                   options_.sasl_nonce);
    pgproto::authentication_sasl(effects_.output, "SCRAM-SHA-256");
    state_ = State::kPassword;
    return true;
  }
  state_ = State::kOpening;
  effects_.describe = key_;
  return false;
}

void ReplicationSession::on_password(const pgproto::FrontendMessage& message) {
  if (message.type != 'p') {
    fatal("08P01",
          std::string("expected password response, got message type '") + message.type + "'");
    return;
  }
  if (scram_) {
    on_sasl(message);
    return;
  }
  auto password = pgproto::payload_cstring(message.payload);
  if (tokens_checked()) {
    auto grant = options_.auth->check(password ? *password : std::string(),
                                      auth::Need::read(key_->tenant_id));
    if (!grant) {
      const bool denied = grant.error().code() == ErrorCode::kPermissionDenied;
      effects_.log.push_back("token refused for user " + in_quotes(user_) + ": " +
                             grant.error().message());
      fatal(denied ? "28000" : "28P01", grant.error().message(),
            "The password is a token: skctl token issue --scope tenant:ID");
      return;
    }
    grant_ = *grant;
    state_ = State::kOpening;
    effects_.describe = key_;
    return;
  }
  fatal("08P01", "a password came though none was asked for");
}

void ReplicationSession::on_sasl(const pgproto::FrontendMessage& message) {
  const auto refuse = [&](const Error& error) {
    const bool wrong = error.code() == ErrorCode::kUnauthenticated;
    effects_.log.push_back("SCRAM authentication failed for user " + in_quotes(user_) + ": " +
                           error.message());
    fatal(wrong ? "28P01" : "08P01",
          wrong ? "password authentication failed for user " + in_quotes(user_) : error.message());
  };
  if (!scram_first_done_) {
    auto initial = pgproto::parse_sasl_initial_response(message.payload);
    if (!initial) {
      refuse(initial.error());
      return;
    }
    if (initial->mechanism != "SCRAM-SHA-256") {
      refuse(Error(ErrorCode::kInvalidArgument,
                   "SASL mechanism \"" + initial->mechanism + "\" was not offered"));
      return;
    }
    auto challenge = scram_->on_client_first(initial->data);
    if (!challenge) {
      refuse(challenge.error());
      return;
    }
    scram_first_done_ = true;
    pgproto::authentication_sasl_continue(effects_.output, *challenge);
    return;
  }
  auto last = scram_->on_client_final(std::string_view(
      reinterpret_cast<const char*>(message.payload.data()), message.payload.size()));
  if (!last) {
    refuse(last.error());
    return;
  }
  scram_.reset();
  pgproto::authentication_sasl_final(effects_.output, *last);
  state_ = State::kOpening;
  effects_.describe = key_;
}

ReplicationSession::Effects ReplicationSession::on_tls_started(Now now) {
  tls_active_ = true;
  process_input(now);
  return take();
}

ReplicationSession::Effects ReplicationSession::on_timeline_info(Result<TimelineInfo> info,
                                                                 Now now) {
  if (state_ == State::kOpening) {
    if (!info) {
      const bool missing = info.error().code() == ErrorCode::kNotFound;
      fatal(missing ? "3D000" : "XX000", info.error().message());
      return take();
    }
    const TimelineInfo& timeline = *info;
    pgproto::authentication_ok(effects_.output);
    const std::pair<const char*, std::string> parameters[] = {
        {"application_name", application_name_},
        {"client_encoding", "UTF8"},
        {"DateStyle", "ISO, MDY"},
        {"integer_datetimes", "on"},
        {"IntervalStyle", "postgres"},
        {"is_superuser", "on"},
        {"server_encoding", "UTF8"},
        {"server_version", server_version(timeline.identity.pg_version)},
        {"session_authorization", user_},
        {"standard_conforming_strings", "on"},
        {"TimeZone", "UTC"},
    };
    for (const auto& [name, value] : parameters) {
      pgproto::parameter_status(effects_.output, name, value);
    }
    pgproto::backend_key_data(effects_.output, options_.backend_pid, options_.cancel_secret);
    pgproto::ready_for_query(effects_.output);
    state_ = State::kIdle;
    effects_.log.push_back("reader " + in_quotes(application_name_) + " (user " + in_quotes(user_) +
                           ") connected to timeline " + key_->tenant_id.to_hex() + "/" +
                           key_->timeline_id.to_hex());
  } else if (state_ == State::kQuerying) {
    state_ = State::kIdle;
    if (!info) {
      error(info.error().code() == ErrorCode::kNotFound ? "3D000" : "XX000",
            info.error().message());
      pgproto::ready_for_query(effects_.output);
    } else {
      run_query(*info, now);
    }
  }
  process_input(now);
  return take();
}

void ReplicationSession::on_idle_message(const pgproto::FrontendMessage& message) {
  switch (message.type) {
    case 'Q': {
      auto text = pgproto::payload_cstring(message.payload);
      if (!text) {
        fatal("08P01", text.error().message());
        return;
      }
      auto command = pgproto::parse_replication_command(*text);
      if (!command) {
        error("42601", command.error().message());
        pgproto::ready_for_query(effects_.output);
        return;
      }
      pending_query_ = std::move(*command);
      state_ = State::kQuerying;
      effects_.describe = key_;  // Run it against the timeline as it is now.
      return;
    }
    case 'X':
      effects_.close = true;
      state_ = State::kClosed;
      return;
    case 'd':
    case 'c':
    case 'f':
      return;  // Copy messages outside a copy are ignored, as the protocol says.
    case 'S':
    case 'H':
      return;  // Sync and Flush: nothing is pending.
    default:
      fatal("08P01", std::string("invalid frontend message type '") + message.type +
                         "': a replication connection accepts simple queries only");
  }
}

void ReplicationSession::run_query(const TimelineInfo& info, Now now) {
  const pgproto::ReplicationCommand command = std::move(*pending_query_);
  pending_query_.reset();
  std::visit(
      [&](const auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, pgproto::EmptyQuery>) {
          pgproto::empty_query_response(effects_.output);
        } else if constexpr (std::is_same_v<C, pgproto::IdentifySystem>) {
          identify_system(info);
        } else if constexpr (std::is_same_v<C, pgproto::Show>) {
          show(c, info);
        } else if constexpr (std::is_same_v<C, pgproto::ReadReplicationSlot>) {
          read_slot(c);
        } else if constexpr (std::is_same_v<C, pgproto::CreateReplicationSlot>) {
          create_slot(c, info);
        } else if constexpr (std::is_same_v<C, pgproto::DropReplicationSlot>) {
          drop_slot(c);
        } else if constexpr (std::is_same_v<C, pgproto::TimelineHistory>) {
          char name[32];
          std::snprintf(name, sizeof(name), "%08X.history", c.pg_timeline);
          error(
              "58P01",
              "could not open file \"pg_wal/" + std::string(name) + "\": No such file or directory",
              "A safekeeper's WAL is on PostgreSQL timeline 1, which has no history file.");
        } else if constexpr (std::is_same_v<C, pgproto::StartReplication>) {
          start_replication(c, info, now);
        } else if constexpr (std::is_same_v<C, pgproto::UnsupportedCommand>) {
          error("0A000", c.name + " is not supported by a safekeeper");
        }
      },
      command);
  if (state_ == State::kIdle) {
    pgproto::ready_for_query(effects_.output);
  }
}

void ReplicationSession::identify_system(const TimelineInfo& info) {
  pgproto::single_row_result(
      effects_.output,
      {{"systemid", kTextOid}, {"timeline", kInt8Oid}, {"xlogpos", kTextOid}, {"dbname", kTextOid}},
      {std::to_string(info.identity.system_id), "1", info.committed.to_string(), std::nullopt},
      "IDENTIFY_SYSTEM");
}

void ReplicationSession::show(const pgproto::Show& command, const TimelineInfo& info) {
  std::optional<std::string> value;
  const std::string& name = command.name;
  if (name == "wal_segment_size") {
    value = segment_size_text(info.identity.wal_seg_size_bytes);
  } else if (name == "data_directory_mode") {
    value = "0700";
  } else if (name == "server_version") {
    value = server_version(info.identity.pg_version);
  } else if (name == "server_version_num") {
    value = std::to_string(info.identity.pg_version);
  } else if (name == "integer_datetimes") {
    value = "on";
  } else if (name == "wal_block_size") {
    value = std::to_string(pgwal::kWalPageSizeBytes);
  } else if (name == "server_encoding" || name == "client_encoding") {
    value = "UTF8";
  } else if (name == "timezone") {
    value = "UTC";
  }
  if (!value) {
    error("42704", "unrecognized configuration parameter " + in_quotes(name));
    return;
  }
  pgproto::single_row_result(effects_.output, {{name, kTextOid}}, {*value}, "SHOW");
}

void ReplicationSession::read_slot(const pgproto::ReadReplicationSlot& command) {
  const std::vector<Column> columns = {
      {"slot_type", kTextOid}, {"restart_lsn", kTextOid}, {"restart_tli", kInt8Oid}};
  const auto slot = slots_.find(*key_, command.slot);
  if (!slot) {
    pgproto::single_row_result(effects_.output, columns, {std::nullopt, std::nullopt, std::nullopt},
                               "READ_REPLICATION_SLOT");
    return;
  }
  const bool reserved = slot->restart_lsn != consensus::kInvalidLsn;
  pgproto::single_row_result(
      effects_.output, columns,
      {"physical", reserved ? std::optional(slot->restart_lsn.to_string()) : std::nullopt,
       reserved ? std::optional<std::string>("1") : std::nullopt},
      "READ_REPLICATION_SLOT");
}

void ReplicationSession::create_slot(const pgproto::CreateReplicationSlot& command,
                                     const TimelineInfo& info) {
  if (!may_write()) {
    return;
  }
  ReplicationSlot slot;
  slot.name = command.slot;
  slot.temporary = command.temporary;
  slot.owner = id_;
  // WAL from the segment a reader would start at: everything committed from here on.
  slot.restart_lsn = command.reserve_wal ? info.committed : consensus::kInvalidLsn;
  if (Status created = slots_.create(*key_, slot); !created) {
    error(created.error().code() == ErrorCode::kAlreadyExists ? "42710" : "42602",
          created.error().message());
    return;
  }
  // A physical slot's consistent_point is 0/0 in PostgreSQL too (it has no confirmed_flush).
  pgproto::single_row_result(
      effects_.output,
      {{"slot_name", kTextOid},
       {"consistent_point", kTextOid},
       {"snapshot_name", kTextOid},
       {"output_plugin", kTextOid}},
      {slot.name, consensus::kInvalidLsn.to_string(), std::nullopt, std::nullopt},
      "CREATE_REPLICATION_SLOT");
}

bool ReplicationSession::may_write() {
  if (!grant_) {
    return true;
  }
  if (Status allowed = auth::permits(*grant_, auth::Need::write(key_->tenant_id)); !allowed) {
    error("42501", allowed.error().message(),
          "Replication slots keep WAL on the safekeepers: they need the tenant's write scope.");
    return false;
  }
  return true;
}

void ReplicationSession::drop_slot(const pgproto::DropReplicationSlot& command) {
  if (!may_write()) {
    return;
  }
  if (Status dropped = slots_.drop(*key_, command.slot); !dropped) {
    error(dropped.error().code() == ErrorCode::kNotFound ? "42704" : "55006",
          dropped.error().message());
    return;
  }
  pgproto::command_complete(effects_.output, "DROP_REPLICATION_SLOT");
}

void ReplicationSession::start_replication(const pgproto::StartReplication& command,
                                           const TimelineInfo& info, Now now) {
  if (command.pg_timeline && *command.pg_timeline != 1) {
    error("22023",
          "requested timeline " + std::to_string(*command.pg_timeline) +
              " is not in this server's history",
          "A safekeeper's WAL is on PostgreSQL timeline 1.");
    return;
  }
  const std::uint64_t seg_size = info.identity.wal_seg_size_bytes;
  if (command.start < info.identity.timeline_start_lsn) {
    error(
        "58P01",
        "requested WAL segment " +
            pgwal::segment_file_name(1, pgwal::segment_number(command.start, seg_size), seg_size) +
            " has already been removed",
        "This timeline's WAL begins at " + info.identity.timeline_start_lsn.to_string() + ".");
    return;
  }
  if (command.start > info.committed) {
    error("55000", "requested starting point " + command.start.to_string() +
                       " is ahead of the WAL flush position of this server " +
                       info.committed.to_string());
    return;
  }
  if (command.slot) {
    if (Status acquired = slots_.acquire(*key_, *command.slot, id_); !acquired) {
      error(acquired.error().code() == ErrorCode::kNotFound ? "42704" : "55006",
            acquired.error().message());
      return;
    }
    streaming_slot_ = command.slot;
  }
  pgproto::copy_both_response(effects_.output);
  state_ = State::kStreaming;
  sent_up_to_ = command.start;
  committed_ = info.committed;
  last_output_ = now.steady;
  effects_.log.push_back("reader " + in_quotes(application_name_) + " streams from " +
                         command.start.to_string() +
                         (command.slot ? " with slot " + in_quotes(*command.slot) : ""));
  request_wal();
}

void ReplicationSession::request_wal() {
  const WalRequest request{next_request_id_++, sent_up_to_, options_.max_read_bytes};
  awaited_request_ = request.id;
  effects_.read = request;
}

ReplicationSession::Effects ReplicationSession::on_wal(std::uint64_t request_id,
                                                       Result<WalChunk> chunk, Now now) {
  if (state_ != State::kStreaming || request_id != awaited_request_) {
    return take();  // Streaming ended meanwhile.
  }
  awaited_request_ = 0;
  if (!chunk) {
    fatal("XX000",
          "could not read WAL at " + sent_up_to_.to_string() + ": " + chunk.error().message());
    return take();
  }
  if (chunk->start != sent_up_to_) {
    fatal("XX000", "WAL read at " + chunk->start.to_string() + " does not continue at " +
                       sent_up_to_.to_string());
    return take();
  }
  send_wal(*chunk, now);
  request_wal();
  return take();
}

void ReplicationSession::send_wal(const WalChunk& chunk, Now now) {
  committed_ = std::max(committed_, chunk.committed);
  const std::int64_t pg_time = pgproto::pg_time_from_unix_micros(now.unix_micros);
  std::size_t at = 0;
  while (at < chunk.bytes.size()) {
    // Full messages end on a page boundary, as PostgreSQL's do.
    const Lsn start = chunk.start.plus_bytes(at);
    std::uint64_t end = start.value() + kMaxXLogDataBytes;
    end -= end % pgwal::kWalPageSizeBytes;
    std::size_t n = chunk.bytes.size() - at;
    if (end > start.value()) {
      n = std::min<std::size_t>(n, static_cast<std::size_t>(end - start.value()));
    }
    pgproto::xlog_data(effects_.output, start, committed_, pg_time,
                       std::span(chunk.bytes).subspan(at, n));
    at += n;
  }
  sent_up_to_ = chunk.start.plus_bytes(chunk.bytes.size());
  last_output_ = now.steady;
}

void ReplicationSession::on_copy_message(const pgproto::FrontendMessage& message, Now now) {
  switch (message.type) {
    case 'd': {
      auto parsed = pgproto::parse_standby_message(message.payload);
      if (!parsed) {
        fatal("08P01", parsed.error().message());
        return;
      }
      if (const auto* update = std::get_if<pgproto::StandbyStatusUpdate>(&*parsed)) {
        reported_flush_ = std::max(reported_flush_, update->flush);
        if (streaming_slot_ && update->flush != consensus::kInvalidLsn) {
          slots_.advance(*key_, *streaming_slot_, update->flush);
        }
        if (update->reply_requested) {
          send_keepalive(false, now);
        }
      }
      // Hot-standby feedback is accepted; with a stock primary there is nowhere to relay it.
      return;
    }
    case 'c':
      end_streaming();
      return;
    case 'X':
      effects_.close = true;
      state_ = State::kClosed;
      return;
    case 'f': {
      auto reason = pgproto::payload_cstring(message.payload);
      fatal("57014", "COPY from the client failed: " + (reason ? *reason : std::string("?")));
      return;
    }
    default:
      fatal("08P01", std::string("unexpected message type '") + message.type +
                         "' during COPY from the client");
  }
}

// The client ended the copy: CopyDone back, then the two CommandCompletes PostgreSQL's walsender
// sends (START_STREAMING, then the command's own), then ReadyForQuery.
void ReplicationSession::end_streaming() {
  pgproto::copy_done(effects_.output);
  pgproto::command_complete(effects_.output, "START_STREAMING");
  pgproto::command_complete(effects_.output, "START_REPLICATION");
  pgproto::ready_for_query(effects_.output);
  if (streaming_slot_) {
    slots_.release(*key_, *streaming_slot_, id_);
    streaming_slot_.reset();
  }
  awaited_request_ = 0;
  state_ = State::kIdle;
}

void ReplicationSession::send_keepalive(bool reply_requested, Now now) {
  pgproto::primary_keepalive(effects_.output, committed_,
                             pgproto::pg_time_from_unix_micros(now.unix_micros), reply_requested);
  last_output_ = now.steady;
}

ReplicationSession::Effects ReplicationSession::on_tick(Now now) {
  const auto silent = now.steady - last_input_;
  const bool starting =
      state_ == State::kStartup || state_ == State::kPassword || state_ == State::kOpening;
  if (starting && now.steady - started_ >= options_.silence_timeout) {
    effects_.log.push_back("startup not finished in time: closed");
    fatal("08006", "canceling authentication due to timeout");
  } else if (state_ == State::kStreaming) {
    if (silent >= options_.silence_timeout) {
      effects_.log.push_back(
          "terminating: the reader sent nothing for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(silent).count()) + " s");
      effects_.close = true;
      state_ = State::kClosed;
    } else if (silent >= options_.silence_timeout / 2 && !reply_asked_) {
      send_keepalive(true, now);
      reply_asked_ = true;
    } else if (now.steady - last_output_ >= options_.keepalive_interval) {
      send_keepalive(false, now);
    }
  }
  return take();
}

void ReplicationSession::error(std::string sqlstate, std::string message, std::string detail) {
  pgproto::error_response(effects_.output,
                          {false, std::move(sqlstate), std::move(message), std::move(detail), {}});
}

void ReplicationSession::fatal(std::string sqlstate, std::string message, std::string detail) {
  effects_.log.push_back("closed with FATAL " + sqlstate + ": " + message);
  pgproto::error_response(effects_.output,
                          {true, std::move(sqlstate), std::move(message), std::move(detail), {}});
  effects_.close = true;
  state_ = State::kClosed;
}

}  // namespace sk::walsender
