// sk-loadgen: a synthetic proposer. Creates a timeline on every safekeeper (HTTP, idempotent),
// gets elected through the proposer driver, appends generated PostgreSQL-format WAL at a target
// rate or as fast as the cluster commits it, and checks every acknowledgement: commit LSNs only
// move forward and never past what was sent. Prints one JSON summary on stdout:
//
//   {"term":..., "start_lsn":"0/1000000", "committed_lsn":"0/D000000", "bytes_committed":...,
//    "seconds":..., "mb_per_s":..., "commit_latency_us":{"p50":...,"p99":...,"count":...},
//    "digest":"<WalDigest of [start_lsn, committed_lsn)>", "fenced":false}
//
// Exit status: 0 when --bytes were committed (or --seconds elapsed); 3 when fenced by another
// proposer; 1 on a failed check or when --timeout-s passed first; 2 on bad flags.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "safekeeper/cli/command_line.h"
#include "safekeeper/loadgen/generated_wal.h"
#include "safekeeper/metrics/percentile.h"
#include "safekeeper/proposer/acceptor_links.h"
#include "safekeeper/proposer/cluster_setup.h"
#include "safekeeper/proposer/network_timing.h"
#include "safekeeper/proposer/proposer_driver.h"

namespace {

using namespace sk;
using consensus::Lsn;
using consensus::NodeId;
using Clock = std::chrono::steady_clock;

constexpr auto kTick = proposer::kProposerTick;

struct Options {
  std::vector<proposer::AcceptorAddress> safekeepers;       // Proposer ports.
  std::vector<std::string> http;                            // HTTP ports, to create the timeline.
  std::string token;                                        // --token-file's.
  std::shared_ptr<boost::asio::ssl::context> proposer_tls;  // --tls-cert's; nullptr: plain.
  consensus::TenantId tenant;
  consensus::TimelineId timeline;
  Lsn start_lsn = Lsn(0x1000000);
  std::uint64_t system_id = 7300000000000000001ull;
  std::uint64_t proposer_id = 1000;
  std::uint64_t total_bytes = 0;
  double seconds = 0;
  double timeout_seconds = 600;
  double rate_mb_per_s = 0;
  std::size_t record_bytes = 8192;
  std::size_t outstanding = 0;
  bool wait_all = false;
};

Options parse(int argc, char** argv) {
  static cli::CommandLine flags(
      "sk-loadgen", "--safekeepers ID=HOST:PORT,... --tenant HEX --timeline HEX [options]");
  proposer::add_cluster_flags(flags);
  flags.value("start-lsn", "X/X", "the timeline's start (default 0/1000000)")
      .value("system-id", "N", "(default 7300000000000000001)")
      .value("proposer-id", "N", "(default 1000)")
      .value("bytes", "N", "stop once N bytes of WAL are committed")
      .value("seconds", "S", "stop after S seconds")
      .value("timeout-s", "S", "fail if not done after S seconds (default 600)")
      .value("rate-mbps", "R", "target rate in MB/s (default 0: as fast as it commits)")
      .value("record-bytes", "N", "NOOP payload per record (default 8192)")
      .value("outstanding", "N", "records in flight at most (default 0: the proposer's bound)")
      .value("wait-all", "1",
             "once done, keep going until every acceptor holds all the WAL (catch-up of "
             "restarted ones) and has heard the final commit LSN");
  flags.parse(argc, argv);

  Options o;
  proposer::ClusterFlags cluster = proposer::read_cluster_flags(flags);
  if (cluster.safekeepers.empty() || !cluster.tenant || !cluster.timeline) {
    flags.usage_error("--safekeepers, --tenant and --timeline are required");
  }
  o.safekeepers = std::move(cluster.safekeepers);
  o.http = std::move(cluster.http);
  o.token = std::move(cluster.token);
  o.proposer_tls = std::move(cluster.proposer_tls);
  o.tenant = *cluster.tenant;
  o.timeline = *cluster.timeline;
  if (auto v = flags.get("start-lsn")) {
    auto lsn = Lsn::parse(*v);
    if (!lsn) {
      flags.usage_error("--start-lsn: '" + *v + "' is not an LSN (X/X)");
    }
    o.start_lsn = *lsn;
  }
  o.system_id = flags.get_unsigned("system-id").value_or(o.system_id);
  o.proposer_id = flags.get_unsigned("proposer-id").value_or(o.proposer_id);
  o.total_bytes = flags.get_unsigned("bytes").value_or(o.total_bytes);
  o.record_bytes = flags.get_unsigned("record-bytes").value_or(o.record_bytes);
  o.outstanding = flags.get_unsigned("outstanding").value_or(o.outstanding);
  o.seconds = flags.get_real("seconds").value_or(o.seconds);
  o.timeout_seconds = flags.get_real("timeout-s").value_or(o.timeout_seconds);
  o.rate_mb_per_s = flags.get_real("rate-mbps").value_or(o.rate_mb_per_s);
  o.wait_all = flags.get_unsigned("wait-all").value_or(0) != 0;
  if (o.total_bytes == 0 && o.seconds == 0) {
    flags.usage_error("give --bytes or --seconds: when to stop");
  }
  if (o.record_bytes == 0 || o.record_bytes > 64 * 1024) {
    flags.usage_error("--record-bytes must be from 1 to 65536");
  }
  return o;
}

// The ProposerIo of a real process: acceptor connections and the generated WAL.
class LoadgenIo final : public proposer::ProposerIo {
 public:
  LoadgenIo(boost::asio::io_context& io, proposer::AcceptorLinks& links, loadgen::GeneratedWal& wal,
            std::optional<proposer::ProposerDriver>& driver,
            const std::vector<proposer::AcceptorAddress>& known)
      : io_(io), links_(links), wal_(wal), driver_(driver), known_(known) {}

  void send(NodeId acceptor, const consensus::Message& message) override {
    links_.send(acceptor, message);
  }
  void drop_connection(NodeId acceptor, const Error& why) override {
    std::fprintf(stderr, "sk-loadgen: dropping acceptor %llu: %s\n",
                 static_cast<unsigned long long>(acceptor.value()), why.to_string().c_str());
    links_.drop(acceptor, why);
  }
  std::vector<std::uint8_t> read_wal(Lsn from, std::size_t max_bytes) override {
    std::vector<std::uint8_t> bytes = wal_.take(from, max_bytes, Clock::now());
    // The next records are generated once this append has been sent, while the safekeepers
    // write it, rather than after its commit comes back.
    if (!ahead_posted_) {
      ahead_posted_ = true;
      boost::asio::post(io_, [this] {
        ahead_posted_ = false;
        wal_.generate_ahead();
      });
    }
    return bytes;
  }
  void on_elected(consensus::Term term, Lsn term_start_lsn) override {
    std::fprintf(stderr, "sk-loadgen: elected in term %llu, appending from %s\n",
                 static_cast<unsigned long long>(term.value()), term_start_lsn.to_string().c_str());
    term_ = term;
    if (began_) {
      return;  // After a restart: the driver proposes again what the new term lacks.
    }
    began_ = true;
    if (Status s = wal_.begin(term_start_lsn); !s) {
      failure_ = "cannot generate WAL at the term start: " + s.error().to_string();
    }
  }
  void on_commit(Lsn commit_lsn) override {
    if (commit_lsn < last_commit_) {
      failure_ = "commit LSN went backwards: " + last_commit_.to_string() + " -> " +
                 commit_lsn.to_string();
    }
    last_commit_ = commit_lsn;
    wal_.committed(commit_lsn, Clock::now());
  }
  void on_fenced(consensus::Term term) override {
    std::fprintf(stderr, "sk-loadgen: fenced: an acceptor is in term %llu, above ours\n",
                 static_cast<unsigned long long>(term.value()));
    fenced_ = true;
  }
  void on_superseded(const consensus::Configuration& newer) override {
    std::fprintf(stderr,
                 "sk-loadgen: the safekeepers moved to configuration %s; going on under it\n",
                 newer.describe().c_str());
    boost::asio::post(io_, [this, newer] {
      std::vector<NodeId> unreachable;
      links_.restart(proposer::configured_acceptors(newer, known_, unreachable));
      for (NodeId id : unreachable) {
        std::fprintf(stderr, "sk-loadgen: no address for safekeeper %llu: it counts as down\n",
                     static_cast<unsigned long long>(id.value()));
      }
      driver_->restart(newer);
    });
  }

  consensus::Term term() const { return term_; }
  bool fenced() const { return fenced_; }
  const std::optional<std::string>& failure() const { return failure_; }

 private:
  boost::asio::io_context& io_;
  proposer::AcceptorLinks& links_;
  loadgen::GeneratedWal& wal_;
  std::optional<proposer::ProposerDriver>& driver_;
  const std::vector<proposer::AcceptorAddress>& known_;
  bool ahead_posted_ = false;
  bool began_ = false;
  consensus::Term term_;
  Lsn last_commit_;
  bool fenced_ = false;
  std::optional<std::string> failure_;
};

// Every acceptor of the configuration streams and acknowledged the proposer's end, and a heartbeat
// interval has passed since, so the final commit LSN has reached them too.
bool all_caught_up(const proposer::ProposerDriver& driver, std::optional<Clock::time_point>& since,
                   Clock::time_point now) {
  const consensus::Proposer& p = driver.proposer();
  for (NodeId acceptor : p.configuration().acceptors()) {
    const auto flushed = p.streaming_flush_lsn(acceptor);
    if (!flushed || *flushed < p.end_lsn() || p.commit_lsn() < p.end_lsn()) {
      since.reset();
      return false;
    }
  }
  if (!since) {
    since = now;
  }
  return now - *since >= std::chrono::milliseconds(300);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);

  loadgen::GeneratedWal wal({.record_bytes = options.record_bytes,
                             .rate_bytes_per_second = options.rate_mb_per_s * 1e6,
                             .max_outstanding = options.outstanding,
                             .total_bytes = options.total_bytes,
                             .seg_size_bytes = 16 * 1024 * 1024});
  consensus::ProposerConfig config;
  config.proposer_id = NodeId(options.proposer_id);
  config.identity = {.tenant_id = options.tenant,
                     .timeline_id = options.timeline,
                     .system_id = options.system_id,
                     .pg_version = 150000,
                     .wal_seg_size_bytes = 16 * 1024 * 1024,
                     .timeline_start_lsn = options.start_lsn};
  if (!options.http.empty()) {
    std::vector<std::string> errors;
    proposer::create_timeline(options.http, config.identity, options.token, errors);
    for (const std::string& error : errors) {
      std::fprintf(stderr, "sk-loadgen: create timeline: %s\n", error.c_str());
    }
    if (!errors.empty()) {  // That safekeeper may be down; a majority is enough to go on.
      std::fprintf(stderr, "sk-loadgen: the timeline could not be created everywhere; going on\n");
    }
  }
  config.configuration = proposer::plain_configuration(options.safekeepers);
  proposer::use_network_timing(config);
  config.jitter_seed = options.proposer_id ^ static_cast<std::uint64_t>(::getpid());

  boost::asio::io_context io;
  std::optional<proposer::ProposerDriver> driver;
  proposer::AcceptorLinks links(
      io, {options.tenant, options.timeline}, options.safekeepers,
      {.on_connected = [&](NodeId id) { driver->on_connected(id); },
       .on_message = [&](NodeId id, const consensus::Message& m) { driver->on_message(id, m); },
       .on_disconnected = [&](NodeId id, const Error&) { driver->on_disconnected(id); }},
      std::chrono::milliseconds(100), {options.token, options.proposer_tls});
  LoadgenIo proposer_io(io, links, wal, driver, options.safekeepers);
  driver.emplace(config, proposer_io);

  const auto started = Clock::now();
  std::optional<Clock::time_point> wait_all_since;
  int exit_code = 0;
  std::string outcome = "done";
  boost::asio::steady_timer timer(io);
  std::function<void()> on_tick = [&] {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - started).count();
    if (options.seconds > 0 && elapsed >= options.seconds) {
      wal.finish();  // Time is up: what was handed over is committed, and nothing more.
    }
    wal.refill(now);
    driver->tick();
    if (proposer_io.failure()) {
      outcome = *proposer_io.failure();
      exit_code = 1;
    } else if (proposer_io.fenced()) {
      outcome = "fenced";
      exit_code = 3;
    } else if (wal.done() && (!options.wait_all || all_caught_up(*driver, wait_all_since, now))) {
      outcome = "done";
    } else if (elapsed >= options.timeout_seconds) {
      outcome = "timed out";
      exit_code = 1;
    } else {
      timer.expires_at(timer.expiry() + kTick);
      timer.async_wait([&](boost::system::error_code ec) {
        if (!ec) {
          on_tick();
        }
      });
      return;
    }
    links.close_all();
    io.stop();
  };
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) {
      outcome = "interrupted";
      exit_code = 1;
      links.close_all();
      io.stop();
    }
  });
  driver->start();
  timer.expires_after(kTick);
  timer.async_wait([&](boost::system::error_code ec) {
    if (!ec) {
      on_tick();
    }
  });
  io.run();

  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const std::uint64_t bytes = wal.committed_lsn().bytes_since(wal.start_lsn());
  const auto& latencies = wal.latencies_us();
  std::printf(
      "{\"outcome\":\"%s\",\"term\":%llu,\"start_lsn\":\"%s\",\"committed_lsn\":\"%s\","
      "\"bytes_committed\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.2f,"
      "\"commit_latency_us\":{\"p50\":%u,\"p99\":%u,\"count\":%zu},\"digest\":\"%s\","
      "\"fenced\":%s}\n",
      outcome.c_str(), static_cast<unsigned long long>(proposer_io.term().value()),
      wal.start_lsn().to_string().c_str(), wal.committed_lsn().to_string().c_str(),
      static_cast<unsigned long long>(bytes), seconds,
      seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0.0,
      metrics::percentile(latencies, 0.5), metrics::percentile(latencies, 0.99), latencies.size(),
      wal.committed_digest().hex().c_str(), proposer_io.fenced() ? "true" : "false");
  if (exit_code == 1) {
    std::fprintf(stderr, "sk-loadgen: %s\n", outcome.c_str());
  }
  return exit_code;
}
