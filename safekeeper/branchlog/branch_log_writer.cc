// BranchLogWriter; see branch_log_writer.h.
#include "safekeeper/branchlog/branch_log_writer.h"

#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/log/log.h"
#include "safekeeper/proposer/cluster_setup.h"
#include "safekeeper/proposer/network_timing.h"
#include "safekeeper/proposer/proposer_driver.h"

namespace sk::safekeeper {

namespace asio = boost::asio;
using consensus::Lsn;
using consensus::NodeId;
using Clock = BranchLogWriter::Clock;

namespace {
// How long a committed record waits for every streaming acceptor to report knowing the commit
// before it is reported anyway (a majority holds it; a slow node catches up on its own).
constexpr auto kKnownByAllGrace = std::chrono::seconds(1);
}  // namespace

struct BranchLogWriter::Impl final : proposer::ProposerIo, std::enable_shared_from_this<Impl> {
  struct Pending {
    std::vector<std::uint8_t> record;
    Clock::time_point deadline;
    Done done;
    std::optional<Lsn> end;  // Set once handed to the proposer in the current term.
    std::optional<Clock::time_point> committed_at;
  };

  Impl(asio::io_context& io_context, BranchLogWriterOptions writer_options)
      : io(io_context),
        options(std::move(writer_options)),
        tick_timer(io_context),
        restart_timer(io_context),
        jitter(std::random_device{}()),
        configuration(proposer::plain_configuration(options.peers)) {}

  asio::io_context& io;
  BranchLogWriterOptions options;
  asio::steady_timer tick_timer;
  asio::steady_timer restart_timer;
  std::mt19937_64 jitter;
  // One generation per term attempt: callbacks of an older one's connections are ignored.
  std::uint64_t generation = 0;
  std::unique_ptr<proposer::AcceptorLinks> links;
  std::unique_ptr<proposer::ProposerDriver> driver;
  std::deque<Pending> pending;  // Handed ones (with `end`) first, in log order.
  // The configuration of the next term attempt: the plain list of --peers until an acceptor
  // shows a newer one (a membership change), which every later attempt uses.
  consensus::Configuration configuration;
  bool restart_scheduled = false;
  bool ticking = false;
  bool stopped = false;

  consensus::ProposerConfig proposer_config() {
    consensus::ProposerConfig config;
    config.proposer_id = options.self;
    config.identity = branch_log_identity();
    config.configuration = configuration;
    proposer::use_network_timing(config);
    config.announce_commit = true;
    config.max_uncommitted_bytes = 4 * 1024 * 1024;
    config.jitter_seed = jitter();
    return config;
  }

  // A new term attempt: fresh connections and a fresh proposer, which campaigns above every
  // term it hears of.
  void begin_term() {
    restart_scheduled = false;
    if (stopped) {
      return;
    }
    if (links) {
      links->close_all();
    }
    const std::uint64_t gen = ++generation;
    std::weak_ptr<Impl> weak = shared_from_this();
    auto current = [weak, gen]() -> std::shared_ptr<Impl> {
      auto self = weak.lock();
      return self && self->generation == gen && self->driver ? self : nullptr;
    };
    driver.reset();
    std::vector<consensus::NodeId> unreachable;
    std::vector<proposer::AcceptorAddress> acceptors =
        proposer::configured_acceptors(configuration, options.peers, unreachable);
    for (consensus::NodeId id : unreachable) {
      log_warn("branch log: no address for safekeeper " + std::to_string(id.value()) +
               " of configuration " + configuration.describe() + ": it counts as down");
    }
    links = std::make_unique<proposer::AcceptorLinks>(
        io, proto::TimelineKey{branch_log_key().tenant_id, branch_log_key().timeline_id},
        std::move(acceptors),
        proposer::AcceptorLinkHandlers{
            .on_connected =
                [current](NodeId id) {
                  if (auto self = current()) {
                    self->driver->on_connected(id);
                    self->settle();
                  }
                },
            .on_message =
                [current](NodeId id, const consensus::Message& message) {
                  if (auto self = current()) {
                    if (std::holds_alternative<consensus::AcceptorGreeting>(message) &&
                        self->options.on_acceptor_greeting) {
                      self->options.on_acceptor_greeting(id);
                    }
                    self->driver->on_message(id, message);
                    self->settle();
                  }
                },
            .on_disconnected =
                [current](NodeId id, const Error& why) {
                  if (auto self = current()) {
                    if (self->options.on_connection_error) {
                      self->options.on_connection_error(id, why);
                    }
                    self->driver->on_disconnected(id);
                    self->settle();
                  }
                }},
        std::chrono::milliseconds(100), options.credentials);
    for (Pending& p : pending) {
      p.end.reset();  // Not committed in the old term as far as we know: proposed again.
      p.committed_at.reset();
    }
    driver = std::make_unique<proposer::ProposerDriver>(proposer_config(), *this);
    driver->start();
    schedule_tick();
  }

  void schedule_tick() {
    if (ticking || stopped) {
      return;
    }
    ticking = true;
    tick_timer.expires_after(options.tick);
    tick_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) {
        return;
      }
      self->ticking = false;
      if (self->stopped) {
        return;
      }
      if (self->driver) {
        self->driver->tick();
      }
      self->settle();
      self->expire(Clock::now());
      self->schedule_tick();
    });
  }

  bool fenced() const {
    return driver && (driver->proposer().phase() == consensus::ProposerPhase::kFenced ||
                      driver->proposer().phase() == consensus::ProposerPhase::kGaveUp);
  }

  bool streaming(consensus::NodeId acceptor) const {
    return driver && driver->proposer().streaming_flush_lsn(acceptor).has_value();
  }

  std::size_t streaming_acceptors() const {
    std::size_t count = 0;
    for (consensus::NodeId acceptor : configuration.acceptors()) {
      count += streaming(acceptor) ? 1 : 0;
    }
    return count;
  }

  // Reports the committed records at the front that every streaming acceptor knows committed.
  void settle() {
    if (!driver) {
      return;
    }
    const consensus::Proposer& proposer = driver->proposer();
    const Clock::time_point now = Clock::now();
    while (!pending.empty() && pending.front().end &&
           *pending.front().end <= proposer.commit_lsn()) {
      Pending& front = pending.front();
      if (!front.committed_at) {
        front.committed_at = now;
      }
      // Every acceptor, streaming or still being brought up to date in this term; one that is
      // down costs the grace.
      bool known_by_all = true;
      for (consensus::NodeId acceptor : configuration.acceptors()) {
        const std::optional<Lsn> known = proposer.streaming_commit_lsn(acceptor);
        known_by_all = known_by_all && known && *known >= *front.end;
      }
      if (!known_by_all && now - *front.committed_at < kKnownByAllGrace) {
        return;
      }
      const Lsn end = *front.end;
      finish(std::move(front), end);
      pending.pop_front();
    }
  }

  void expire(Clock::time_point now) {
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->deadline > now) {
        ++it;
        continue;
      }
      const bool sent = it->end.has_value();
      finish(std::move(*it),
             sent ? Error(ErrorCode::kUnavailable,
                          "the change was sent but not committed in time (outcome unknown: it "
                          "may still be applied; repeat the request to find out)")
                  : Error(ErrorCode::kUnavailable,
                          "no quorum for the branch log: " + std::to_string(streaming_acceptors()) +
                              " of the safekeepers of configuration " + configuration.describe() +
                              " reachable, not a majority; nothing was changed"));
      it = pending.erase(it);
    }
  }

  void finish(Pending p, Result<Lsn> result) {
    asio::post(io, [done = std::move(p.done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }

  // A fenced writer with work campaigns again after a back-off; an idle one waits for work.
  void restart_after_fence() {
    if (restart_scheduled || stopped || pending.empty()) {
      return;
    }
    restart_scheduled = true;
    const auto backoff =
        options.fenced_backoff +
        std::chrono::milliseconds(jitter() %
                                  static_cast<std::uint64_t>(options.fenced_backoff.count() + 1));
    restart_timer.expires_after(backoff);
    restart_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) {
        self->begin_term();
      }
    });
  }

  // ProposerIo.
  void send(NodeId acceptor, const consensus::Message& message) override {
    links->send(acceptor, message);
  }
  void drop_connection(NodeId acceptor, const Error& why) override {
    log_warn("branch log: safekeeper " + std::to_string(acceptor.value()) +
             " broke the protocol: " + why.to_string());
    links->drop(acceptor, why);
  }
  std::vector<std::uint8_t> read_wal(Lsn from, std::size_t max_bytes) override {
    std::vector<std::uint8_t> out;
    if (!configuration.is_quorum([this](consensus::NodeId id) { return streaming(id); })) {
      return out;  // See the header: nothing leaves without a live majority.
    }
    for (Pending& p : pending) {
      if (p.end) {
        continue;
      }
      if (!out.empty() && out.size() + p.record.size() > max_bytes) {
        break;
      }
      out.insert(out.end(), p.record.begin(), p.record.end());
      p.end = from.plus_bytes(out.size());
    }
    return out;
  }
  void on_elected(consensus::Term term, Lsn term_start_lsn) override {
    log_info("branch log: this node's writer was elected in term " + std::to_string(term.value()) +
             "; the log continues at " + term_start_lsn.to_string());
  }
  void on_commit(Lsn) override {}
  void on_superseded(const consensus::Configuration& newer) override {
    log_info("branch log: the safekeepers moved to configuration " + newer.describe() +
             "; this node's writer goes on under it");
    configuration = newer;
    // Not from within the driver's own call: a new term attempt of the newer configuration.
    asio::post(io, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->begin_term();
      }
    });
  }
  void on_fenced(consensus::Term term) override {
    log_info("branch log: this node's writer (term " + std::to_string(term.value()) +
             ") was fenced by another node's newer term");
    // Not from within the driver's own call: replace it later.
    asio::post(io, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->restart_after_fence();
      }
    });
  }
};

BranchLogWriter::BranchLogWriter(asio::io_context& io, BranchLogWriterOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

BranchLogWriter::~BranchLogWriter() {
  stop();
}

void BranchLogWriter::start() {
  if (!impl_->driver) {
    impl_->begin_term();
  }
}

void BranchLogWriter::propose(std::vector<std::uint8_t> record, Clock::time_point deadline,
                              Done done) {
  Impl& impl = *impl_;
  if (impl.stopped) {
    asio::post(impl.io, [done = std::move(done)] {
      done(Error(ErrorCode::kUnavailable, "the safekeeper is stopping"));
    });
    return;
  }
  impl.pending.push_back(
      {std::move(record), deadline, std::move(done), std::nullopt, std::nullopt});
  if (!impl.driver) {
    impl.begin_term();
  } else if (impl.fenced()) {
    impl.restart_after_fence();
  }
  asio::post(impl.io, [weak = impl_->weak_from_this()] {
    auto self = weak.lock();
    if (self && self->driver && !self->stopped) {
      self->driver->on_wal_available();
      self->settle();
    }
  });
}

void BranchLogWriter::stop() {
  Impl& impl = *impl_;
  if (impl.stopped) {
    return;
  }
  impl.stopped = true;
  impl.tick_timer.cancel();
  impl.restart_timer.cancel();
  for (Impl::Pending& p : impl.pending) {
    impl.finish(std::move(p), Error(ErrorCode::kUnavailable,
                                    "the safekeeper is stopping (outcome unknown if it was sent)"));
  }
  impl.pending.clear();
  if (impl.links) {
    impl.links->close_all();
  }
}

BranchLogWriter::Status BranchLogWriter::status() const {
  const Impl& impl = *impl_;
  Status status;
  status.pending = impl.pending.size();
  if (!impl.driver) {
    status.phase = "idle";
    return status;
  }
  const consensus::Proposer& proposer = impl.driver->proposer();
  status.phase = std::string(consensus::proposer_phase_name(proposer.phase()));
  status.term = proposer.term().value();
  status.commit_lsn = proposer.commit_lsn();
  status.streaming_acceptors = impl.streaming_acceptors();
  return status;
}

}  // namespace sk::safekeeper
