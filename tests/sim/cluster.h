// Cluster: the acceptors (each with its SimDisk), the live proposers and the SafetyChecker, with
// the events both the simulator and the explorer apply to them. It owns no network and no
// randomness: the simulator puts the returned envelopes on its lossy network, the explorer into
// its set of in-flight messages. Copyable, so the explorer can branch a state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "consensus/acceptor.h"
#include "consensus/proposer.h"
#include "tests/sim/safety_checker.h"
#include "tests/sim/sim_disk.h"

namespace sk::sim {

struct Envelope {
  consensus::NodeId from;
  consensus::NodeId to;
  consensus::Message message;
};

// "101->2 AppendRequest t3 [0/1000000,0/1000040) c0/1000000", for traces.
std::string describe(const Envelope& envelope);

// The timeline every simulated cluster replicates.
consensus::TimelineIdentity sim_timeline_identity();

class Cluster {
 public:
  using TraceSink = std::function<void(const std::string&)>;

  Cluster(std::size_t acceptor_count, consensus::Mutation mutation);

  // Delivers one message. For an acceptor, `stage` below kAll crashes it part-way through
  // applying the resulting Ready (nothing is sent then).
  std::vector<Envelope> deliver(const Envelope& envelope, ReadyStage stage = ReadyStage::kAll);
  std::vector<Envelope> tick(std::size_t proposer_index);
  // The elected proposer at `proposer_index` appends `size_bytes` of its term's WAL.
  std::vector<Envelope> propose(std::size_t proposer_index, std::uint64_t size_bytes);
  // Power loss at an acceptor; live proposers see their connections to it drop.
  std::vector<Envelope> crash_acceptor(std::size_t index);
  void restart_acceptor(std::size_t index);
  std::vector<Envelope> start_proposer(consensus::ProposerConfig config);
  void remove_proposer(std::size_t index);
  // The proposer at `index` is replaced by a fresh incarnation with `config` (a walproposer
  // restarted by its supervisor); what the old one sent may still be in flight.
  std::vector<Envelope> restart_proposer(std::size_t index, consensus::ProposerConfig config);

  // Runs the durable-state checks; the first violation found sticks.
  void check();
  void check_log_matching();
  const std::optional<Violation>& violation() const { return violation_; }

  std::size_t acceptor_count() const { return acceptors_.size(); }
  bool acceptor_is_live(std::size_t index) const { return acceptors_[index].live.has_value(); }
  bool acceptor_has_unsynced_wal(std::size_t index) const {
    return acceptors_[index].disk.has_pending();
  }
  std::size_t proposer_count() const { return proposers_.size(); }
  const consensus::Proposer& proposer(std::size_t index) const {
    return proposers_[index].proposer;
  }
  std::vector<consensus::NodeId> acceptor_ids() const;
  // The live acceptor at `index` (nullptr while it is down).
  const consensus::Acceptor* live_acceptor(std::size_t index) const {
    return acceptors_[index].live ? &*acceptors_[index].live : nullptr;
  }
  // An operator's membership change at a live acceptor (Acceptor::set_configuration), made
  // durable at once; false if the acceptor refused it or is down.
  bool set_acceptor_configuration(std::size_t index, const consensus::Configuration& configuration);
  // The configurations the proposers started from now on may use, and the checker's rule for
  // what every quorum must hold (SafetyChecker::set_configurations). Until set: one, a majority of
  // every acceptor.
  void set_configurations(std::vector<consensus::Configuration> configurations) {
    checker_.set_configurations(std::move(configurations));
  }
  const SafetyChecker& checker() const { return checker_; }
  std::uint64_t elections() const { return elections_; }
  std::uint64_t fenced() const { return fenced_; }
  std::uint64_t acceptor_crashes() const { return acceptor_crashes_; }

  // Everything that decides the cluster's future, for the explorer's visited set: digest() in
  // one piece, or in parts that name no node, for the explorer's symmetry reduction. A digest
  // built from the parts covers the whole cluster when it mixes every acceptor (with the
  // sessions every proposer holds for it), every proposer and the checker.
  std::uint64_t digest() const;
  std::uint64_t acceptor_digest(std::size_t index) const;
  std::uint64_t proposer_digest(std::size_t index) const;
  std::uint64_t session_digest(std::size_t proposer_index, std::size_t acceptor_index) const;
  // `proposer_order` lists proposer indexes in the order the proposers are mixed.
  std::uint64_t checker_digest(std::span<const std::size_t> proposer_order) const;
  void set_trace_sink(TraceSink sink) { trace_ = std::move(sink); }

 private:
  struct SimAcceptor {
    consensus::NodeId id;
    SimDisk disk;
    std::optional<consensus::Acceptor> live;
    consensus::Lsn exposed_commit_lsn;
  };
  struct SimProposer {
    consensus::Proposer proposer;
    bool announced_elected = false;
    consensus::Lsn last_commit_lsn;
  };

  std::vector<Envelope> deliver_to_acceptor(SimAcceptor& acceptor, const Envelope& envelope,
                                            ReadyStage stage);
  std::vector<Envelope> outgoing(consensus::NodeId from, consensus::Ready ready) const;
  void observe(SimProposer& proposer);
  void fail(Violation violation);
  // Builds the line only when a sink listens: the explorer runs millions of events untraced.
  template <typename MakeLine>
  void trace(MakeLine&& make_line) const {
    if (trace_) {
      trace_(make_line());
    }
  }
  std::vector<DurableAcceptorView> durable_views() const;
  SimProposer* find_proposer(consensus::NodeId id);

  consensus::Mutation mutation_;
  std::vector<SimAcceptor> acceptors_;
  std::vector<SimProposer> proposers_;
  SafetyChecker checker_;
  std::optional<Violation> violation_;
  std::uint64_t elections_ = 0;
  std::uint64_t fenced_ = 0;
  std::uint64_t acceptor_crashes_ = 0;
  TraceSink trace_;
};

}  // namespace sk::sim
