// NodeCluster: the simulated cluster built of the node's own code instead of the bare state
// machines. Each acceptor is a safekeeper::Timeline over its own MemoryControlStore and
// MemoryWalStore (a crash loses the unsynced WAL; the timeline is reopened with Timeline::open),
// each proposer a proposer::ProposerDriver whose ProposerIo is the simulated network, a WAL
// source of checkable bytes and the SafetyChecker's window on elections and commits. It offers
// the events of Cluster, so the simulator's event loop runs either, plus group commit (several
// deliveries, one commit_batch) and storage faults that stop a timeline until it is reopened.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "consensus/proposer.h"
#include "tests/sim/cluster.h"
#include "tests/sim/safety_checker.h"
#include "tests/sim/sim_disk.h"

namespace sk::sim {

enum class StorageFault : std::uint8_t {
  kAppendNoSpace,  // WAL appends fail with ENOSPC
  kAppendIoError,  // WAL appends fail with EIO
  kSyncIoError,    // the next fdatasync fails, and the WAL store refuses everything after it
  kSaveNoSpace,    // control-store commits fail with ENOSPC
  kSaveIoError,    // control-store commits fail with EIO
};
inline constexpr int kStorageFaultKinds = 5;

class NodeCluster {
 public:
  using TraceSink = std::function<void(const std::string&)>;

  NodeCluster(std::size_t acceptor_count, consensus::Mutation mutation);
  ~NodeCluster();
  NodeCluster(const NodeCluster&) = delete;
  NodeCluster& operator=(const NodeCluster&) = delete;

  // Delivers one message. For an acceptor, `stage` below kAll crashes it: kNothing before the
  // message is submitted, any other stage after the submit and before commit_batch().
  std::vector<Envelope> deliver(const Envelope& envelope, ReadyStage stage = ReadyStage::kAll);
  // Messages all addressed to one acceptor, submitted in order and made durable by one
  // commit_batch() (group commit). With `crash_after_submits`, the acceptor crashes once it
  // has submitted that many of them (at most all: then before commit_batch()).
  std::vector<Envelope> deliver_batch(std::span<const Envelope> envelopes,
                                      std::optional<std::size_t> crash_after_submits);
  std::vector<Envelope> tick(std::size_t proposer_index);
  // The primary behind the proposer at `proposer_index` writes one record of `size_bytes`; the
  // driver takes it when it has room.
  std::vector<Envelope> propose(std::size_t proposer_index, std::uint64_t size_bytes);
  // Where the proposer's log ends once it has taken every record written so far.
  consensus::Lsn proposal_end_lsn(std::size_t proposer_index) const;
  // Power loss at an acceptor; live proposers see their connections to it drop.
  std::vector<Envelope> crash_acceptor(std::size_t index);
  // Clears the acceptor's storage faults (the cause is fixed) and reopens its timeline from its
  // stores.
  void restart_acceptor(std::size_t index);
  // Arms a fault in the acceptor's stores; the timeline stops when it runs into it.
  void inject_fault(std::size_t index, StorageFault fault);
  void clear_faults();
  std::vector<Envelope> start_proposer(consensus::ProposerConfig config);
  void remove_proposer(std::size_t index);

  // Runs the durable-state checks; the first violation found sticks.
  void check();
  void check_log_matching();
  const std::optional<Violation>& violation() const { return violation_; }

  std::size_t acceptor_count() const { return nodes_.size(); }
  bool acceptor_is_live(std::size_t index) const;
  std::size_t proposer_count() const { return proposers_.size(); }
  const consensus::Proposer& proposer(std::size_t index) const;
  std::vector<consensus::NodeId> acceptor_ids() const;
  const SafetyChecker& checker() const { return checker_; }
  std::uint64_t elections() const { return elections_; }
  std::uint64_t fenced() const { return fenced_; }
  std::uint64_t acceptor_crashes() const { return acceptor_crashes_; }
  std::uint64_t timeline_stops() const { return timeline_stops_; }
  std::uint64_t batches() const { return batches_; }
  void set_trace_sink(TraceSink sink) { trace_ = std::move(sink); }

 private:
  struct SimNode;
  class SimProposer;

  std::vector<Envelope> deliver_to_acceptor(std::size_t index, std::span<const Envelope> envelopes,
                                            std::optional<std::size_t> crash_after_submits);
  // The timeline failed on its storage: it stops, and its connections drop.
  std::vector<Envelope> stop_timeline(std::size_t index, const Error& error);
  std::vector<Envelope> disconnect_everyone_from(consensus::NodeId acceptor);
  // Brings the checker's copy of a node's durable WAL and state up to date with its stores.
  void refresh_durable(SimNode& node);
  void fail(Violation violation);
  template <typename MakeLine>
  void trace(MakeLine&& make_line) const {
    if (trace_) {
      trace_(make_line());
    }
  }
  SimProposer* find_proposer(consensus::NodeId id);
  std::vector<DurableAcceptorView> durable_views() const;

  consensus::Mutation mutation_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::unique_ptr<SimProposer>> proposers_;
  SafetyChecker checker_;
  std::optional<Violation> violation_;
  std::uint64_t elections_ = 0;
  std::uint64_t fenced_ = 0;
  std::uint64_t acceptor_crashes_ = 0;
  std::uint64_t timeline_stops_ = 0;
  std::uint64_t batches_ = 0;
  TraceSink trace_;
};

}  // namespace sk::sim
