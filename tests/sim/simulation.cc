// The simulator's event loop: pick an event with the seeded PRNG, carry it out on the nodes
// (Cluster: the Acceptor/Proposer state machines over SimDisks; NodeCluster: Timeline and
// ProposerDriver over the in-memory stores), put what they send on a faulty network, then run
// the safety checks. The real nodes' extra events (group commit, storage faults) draw from the
// PRNG only in that mode, so a seed of the state-machine mode replays as it always did.
#include "tests/sim/simulation.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <type_traits>

#include "consensus/prng.h"
#include "tests/sim/cluster.h"
#include "tests/sim/node_cluster.h"

namespace sk::sim {
namespace {

using namespace sk::consensus;

constexpr std::uint64_t kFirstProposerId = 101;
constexpr std::size_t kMaxLiveProposers = 3;

// Fault intensities, drawn once per seed so that seeds cover calm and hostile runs alike.
struct FaultProfile {
  std::uint64_t loss_per_mille;
  std::uint64_t duplicate_per_mille;
  std::uint64_t max_delay_ticks;
  std::uint64_t crash_mid_ready_per_mille;
};

struct InFlight {
  std::uint64_t deliver_at;
  Envelope envelope;
};

template <typename Nodes>
class Simulation {
  static constexpr bool kRealNodes = std::is_same_v<Nodes, NodeCluster>;

 public:
  explicit Simulation(const SimOptions& options)
      : options_(options),
        rng_(options.seed * 0x2545f4914f6cdd1dULL + 17),
        cluster_(options.acceptors, options.mutation) {
    static constexpr std::uint64_t kLoss[] = {0, 10, 50, 100};
    static constexpr std::uint64_t kDuplicate[] = {0, 20, 50};
    faults_ = FaultProfile{kLoss[rng_.below(4)], kDuplicate[rng_.below(3)], 1 + rng_.below(5),
                           rng_.below(3) * 10};
    cluster_.set_trace_sink([this](const std::string& line) { trace(line); });
  }

  SimResult run() {
    trace("seed " + std::to_string(options_.seed) + " acceptors " +
          std::to_string(options_.acceptors) + " loss " + std::to_string(faults_.loss_per_mille) +
          "/1000 dup " + std::to_string(faults_.duplicate_per_mille) +
          "/1000 delay<=" + std::to_string(faults_.max_delay_ticks) + " crash-in-ready " +
          std::to_string(faults_.crash_mid_ready_per_mille) + "/1000");
    start_proposer();
    for (step_ = 1; step_ <= options_.steps && !failed(); ++step_) {
      chaotic_event();
      cluster_.check();
      if (step_ == options_.steps / 2 && !failed()) {
        quiet_period();
      }
    }
    if (!failed()) {
      quiet_period();
    }
    if (!failed()) {
      cluster_.check_log_matching();
    }
    result_.violation = cluster_.violation();
    if (!result_.violation && liveness_violation_) {
      result_.violation = liveness_violation_;
    }
    result_.stats.elections = cluster_.elections();
    result_.stats.fenced = cluster_.fenced();
    result_.stats.acceptor_crashes = cluster_.acceptor_crashes();
    if constexpr (kRealNodes) {
      result_.stats.timeline_stops = cluster_.timeline_stops();
      result_.stats.batches = cluster_.batches();
    }
    result_.stats.committed_bytes = cluster_.checker().committed_end_lsn().bytes_since(
        sim_timeline_identity().timeline_start_lsn);
    result_.trace_tail.assign(trace_tail_.begin(), trace_tail_.end());
    return result_;
  }

 private:
  bool failed() {
    if ((cluster_.violation() || liveness_violation_) && result_.step == 0) {
      result_.step = step_;
    }
    return cluster_.violation() || liveness_violation_;
  }

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
      if (cluster_.proposer_count() < kMaxLiveProposers) {
        start_proposer();
      }
    } else if (roll < 945) {
      partition();
    } else if (roll < 955) {
      heal();
    } else if (kRealNodes && roll < 960) {
      inject_fault();
    } else {
      deliver_one();
    }
  }

  void inject_fault() {
    if constexpr (kRealNodes) {
      std::vector<std::size_t> live = acceptors_where(true);
      if (!live.empty()) {
        const std::size_t index = live[rng_.below(live.size())];
        cluster_.inject_fault(index, static_cast<StorageFault>(rng_.below(kStorageFaultKinds)));
      }
    }
  }

  void deliver_one() {
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < network_.size(); ++i) {
      if (network_[i].deliver_at <= now_) {
        due.push_back(i);
      }
    }
    if (due.empty()) {
      tick_all();
      return;
    }
    const std::size_t index = due[rng_.below(due.size())];
    if constexpr (kRealNodes) {
      if (rng_.chance(1, 4) && deliver_batch(index)) {
        return;
      }
    }
    InFlight message = std::move(network_[index]);
    network_.erase(network_.begin() + static_cast<std::ptrdiff_t>(index));
    deliver(message.envelope);
  }

  // Group commit: the message at `index` and up to three more due to the same acceptor, one
  // commit_batch for all. False when the message is not for an acceptor.
  bool deliver_batch(std::size_t index) {
    const NodeId to = network_[index].envelope.to;
    const std::vector<NodeId> acceptors = cluster_.acceptor_ids();
    if (std::find(acceptors.begin(), acceptors.end(), to) == acceptors.end()) {
      return false;
    }
    std::vector<std::size_t> picked{index};
    for (std::size_t i = 0; i < network_.size() && picked.size() < 4; ++i) {
      if (i != index && network_[i].deliver_at <= now_ && network_[i].envelope.to == to) {
        picked.push_back(i);
      }
    }
    std::vector<Envelope> batch;
    for (std::size_t i : picked) {
      if (group(network_[i].envelope.from) == group(to)) {  // Else partitioned while in flight.
        batch.push_back(std::move(network_[i].envelope));
      }
    }
    std::sort(picked.rbegin(), picked.rend());
    for (std::size_t i : picked) {
      network_.erase(network_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (batch.empty()) {
      return true;
    }
    result_.stats.messages_delivered += batch.size();
    std::optional<std::size_t> crash_after_submits;
    if (rng_.below(1000) < faults_.crash_mid_ready_per_mille) {
      crash_after_submits = rng_.below(batch.size() + 1);
    }
    send_all(cluster_.deliver_batch(batch, crash_after_submits));
    return true;
  }

  ReadyStage crash_stage() {
    if (rng_.below(1000) < faults_.crash_mid_ready_per_mille) {
      return static_cast<ReadyStage>(rng_.below(3));
    }
    return ReadyStage::kAll;
  }

  void deliver(const Envelope& envelope) {
    if (group(envelope.from) != group(envelope.to)) {
      return;  // Partitioned while in flight.
    }
    ++result_.stats.messages_delivered;
    const ReadyStage stage = crash_stage();
    send_all(cluster_.deliver(envelope, stage));
  }

  void tick_all() {
    ++now_;
    for (std::size_t i = 0; i < cluster_.proposer_count(); ++i) {
      send_all(cluster_.tick(i));
    }
  }

  // Any proposer that believes it is elected may be fed WAL: after a partition two of them may
  // (the stale one until it is fenced), which is the case fencing exists for.
  void propose_some() {
    std::vector<std::size_t> elected;
    for (std::size_t i = 0; i < cluster_.proposer_count(); ++i) {
      if (cluster_.proposer(i).phase() == ProposerPhase::kElected) {
        elected.push_back(i);
      }
    }
    if (!elected.empty()) {
      const std::size_t chosen = elected[rng_.below(elected.size())];
      send_all(cluster_.propose(chosen, 1 + rng_.below(rng_.chance(1, 10) ? 3000 : 64)));
    }
  }

  std::vector<std::size_t> acceptors_where(bool live) const {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < cluster_.acceptor_count(); ++i) {
      if (cluster_.acceptor_is_live(i) == live) {
        found.push_back(i);
      }
    }
    return found;
  }

  void crash_acceptor() {
    std::vector<std::size_t> live = acceptors_where(true);
    if (!live.empty()) {
      send_all(cluster_.crash_acceptor(live[rng_.below(live.size())]));
    }
  }

  void restart_acceptor() {
    std::vector<std::size_t> down = acceptors_where(false);
    if (!down.empty()) {
      cluster_.restart_acceptor(down[rng_.below(down.size())]);
    }
  }

  void crash_proposer() {
    if (cluster_.proposer_count() > 0) {
      cluster_.remove_proposer(rng_.below(cluster_.proposer_count()));
    }
  }

  void start_proposer() {
    ProposerConfig config;
    config.proposer_id = NodeId(kFirstProposerId + result_.stats.proposers_started);
    config.jitter_seed = rng_.next();
    config.max_append_bytes = 1024;
    config.max_inflight_bytes = 4096;
    if constexpr (kRealNodes) {
      // Small enough that the driver's back-pressure holds records (up to 3,000 bytes) back.
      config.max_uncommitted_bytes = 8192;
    }
    ++result_.stats.proposers_started;
    send_all(cluster_.start_proposer(config));
  }

  void partition() {
    groups_.clear();
    // Half the time one acceptor is cut off (the lagging minority that divergent logs come
    // from); otherwise a random split.
    const std::vector<NodeId> acceptors = cluster_.acceptor_ids();
    const bool isolate_one = rng_.chance(1, 2);
    const std::size_t isolated = rng_.below(acceptors.size());
    for (std::size_t i = 0; i < acceptors.size(); ++i) {
      groups_[acceptors[i]] =
          isolate_one ? (i == isolated ? 1 : 0) : static_cast<int>(rng_.below(2));
    }
    for (std::size_t i = 0; i < cluster_.proposer_count(); ++i) {
      groups_[cluster_.proposer(i).id()] = static_cast<int>(rng_.below(2));
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
    if constexpr (kRealNodes) {
      cluster_.clear_faults();
    }
    for (std::size_t i : acceptors_where(false)) {
      cluster_.restart_acceptor(i);
    }
    while (cluster_.proposer_count() > 0) {
      cluster_.remove_proposer(0);
    }
    start_proposer();
    std::optional<Lsn> target;
    int restarts = 0;
    for (std::uint32_t ticks = 0; ticks < options_.liveness_bound_ticks; ++ticks) {
      while (!failed()) {
        auto due = std::find_if(network_.begin(), network_.end(),
                                [&](const InFlight& m) { return m.deliver_at <= now_; });
        if (due == network_.end()) {
          break;
        }
        Envelope envelope = std::move(due->envelope);
        network_.erase(due);
        deliver(envelope);
        cluster_.check();
      }
      if (failed()) {
        return;
      }
      const Proposer& proposer = cluster_.proposer(0);
      if (proposer.phase() == ProposerPhase::kFenced && restarts < 3) {
        // A walproposer that finds itself fenced exits and is restarted.
        ++restarts;
        cluster_.remove_proposer(0);
        start_proposer();
        target.reset();
        continue;
      }
      if (proposer.phase() == ProposerPhase::kElected && !target) {
        send_all(cluster_.propose(0, 100));
        if constexpr (kRealNodes) {
          target = cluster_.proposal_end_lsn(0);
        } else {
          target = cluster_.proposer(0).end_lsn();
        }
      }
      if (target && cluster_.proposer(0).commit_lsn() >= *target) {
        trace("quiet period: committed " + target->to_string() + " after " + std::to_string(ticks) +
              " ticks");
        faults_ = saved;
        return;
      }
      tick_all();
      cluster_.check();
    }
    const Proposer& p = cluster_.proposer(0);
    liveness_violation_ =
        Violation{"liveness", "a lone proposer on a healed network did not commit within " +
                                  std::to_string(options_.liveness_bound_ticks) + " ticks: phase " +
                                  std::string(proposer_phase_name(p.phase())) + ", term " +
                                  std::to_string(p.term().value()) + ", commit " +
                                  p.commit_lsn().to_string() + ", end " + p.end_lsn().to_string()};
    trace("VIOLATION liveness: " + liveness_violation_->detail);
  }

  void send_all(std::vector<Envelope> envelopes) {
    for (Envelope& envelope : envelopes) {
      if (group(envelope.from) != group(envelope.to) || rng_.below(1000) < faults_.loss_per_mille) {
        continue;
      }
      if (rng_.below(1000) < faults_.duplicate_per_mille) {
        network_.push_back(InFlight{now_ + rng_.below(faults_.max_delay_ticks + 1), envelope});
      }
      network_.push_back(
          InFlight{now_ + rng_.below(faults_.max_delay_ticks + 1), std::move(envelope)});
    }
  }

  void trace(const std::string& text) {
    std::string line = "[" + std::to_string(step_) + " t" + std::to_string(now_) + "] " + text;
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

  const SimOptions options_;
  Prng rng_;
  Nodes cluster_;
  FaultProfile faults_{};
  std::vector<InFlight> network_;
  std::map<NodeId, int> groups_;
  std::uint64_t now_ = 0;
  std::uint64_t step_ = 0;
  std::optional<Violation> liveness_violation_;
  std::deque<std::string> trace_tail_;
  SimResult result_;
};

}  // namespace

SimResult run_simulation(const SimOptions& options) {
  if (options.real_nodes) {
    return Simulation<NodeCluster>(options).run();
  }
  return Simulation<Cluster>(options).run();
}

}  // namespace sk::sim
