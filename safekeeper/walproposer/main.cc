// walproposer: the sidecar of one stock PostgreSQL 15 primary. It connects to the primary as a
// physical replication client (libpq; a replication slot keeps the WAL it still needs), makes
// the timeline exist on the safekeepers (its start: the segment of the slot's restart LSN), is
// elected proposer through the same driver sk-loadgen uses, streams the primary's WAL to every
// safekeeper as whole records, and reports the quorum-committed LSN back as its write, flush and
// apply positions. With synchronous_standby_names = 'walproposer' on the primary, a commit
// returns only once a majority of safekeepers has fsynced it.
//
// `walproposer --sync-safekeepers` runs without a primary: elected, it waits until a majority
// holds the most advanced log in its term, prints the LSN where that log ends and exits 0. A
// replacement primary is built from the WAL up to that LSN before it starts.
//
// Exit status: 0 after SIGTERM/SIGINT (or a finished sync); 1 on an error it cannot get past (the
// primary is not the one the timeline follows, its WAL does not decode, the timeline cannot be
// created); 2 on bad flags; 3 when fenced: another walproposer was elected for the timeline. Do not
// restart it automatically after 3 (systemd: RestartPreventExitStatus=3), or the two primaries
// would take the timeline from each other in turn.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <unistd.h>

#include "safekeeper/cli/command_line.h"
#include "safekeeper/log/log.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/proposer/acceptor_links.h"
#include "safekeeper/proposer/cluster_setup.h"
#include "safekeeper/proposer/network_timing.h"
#include "safekeeper/proposer/proposer_driver.h"
#include "safekeeper/walproposer/pg_replication.h"
#include "safekeeper/walproposer/streamed_wal.h"

namespace {

using namespace sk;
using consensus::Lsn;
using consensus::NodeId;
using safekeeper::log_error;
using safekeeper::log_info;
using safekeeper::log_warn;
using walproposer::PgReplication;
using walproposer::StreamedWal;

constexpr auto kTick = proposer::kProposerTick;
constexpr auto kStatusInterval = std::chrono::seconds(1);
constexpr int kExitFatal = 1;
constexpr int kExitFenced = 3;

struct Options {
  std::string pgconn;
  std::vector<proposer::AcceptorAddress> safekeepers;
  std::vector<std::string> http;
  std::string token;  // --token-file's: in each greeting and HTTP request.
  std::shared_ptr<boost::asio::ssl::context> proposer_tls;  // --tls-cert's; nullptr: plain.
  consensus::TenantId tenant;
  consensus::TimelineId timeline;
  std::string slot = "walproposer";
  std::string application_name = "walproposer";
  std::uint64_t proposer_id = 0;  // 0: a random one.
  // Where a timeline new to the safekeepers begins: a branch's branch LSN (its WAL before that
  // is its parent's). nullopt: the start of the segment of the slot's restart LSN.
  std::optional<Lsn> start_lsn;
  std::size_t max_buffer_bytes = std::size_t{64} << 20;
  bool sync_safekeepers = false;
  // --sync-safekeepers --wait-for: these must hold the log and know it committed too.
  std::vector<NodeId> wait_for;
};

Options parse(int argc, char** argv) {
  static cli::CommandLine flags(
      "walproposer",
      "--pgconn CONNINFO --safekeepers ID=HOST:PORT,... --http HOST:PORT,... --tenant HEX "
      "--timeline HEX [options]");
  flags.value("pgconn", "CONNINFO", "the primary (libpq string or URI; replication=true is added)");
  proposer::add_cluster_flags(flags);
  flags.value("slot", "NAME", "physical replication slot on the primary (default walproposer)")
      .value("application-name", "NAME",
             "as named in synchronous_standby_names (default walproposer)")
      .value("proposer-id", "N", "(default: random)")
      .value("start-lsn", "X/X",
             "where the timeline begins if the safekeepers do not hold it yet: a branch's "
             "branch LSN (default: the slot's restart segment)")
      .value("max-buffer-mib", "M", "WAL received and not yet proposed before reading pauses (64)")
      .toggle("sync-safekeepers",
              "no primary: get elected, make a majority hold the most advanced log in the new "
              "term, print the LSN where it ends, exit 0")
      .value("wait-for", "ID,...",
             "with --sync-safekeepers: also wait until these safekeepers hold that log and "
             "know it is committed (new members catching up in a membership change)");
  flags.parse(argc, argv);

  Options o;
  o.sync_safekeepers = flags.has("sync-safekeepers");
  o.pgconn = flags.get("pgconn").value_or("");
  proposer::ClusterFlags cluster = proposer::read_cluster_flags(flags);
  o.safekeepers = std::move(cluster.safekeepers);
  o.http = std::move(cluster.http);
  o.token = std::move(cluster.token);
  o.proposer_tls = std::move(cluster.proposer_tls);
  const bool tenant = cluster.tenant.has_value();
  const bool timeline = cluster.timeline.has_value();
  o.tenant = cluster.tenant.value_or(consensus::TenantId());
  o.timeline = cluster.timeline.value_or(consensus::TimelineId());
  o.slot = flags.get("slot").value_or(o.slot);
  o.application_name = flags.get("application-name").value_or(o.application_name);
  o.proposer_id = flags.get_unsigned("proposer-id", true).value_or(0);
  if (auto v = flags.get("start-lsn")) {
    o.start_lsn = Lsn::parse(*v);
    if (!o.start_lsn || o.start_lsn->value() % 8 != 0) {
      flags.usage_error("--start-lsn: '" + *v + "' is not an 8-byte aligned LSN (X/X)");
    }
  }
  if (auto ids = flags.get("wait-for")) {
    for (const std::string& item : proposer::split_list(*ids)) {
      char* end = nullptr;
      const unsigned long long id = std::strtoull(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || id == 0) {
        flags.usage_error("--wait-for: '" + item + "' is not a safekeeper id");
      }
      o.wait_for.emplace_back(id);
    }
    if (!flags.has("sync-safekeepers")) {
      flags.usage_error("--wait-for goes with --sync-safekeepers");
    }
  }
  if (auto mib = flags.get_unsigned("max-buffer-mib", true)) {
    o.max_buffer_bytes = *mib << 20;
  }
  if (o.safekeepers.empty() || o.http.empty() || !tenant || !timeline) {
    flags.usage_error("--safekeepers, --http, --tenant and --timeline are required");
  }
  if (o.pgconn.empty() != o.sync_safekeepers) {
    flags.usage_error(o.sync_safekeepers ? "--sync-safekeepers takes no --pgconn"
                                         : "--pgconn is required (or --sync-safekeepers)");
  }
  // A slot name is an identifier PostgreSQL restricts to these; it goes into commands unquoted.
  const bool slot_ok = !o.slot.empty() && o.slot.size() <= 63 &&
                       std::all_of(o.slot.begin(), o.slot.end(), [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                       });
  if (!slot_ok) {
    flags.usage_error("--slot: '" + o.slot + "' is not a slot name (a-z, 0-9, _; at most 63)");
  }
  if (o.proposer_id == 0) {
    std::random_device random;
    o.proposer_id = (static_cast<std::uint64_t>(random()) << 32 | random()) | 1;
  }
  return o;
}

// "16MB", "1GB", "512kB" (SHOW wal_segment_size) in bytes; 0 if not understood.
std::uint64_t parse_pg_size(const std::string& text) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  const std::string unit = end;
  const std::uint64_t scale = unit == "kB"   ? 1024
                              : unit == "MB" ? 1024 * 1024
                              : unit == "GB" ? 1024 * 1024 * 1024
                              : unit.empty() ? 1
                                             : 0;
  return n * scale;
}

[[noreturn]] void fatal(const std::string& message) {
  log_error(message);
  std::exit(kExitFatal);
}

// What the set-up learnt from the primary.
struct Primary {
  PgReplication::System system;
  std::uint64_t seg_size_bytes = 0;
  int version = 0;
  Lsn restart_lsn;
};

// Connects, with a growing pause between attempts (up to 5 s), until the primary answers.
PgReplication connect_with_backoff(const Options& o) {
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    auto conn = PgReplication::connect(o.pgconn, o.application_name);
    if (conn) {
      return std::move(*conn);
    }
    log_warn(conn.error().message() + "; retrying in " + std::to_string(pause.count()) + " ms");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(5000));
  }
}

Primary learn_primary(PgReplication& conn, const Options& o) {
  Primary primary;
  primary.version = conn.server_version();
  if (primary.version / 10000 != 15) {
    fatal("the primary runs PostgreSQL " + std::to_string(primary.version) +
          "; this walproposer serves PostgreSQL 15");
  }
  auto system = conn.identify_system();
  if (!system) {
    fatal(system.error().message());
  }
  primary.system = *system;
  auto seg_size = conn.show("wal_segment_size");
  if (!seg_size) {
    fatal(seg_size.error().message());
  }
  primary.seg_size_bytes = parse_pg_size(*seg_size);
  if (!pgwal::check_segment_size(primary.seg_size_bytes)) {
    fatal("the primary's wal_segment_size '" + *seg_size + "' is not understood");
  }
  auto slot = conn.read_slot(o.slot);
  if (!slot) {
    fatal(slot.error().message());
  }
  if (!*slot) {
    // The answer's consistent_point is 0/0 for a physical slot: read the restart LSN back.
    if (auto created = conn.create_slot(o.slot); !created) {
      fatal(created.error().message());
    }
    slot = conn.read_slot(o.slot);
    if (!slot || !*slot) {
      fatal("slot " + o.slot + " was created without reserving WAL");
    }
    log_info("created physical replication slot " + o.slot);
  }
  primary.restart_lsn = **slot;
  return primary;
}

// The timeline's identity: as the safekeepers already hold it, or new, starting at the segment
// of the slot's restart LSN (whole segments, so that readers can be served from segment starts).
consensus::TimelineIdentity ensure_timeline(const Options& o, const Primary& primary) {
  auto found = proposer::find_timeline(o.http, o.tenant, o.timeline, o.token);
  if (!found) {
    fatal("looking for the timeline: " + found.error().message());
  }
  consensus::TimelineIdentity identity;
  if (*found) {
    identity = **found;
    if (identity.system_id != primary.system.system_id ||
        identity.wal_seg_size_bytes != primary.seg_size_bytes) {
      fatal("timeline " + o.timeline.to_hex() + " belongs to database system " +
            std::to_string(identity.system_id) + " (segments of " +
            std::to_string(identity.wal_seg_size_bytes) + " bytes), the primary is system " +
            std::to_string(primary.system.system_id));
    }
  } else {
    identity = {.tenant_id = o.tenant,
                .timeline_id = o.timeline,
                .system_id = primary.system.system_id,
                .pg_version = static_cast<std::uint32_t>(primary.version),
                .wal_seg_size_bytes = static_cast<std::uint32_t>(primary.seg_size_bytes),
                .timeline_start_lsn = o.start_lsn.value_or(pgwal::segment_start(
                    pgwal::segment_number(primary.restart_lsn, primary.seg_size_bytes),
                    primary.seg_size_bytes))};
  }
  std::vector<std::string> errors;
  const std::size_t holding = proposer::create_timeline(o.http, identity, o.token, errors);
  for (const std::string& error : errors) {
    log_warn("creating the timeline: " + error);
  }
  if (holding * 2 <= o.http.size()) {
    fatal("the timeline exists on " + std::to_string(holding) + " of " +
          std::to_string(o.http.size()) + " safekeepers, not a majority");
  }
  log_info("timeline " + o.tenant.to_hex() + "/" + o.timeline.to_hex() + ": system " +
           std::to_string(identity.system_id) + ", starts at " +
           identity.timeline_start_lsn.to_string());
  return identity;
}

// The running sidecar: the proposer driver on one Asio thread, its acceptor links, and the
// primary's replication stream, read when its socket is readable.
class Walproposer final : public proposer::ProposerIo {
 public:
  Walproposer(const Options& options, std::optional<PgReplication> conn, const Primary& primary,
              const consensus::TimelineIdentity& identity)
      : options_(options),
        primary_(primary),
        identity_(identity),
        conn_(std::move(conn)),
        links_(
            io_, {options.tenant, options.timeline}, options.safekeepers,
            {.on_connected = [this](NodeId id) { driver_->on_connected(id); },
             .on_message = [this](NodeId id,
                                  const consensus::Message& m) { driver_->on_message(id, m); },
             .on_disconnected = [this](NodeId id, const Error&) { driver_->on_disconnected(id); }},
            std::chrono::milliseconds(100), {options.token, options.proposer_tls}),
        socket_(io_),
        tick_timer_(io_),
        reconnect_timer_(io_),
        signals_(io_, SIGTERM, SIGINT) {
    consensus::ProposerConfig config;
    config.proposer_id = NodeId(options.proposer_id);
    config.identity = identity;
    config.configuration = proposer::plain_configuration(options.safekeepers);
    proposer::use_network_timing(config);
    config.jitter_seed = options.proposer_id ^ static_cast<std::uint64_t>(::getpid());
    driver_.emplace(config, *this);
  }

  int run() {
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
      if (!ec) {
        log_info(std::string(signo == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
        stop(0);
      }
    });
    driver_->start();
    schedule_tick();
    io_.run();
    return std::max(exit_code_, 0);
  }

  // ProposerIo.
  void send(NodeId acceptor, const consensus::Message& message) override {
    links_.send(acceptor, message);
  }
  void drop_connection(NodeId acceptor, const Error& why) override {
    log_warn("safekeeper " + std::to_string(acceptor.value()) +
             " broke the protocol: " + why.to_string());
    links_.drop(acceptor, why);
  }
  std::vector<std::uint8_t> read_wal(Lsn from, std::size_t max_bytes) override {
    return wal_ ? wal_->take(from, max_bytes) : std::vector<std::uint8_t>{};
  }
  void on_elected(consensus::Term term, Lsn term_start_lsn) override {
    log_info("elected in term " + std::to_string(term.value()) + "; the log continues at " +
             term_start_lsn.to_string());
    if (!conn_) {
      sync_target_ = term_start_lsn;
      finish_sync_when_committed();
      return;
    }
    if (wal_) {
      return;  // A restart's new term: the stream goes on; the driver proposes what it lacks.
    }
    const Lsn from = std::max(term_start_lsn, identity_.timeline_start_lsn);
    pgwal::WalDecoderOptions decoding;
    decoding.seg_size_bytes = primary_.seg_size_bytes;
    decoding.system_id = primary_.system.system_id;
    decoding.pg_timeline_id = primary_.system.timeline;
    auto wal = StreamedWal::create(from, decoding);
    if (!wal) {
      fail("cannot stream from " + from.to_string() + ": " + wal.error().message());
      return;
    }
    wal_.emplace(std::move(*wal));
    start_streaming();
  }
  void on_commit(Lsn commit_lsn) override {
    committed_ = std::max(committed_, commit_lsn);
    finish_sync_when_committed();
    send_status(false);
    resume_reading_if_drained();
  }
  void on_fenced(consensus::Term term) override {
    log_error("fenced: another walproposer was elected in term " + std::to_string(term.value()) +
              "; this primary's commits after " + committed_.to_string() +
              " are no longer acknowledged");
    stop(kExitFenced);
  }
  void on_superseded(const consensus::Configuration& newer) override {
    log_info("the safekeepers moved to configuration " + newer.describe() +
             "; continuing under it in a new term");
    boost::asio::post(io_, [this, newer] {
      std::vector<NodeId> unreachable;
      links_.restart(proposer::configured_acceptors(newer, options_.safekeepers, unreachable));
      for (NodeId id : unreachable) {
        log_warn("no address for safekeeper " + std::to_string(id.value()) + " of configuration " +
                 newer.describe() + " (neither in it nor in --safekeepers): it counts as down");
      }
      driver_->restart(newer);
    });
  }

 private:
  void schedule_tick() {
    tick_timer_.expires_after(kTick);
    tick_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) {
        return;
      }
      driver_->tick();
      finish_sync_when_committed();
      const auto now = std::chrono::steady_clock::now();
      if (streaming_ && now >= next_status_) {
        send_status(false);
      }
      if (streaming_) {
        if (Status s = conn_->flush_output(); !s) {
          lost_primary(s.error());
        }
      }
      resume_reading_if_drained();
      schedule_tick();
    });
  }

  // START_REPLICATION at the end of what was received (the term start, at first).
  void start_streaming() {
    if (Status s =
            conn_->start_replication(options_.slot, wal_->received_end(), primary_.system.timeline);
        !s) {
      // A primary without the WAL the safekeepers hold is not the one this timeline follows.
      fail("the primary cannot stream from " + wal_->received_end().to_string() + ": " +
           s.error().message());
      return;
    }
    log_info("streaming from the primary at " + wal_->received_end().to_string());
    socket_.close();
    socket_.assign(::dup(conn_->socket()));
    streaming_ = true;
    wait_readable();
  }

  void wait_readable() {
    if (reading_ || !streaming_) {
      return;
    }
    if (wal_->buffered_bytes() >= options_.max_buffer_bytes) {
      return;  // Back-pressure on the primary until commits drain the buffer.
    }
    reading_ = true;
    socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](boost::system::error_code ec) {
                         reading_ = false;
                         if (!ec) {
                           on_readable();
                         }
                       });
  }

  void resume_reading_if_drained() {
    if (streaming_ && !reading_) {
      wait_readable();
    }
  }

  void on_readable() {
    auto received = conn_->receive(
        [this](Lsn at, std::span<const std::uint8_t> bytes) { return wal_->add(at, bytes); });
    if (!received) {
      if (received.error().code() == ErrorCode::kCorruption ||
          received.error().code() == ErrorCode::kInvalidArgument) {
        fail(received.error().message());
      } else {
        lost_primary(received.error());
      }
      return;
    }
    driver_->on_wal_available();
    if (received->reply_requested) {
      send_status(false);
    }
    if (received->ended) {
      lost_primary(Error(ErrorCode::kUnavailable, "the primary ended the replication stream"));
      return;
    }
    wait_readable();
  }

  void send_status(bool reply_requested) {
    next_status_ = std::chrono::steady_clock::now() + kStatusInterval;
    if (!streaming_) {
      return;
    }
    if (Status s = conn_->send_status(committed_, committed_, committed_, reply_requested); !s) {
      lost_primary(s.error());
    }
  }

  // The replication connection broke: connect again and continue the stream where it stopped.
  // The acceptors keep their sessions meanwhile.
  void lost_primary(const Error& why) {
    if (!streaming_) {
      return;
    }
    streaming_ = false;
    socket_.close();
    log_warn("lost the primary: " + why.message() + "; reconnecting");
    reconnect(std::chrono::milliseconds(100));
  }

  // One attempt now and, if it fails, the next after `pause` (doubling up to 5 s), on the I/O
  // thread's timer: ticks, the acceptors and SIGTERM are served between attempts.
  void reconnect(std::chrono::milliseconds pause) {
    auto conn = PgReplication::connect(options_.pgconn, options_.application_name);
    if (conn) {
      auto system = conn->identify_system();
      if (system && system->system_id != primary_.system.system_id) {
        fail("the server at --pgconn is now database system " + std::to_string(system->system_id) +
             ", not " + std::to_string(primary_.system.system_id));
        return;
      }
      if (system) {
        conn_ = std::move(*conn);
        start_streaming();
        return;
      }
      log_warn(system.error().message() + "; retrying in " + std::to_string(pause.count()) + " ms");
    } else {
      log_warn(conn.error().message() + "; retrying in " + std::to_string(pause.count()) + " ms");
    }
    reconnect_timer_.expires_after(pause);
    reconnect_timer_.async_wait([this, pause](boost::system::error_code ec) {
      if (!ec) {
        reconnect(std::min(pause * 2, std::chrono::milliseconds(5000)));
      }
    });
  }

  // --sync-safekeepers: done once a majority holds the elected log's end in this term (the
  // commit LSN reached it). Prints that LSN, the one a replacement primary must start from.
  void finish_sync_when_committed() {
    if (conn_ || !sync_target_ || exit_code_ >= 0) {
      return;
    }
    // Committed, and a majority knows it: a safekeeper serves readers (a replacement primary's
    // restore) only the WAL it knows is committed, and no proposer remains to tell them later.
    const consensus::Proposer& proposer = driver_->proposer();
    if (proposer.commit_lsn() < *sync_target_ ||
        proposer.commit_lsn_known_by_quorum() < *sync_target_) {
      return;
    }
    for (NodeId id : options_.wait_for) {
      const std::optional<Lsn> known = proposer.streaming_commit_lsn(id);
      if (!known || *known < *sync_target_) {
        return;
      }
    }
    log_info("a majority holds the log up to " + sync_target_->to_string() +
             " and knows it is committed");
    std::printf("%s\n", sync_target_->to_string().c_str());
    std::fflush(stdout);
    stop(0);
  }

  void fail(const std::string& message) {
    log_error(message);
    stop(kExitFatal);
  }

  void stop(int exit_code) {
    exit_code_ = exit_code;
    streaming_ = false;
    socket_.close();
    links_.close_all();
    io_.stop();
  }

  const Options& options_;
  const Primary primary_;
  const consensus::TimelineIdentity identity_;
  boost::asio::io_context io_;
  std::optional<PgReplication> conn_;  // None with --sync-safekeepers.
  proposer::AcceptorLinks links_;
  boost::asio::posix::stream_descriptor socket_;  // A dup of the libpq socket, to wait on.
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::signal_set signals_;
  std::optional<proposer::ProposerDriver> driver_;
  std::optional<StreamedWal> wal_;
  Lsn committed_;  // The quorum-committed LSN reported to the primary; never goes back.
  bool streaming_ = false;
  bool reading_ = false;
  std::chrono::steady_clock::time_point next_status_{};
  std::optional<Lsn> sync_target_;  // --sync-safekeepers: the term start to commit.
  int exit_code_ = -1;              // Set by stop().
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  if (options.sync_safekeepers) {
    auto found =
        proposer::find_timeline(options.http, options.tenant, options.timeline, options.token);
    if (!found) {
      fatal("looking for the timeline: " + found.error().message());
    }
    if (!*found) {
      fatal("timeline " + options.tenant.to_hex() + "/" + options.timeline.to_hex() +
            " is on none of the safekeepers that answered");
    }
    Walproposer sync(options, std::nullopt, Primary{}, **found);
    return sync.run();
  }
  PgReplication conn = connect_with_backoff(options);
  const Primary primary = learn_primary(conn, options);
  log_info("primary: PostgreSQL " + std::to_string(primary.version) + ", system " +
           std::to_string(primary.system.system_id) + ", timeline " +
           std::to_string(primary.system.timeline) + ", flushed to " +
           primary.system.flush_lsn.to_string() + "; slot " + options.slot + " at " +
           primary.restart_lsn.to_string());
  const consensus::TimelineIdentity identity = ensure_timeline(options, primary);
  Walproposer walproposer(options, std::move(conn), primary, identity);
  return walproposer.run();
}
