// The simulator's event loop: pick an event with the seeded PRNG, carry it out through the real
// Acceptor/Proposer code and SimDisk, then run the SafetyChecker.
#include "tests/sim/simulation.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>

#include "consensus/acceptor.h"
#include "consensus/prng.h"
#include "consensus/proposer.h"
#include "tests/sim/payload.h"
#include "tests/sim/sim_disk.h"

namespace sk::sim {
namespace {

using namespace sk::consensus;

constexpr Lsn kTimelineStart{0x1000000};  // 0/1000000: the start of the second 16 MiB segment.
constexpr std::uint64_t kFirstProposerId = 101;

TimelineIdentity sim_identity() {
  TimelineIdentity identity;
  identity.tenant_id = TenantId::parse_hex("5e0000000000000000000000000000a1").value();
  identity.timeline_id = TimelineId::parse_hex("5e0000000000000000000000000000b2").value();
  identity.system_id = 7300000000000000001ULL;
  identity.pg_version = 150004;
  identity.wal_seg_size_bytes = 16 * 1024 * 1024;
  identity.timeline_start_lsn = kTimelineStart;
  return identity;
}

// Fault intensities, drawn once per seed so that seeds cover calm and hostile runs alike.
struct FaultProfile {
  std::uint64_t loss_per_mille;
  std::uint64_t duplicate_per_mille;
  std::uint64_t max_delay_ticks;
  std::uint64_t crash_mid_ready_per_mille;
};

struct InFlight {
  std::uint64_t deliver_at;
  NodeId from;
  NodeId to;
  Message message;
};

struct SimAcceptor {
  NodeId id;
  SimDisk disk;
  std::optional<Acceptor> live;
  Lsn exposed_commit_lsn;
};

struct SimProposer {
  std::unique_ptr<Proposer> proposer;
  bool announced_elected = false;
  Lsn last_commit_lsn;
};

std::string describe(const Message& message) {
  char text[160];
  if (const auto* m = std::get_if<AppendRequest>(&message)) {
    std::snprintf(text, sizeof(text), "AppendRequest t%llu [%s,%s) c%s",
                  static_cast<unsigned long long>(m->term.value()), m->begin_lsn.to_string().c_str(),
                  m->end_lsn.to_string().c_str(), m->commit_lsn.to_string().c_str());
  } else if (const auto* r = std::get_if<AppendResponse>(&message)) {
    std::snprintf(text, sizeof(text), "AppendResponse t%llu %s f%s c%s",
                  static_cast<unsigned long long>(r->term.value()),
                  std::string(append_status_name(r->status)).c_str(),
                  r->flush_lsn.to_string().c_str(), r->commit_lsn.to_string().c_str());
  } else if (const auto* v = std::get_if<VoteResponse>(&message)) {
    std::snprintf(text, sizeof(text), "VoteResponse t%llu %s f%s h%s",
                  static_cast<unsigned long long>(v->term.value()), v->vote_given ? "yes" : "no",
                  v->flush_lsn.to_string().c_str(), v->history.to_string().c_str());
  } else if (const auto* q = std::get_if<VoteRequest>(&message)) {
    std::snprintf(text, sizeof(text), "VoteRequest t%llu",
                  static_cast<unsigned long long>(q->term.value()));
  } else if (const auto* e = std::get_if<ProposerElected>(&message)) {
    std::snprintf(text, sizeof(text), "ProposerElected t%llu start %s h%s",
                  static_cast<unsigned long long>(e->term.value()),
                  e->start_streaming_at.to_string().c_str(), e->history.to_string().c_str());
  } else if (const auto* g = std::get_if<AcceptorGreeting>(&message)) {
    std::snprintf(text, sizeof(text), "AcceptorGreeting t%llu",
                  static_cast<unsigned long long>(g->term.value()));
  } else if (const auto* rr = std::get_if<ReadWalRequest>(&message)) {
    std::snprintf(text, sizeof(text), "ReadWalRequest t%llu [%s,%s)",
                  static_cast<unsigned long long>(rr->term.value()),
                  rr->begin_lsn.to_string().c_str(), rr->end_lsn.to_string().c_str());
  } else if (const auto* rw = std::get_if<ReadWalResponse>(&message)) {
    std::snprintf(text, sizeof(text), "ReadWalResponse t%llu [%s,%s)",
                  static_cast<unsigned long long>(rw->term.value()),
                  rw->begin_lsn.to_string().c_str(), rw->end_lsn.to_string().c_str());
  } else {
    return std::string(message_name(message));
  }
  return text;
}

class Simulation {
 public:
  explicit Simulation(const SimOptions& options)
      : options_(options),
        rng_(options.seed * 0x2545f4914f6cdd1dULL + 17),
        identity_(sim_identity()),
        checker_(options.acceptors, kTimelineStart) {
    for (std::size_t i = 0; i < options.acceptors; ++i) {
      NodeId id(i + 1);
      AcceptorState state = AcceptorState::for_new_timeline(identity_);
      acceptors_.push_back(SimAcceptor{id, SimDisk(state, kTimelineStart), std::nullopt, kTimelineStart});
      acceptors_.back().live.emplace(id, state, kTimelineStart, options.mutation);
      acceptor_ids_.push_back(id);
    }
    static constexpr std::uint64_t kLoss[] = {0, 10, 50, 100};
    static constexpr std::uint64_t kDuplicate[] = {0, 20, 50};
    faults_ = FaultProfile{kLoss[rng_.below(4)], kDuplicate[rng_.below(3)], 1 + rng_.below(5),
                           rng_.below(3) * 10};
  }

  SimResult run() {
    trace("seed " + std::to_string(options_.seed) + " acceptors " +
          std::to_string(options_.acceptors) + " loss " + std::to_string(faults_.loss_per_mille) +
          "/1000 dup " + std::to_string(faults_.duplicate_per_mille) + "/1000 delay<=" +
          std::to_string(faults_.max_delay_ticks));
    start_proposer();
    for (step_ = 1; step_ <= options_.steps && !result_.violation; ++step_) {
      chaotic_event();
      if (!result_.violation) {
        check();
      }
      if (step_ == options_.steps / 2 && !result_.violation) {
        quiet_period();
      }
    }
    if (!result_.violation) {
      quiet_period();
    }
    if (!result_.violation) {
      if (auto v = checker_.check_log_matching(durable_views())) {
        fail(*v);
      }
    }
    result_.stats.committed_bytes = checker_.committed_end_lsn().bytes_since(kTimelineStart);
    result_.trace_tail.assign(trace_tail_.begin(), trace_tail_.end());
    return result_;
  }

 private:
  // ---- events ----------------------------------------------------------------------------
  void chaotic_event() {
    ++result_.stats.events;
    const std::uint64_t roll = rng_.below(1000);
    if (roll < 550) {
      deliver_one();
    } else if (roll < 750) {
      tick_all();
    } else if (roll < 880) {
      propose_some();
    } else if (roll < 888) {
      crash_acceptor();
    } else if (roll < 913) {
      restart_acceptor();
    } else if (roll < 920) {
      crash_proposer();
    } else if (roll < 935) {
      if (proposers_.size() < 3) {
        start_proposer();
      }
    } else if (roll < 942) {
      partition();
    } else {
      heal();
    }
  }

  void deliver_one() {
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < network_.size(); ++i) {
      if (network_[i].deliver_at <= now_) {
        ready.push_back(i);
      }
    }
    if (ready.empty()) {
      tick_all();
      return;
    }
    const std::size_t index = ready[rng_.below(ready.size())];
    InFlight message = std::move(network_[index]);
    network_.erase(network_.begin() + static_cast<std::ptrdiff_t>(index));
    deliver(std::move(message));
  }

  void deliver(InFlight message) {
    if (group(message.from) != group(message.to)) {
      return;  // Partitioned while in flight.
    }
    ++result_.stats.messages_delivered;
    if (SimAcceptor* acceptor = find_acceptor(message.to)) {
      deliver_to_acceptor(*acceptor, message);
    } else if (SimProposer* proposer = find_proposer(message.to)) {
      trace(std::to_string(message.from.value()) + "->" + std::to_string(message.to.value()) +
            " " + describe(message.message));
      Result<Ready> ready = proposer->proposer->step(message.from, message.message);
      if (!ready) {
        trace("  proposer error: " + ready.error().to_string());
        return;
      }
      send_all(message.to, ready.value());
      observe(*proposer);
    }
  }

  void deliver_to_acceptor(SimAcceptor& acceptor, const InFlight& message) {
    if (!acceptor.live) {
      return;
    }
    trace(std::to_string(message.from.value()) + "->" + std::to_string(message.to.value()) + " " +
          describe(message.message));
    Result<Ready> ready = acceptor.live->step(message.from, message.message);
    if (!ready) {
      trace("  acceptor error, connection closed: " + ready.error().to_string());
      if (SimProposer* proposer = find_proposer(message.from)) {
        send_all(proposer->proposer->id(), proposer->proposer->disconnected(acceptor.id));
      }
      return;
    }
    if (rng_.below(1000) < faults_.crash_mid_ready_per_mille) {
      const auto stage = static_cast<ReadyStage>(rng_.below(3));
      acceptor.disk.apply(ready.value(), stage);
      trace("  crash of " + std::to_string(acceptor.id.value()) + " while applying (stage " +
            std::to_string(static_cast<int>(stage)) + ")");
      crash(acceptor);
      return;
    }
    acceptor.disk.apply(ready.value());
    for (Outbound& out : ready.value().messages) {
      if (out.attach_wal) {
        auto& response = std::get<ReadWalResponse>(out.message);
        response.wal = acceptor.disk.read(response.begin_lsn, response.end_lsn);
      }
      send(acceptor.id, std::move(out));
    }
    const Lsn commit = acceptor.live->commit_lsn();
    if (commit != acceptor.exposed_commit_lsn) {
      if (auto v = checker_.on_acceptor_commit(acceptor.id, acceptor.exposed_commit_lsn, commit,
                                               acceptor.live->history_up_to_flush())) {
        fail(*v);
      }
      acceptor.exposed_commit_lsn = commit;
    }
  }

  void tick_all() {
    ++now_;
    for (SimProposer& proposer : proposers_) {
      send_all(proposer.proposer->id(), proposer.proposer->tick());
      observe(proposer);
    }
  }

  void propose_some() {
    for (SimProposer& proposer : proposers_) {
      if (proposer.proposer->phase() != ProposerPhase::kElected) {
        continue;
      }
      propose(proposer, 1 + rng_.below(rng_.chance(1, 10) ? 3000 : 64));
      return;
    }
  }

  void propose(SimProposer& proposer, std::uint64_t size) {
    Proposer& p = *proposer.proposer;
    std::vector<std::uint8_t> records(size);
    for (std::uint64_t i = 0; i < size; ++i) {
      records[i] = wal_byte(p.term(), p.end_lsn().plus_bytes(i));
    }
    trace("propose " + std::to_string(p.id().value()) + " t" + std::to_string(p.term().value()) +
          " [" + p.end_lsn().to_string() + ", +" + std::to_string(size) + ")");
    Result<Ready> ready = p.propose(records);
    SK_CHECK(ready.has_value());
    send_all(p.id(), ready.value());
    observe(proposer);
  }

  void crash_acceptor() {
    std::vector<SimAcceptor*> live;
    for (SimAcceptor& acceptor : acceptors_) {
      if (acceptor.live) {
        live.push_back(&acceptor);
      }
    }
    if (!live.empty()) {
      SimAcceptor& victim = *live[rng_.below(live.size())];
      trace("crash acceptor " + std::to_string(victim.id.value()));
      crash(victim);
    }
  }

  void crash(SimAcceptor& acceptor) {
    ++result_.stats.acceptor_crashes;
    acceptor.live.reset();
    acceptor.disk.crash();
    for (SimProposer& proposer : proposers_) {
      send_all(proposer.proposer->id(), proposer.proposer->disconnected(acceptor.id));
    }
  }

  void restart_acceptor() {
    std::vector<SimAcceptor*> down;
    for (SimAcceptor& acceptor : acceptors_) {
      if (!acceptor.live) {
        down.push_back(&acceptor);
      }
    }
    if (!down.empty()) {
      restart(*down[rng_.below(down.size())]);
    }
  }

  void restart(SimAcceptor& acceptor) {
    trace("restart acceptor " + std::to_string(acceptor.id.value()) + " flush " +
          acceptor.disk.durable_end_lsn().to_string());
    // A durable commit LSN beyond the durable WAL would be refused by the real driver as
    // corruption; the checker reports it as a violation, so it cannot reach this point.
    acceptor.live.emplace(acceptor.id, acceptor.disk.durable_state(),
                          acceptor.disk.durable_end_lsn(), options_.mutation);
  }

  void crash_proposer() {
    if (proposers_.empty()) {
      return;
    }
    const std::size_t index = rng_.below(proposers_.size());
    trace("crash proposer " + std::to_string(proposers_[index].proposer->id().value()));
    proposers_.erase(proposers_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void start_proposer() {
    ProposerConfig config;
    config.proposer_id = NodeId(kFirstProposerId + result_.stats.proposers_started);
    config.identity = identity_;
    config.acceptors = acceptor_ids_;
    config.jitter_seed = rng_.next();
    config.max_append_bytes = 1024;
    config.max_inflight_bytes = 4096;
    config.mutation = options_.mutation;
    ++result_.stats.proposers_started;
    trace("start proposer " + std::to_string(config.proposer_id.value()));
    proposers_.push_back(SimProposer{std::make_unique<Proposer>(config), false, Lsn(0)});
    SimProposer& proposer = proposers_.back();
    send_all(proposer.proposer->id(), proposer.proposer->start());
  }

  void partition() {
    groups_.clear();
    for (NodeId id : acceptor_ids_) {
      groups_[id] = static_cast<int>(rng_.below(2));
    }
    for (SimProposer& proposer : proposers_) {
      groups_[proposer.proposer->id()] = static_cast<int>(rng_.below(2));
    }
    std::string text = "partition: group 1 =";
    for (const auto& [id, g] : groups_) {
      if (g == 1) {
        text += " " + std::to_string(id.value());
      }
    }
    trace(text);
  }

  void heal() {
    if (!groups_.empty()) {
      trace("heal");
      groups_.clear();
    }
  }

  // Everything heals and one fresh proposer runs alone; it must commit within the bound.
  void quiet_period() {
    trace("quiet period begins");
    const FaultProfile saved = faults_;
    faults_ = FaultProfile{0, 0, 2, 0};
    groups_.clear();
    for (SimAcceptor& acceptor : acceptors_) {
      if (!acceptor.live) {
        restart(acceptor);
      }
    }
    proposers_.clear();
    start_proposer();
    std::optional<Lsn> target;
    int restarts = 0;
    for (std::uint32_t ticks = 0; ticks < options_.liveness_bound_ticks; ++ticks) {
      while (!result_.violation) {
        auto it = std::find_if(network_.begin(), network_.end(),
                               [&](const InFlight& m) { return m.deliver_at <= now_; });
        if (it == network_.end()) {
          break;
        }
        InFlight message = std::move(*it);
        network_.erase(it);
        deliver(std::move(message));
        check();
      }
      if (result_.violation) {
        return;
      }
      SimProposer& proposer = proposers_.back();
      const ProposerPhase phase = proposer.proposer->phase();
      if (phase == ProposerPhase::kFenced && restarts < 3) {
        // A walproposer that finds itself fenced exits and is restarted.
        ++restarts;
        proposers_.clear();
        start_proposer();
        target.reset();
        continue;
      }
      if (phase == ProposerPhase::kElected && !target) {
        propose(proposer, 100);
        target = proposer.proposer->end_lsn();
      }
      if (target && proposer.proposer->commit_lsn() >= *target) {
        trace("quiet period: committed " + target->to_string() + " after " +
              std::to_string(ticks) + " ticks");
        faults_ = saved;
        return;
      }
      tick_all();
      check();
    }
    const Proposer& p = *proposers_.back().proposer;
    fail(Violation{"liveness", "a lone proposer on a healed network did not commit within " +
                                   std::to_string(options_.liveness_bound_ticks) +
                                   " ticks: phase " + std::string(proposer_phase_name(p.phase())) +
                                   ", term " + std::to_string(p.term().value()) + ", commit " +
                                   p.commit_lsn().to_string() + ", end " + p.end_lsn().to_string()});
  }

  // ---- plumbing ---------------------------------------------------------------------------
  void send_all(NodeId from, Ready ready) {
    for (Outbound& out : ready.messages) {
      send(from, std::move(out));
    }
  }

  void send(NodeId from, Outbound out) {
    if (group(from) != group(out.to) || rng_.below(1000) < faults_.loss_per_mille) {
      return;
    }
    const int copies = rng_.below(1000) < faults_.duplicate_per_mille ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      network_.push_back(
          InFlight{now_ + rng_.below(faults_.max_delay_ticks + 1), from, out.to, out.message});
    }
  }

  void observe(SimProposer& proposer) {
    const Proposer& p = *proposer.proposer;
    if (p.phase() == ProposerPhase::kElected && !proposer.announced_elected) {
      proposer.announced_elected = true;
      ++result_.stats.elections;
      trace("  " + std::to_string(p.id().value()) + " elected t" + std::to_string(p.term().value()) +
            " donor " + std::to_string(p.donor()->value()) + " start " +
            p.term_start_lsn().to_string() + " h" + p.history().to_string());
      if (auto v = checker_.on_elected(p.id(), p.term(), p.history(), p.term_start_lsn())) {
        fail(*v);
      }
    }
    if (p.phase() == ProposerPhase::kFenced && proposer.announced_elected) {
      proposer.announced_elected = false;  // Report once.
      ++result_.stats.fenced;
      trace("  " + std::to_string(p.id().value()) + " fenced");
    }
    if (p.commit_lsn() != proposer.last_commit_lsn) {
      trace("  " + std::to_string(p.id().value()) + " commit " + p.commit_lsn().to_string());
      if (auto v = checker_.on_commit(p.id(), p.term(), p.history(), proposer.last_commit_lsn,
                                      p.commit_lsn())) {
        fail(*v);
      }
      proposer.last_commit_lsn = p.commit_lsn();
    }
  }

  std::vector<DurableAcceptorView> durable_views() const {
    std::vector<DurableAcceptorView> views;
    for (const SimAcceptor& acceptor : acceptors_) {
      views.push_back(DurableAcceptorView{acceptor.id, &acceptor.disk.durable_state().history,
                                          acceptor.disk.durable_state().commit_lsn,
                                          acceptor.disk.wal_start_lsn(),
                                          &acceptor.disk.durable_wal()});
    }
    return views;
  }

  void check() {
    if (result_.violation) {
      return;
    }
    std::vector<Lsn> verify_from;
    for (const SimAcceptor& acceptor : acceptors_) {
      verify_from.push_back(acceptor.disk.verified_up_to);
    }
    if (auto v = checker_.check_acceptors(durable_views(), verify_from)) {
      fail(*v);
      return;
    }
    for (SimAcceptor& acceptor : acceptors_) {
      acceptor.disk.verified_up_to = acceptor.disk.durable_end_lsn();
    }
  }

  void fail(Violation violation) {
    if (result_.violation) {
      return;
    }
    trace("VIOLATION " + violation.property + ": " + violation.detail);
    result_.violation = std::move(violation);
    result_.step = step_;
  }

  void trace(std::string line) {
    line = "[" + std::to_string(step_) + " t" + std::to_string(now_) + "] " + line;
    if (options_.print_trace) {
      std::printf("%s\n", line.c_str());
    }
    trace_tail_.push_back(std::move(line));
    if (trace_tail_.size() > options_.trace_tail_lines) {
      trace_tail_.pop_front();
    }
  }

  int group(NodeId id) const {
    auto it = groups_.find(id);
    return it == groups_.end() ? 0 : it->second;
  }

  SimAcceptor* find_acceptor(NodeId id) {
    for (SimAcceptor& acceptor : acceptors_) {
      if (acceptor.id == id) {
        return &acceptor;
      }
    }
    return nullptr;
  }

  SimProposer* find_proposer(NodeId id) {
    for (SimProposer& proposer : proposers_) {
      if (proposer.proposer->id() == id) {
        return &proposer;
      }
    }
    return nullptr;
  }

  const SimOptions options_;
  Prng rng_;
  const TimelineIdentity identity_;
  SafetyChecker checker_;
  FaultProfile faults_{};
  std::vector<SimAcceptor> acceptors_;
  std::vector<NodeId> acceptor_ids_;
  std::vector<SimProposer> proposers_;
  std::vector<InFlight> network_;
  std::map<NodeId, int> groups_;
  std::uint64_t now_ = 0;
  std::uint64_t step_ = 0;
  std::deque<std::string> trace_tail_;
  SimResult result_;
};

}  // namespace

SimResult run_simulation(const SimOptions& options) { return Simulation(options).run(); }

}  // namespace sk::sim
