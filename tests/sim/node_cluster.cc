// NodeCluster events: each one runs safekeeper::Timeline or proposer::ProposerDriver, and the
// checker sees the stores' durable contents (read back from them, not from what the timeline
// believes) and the drivers' reports.
#include "tests/sim/node_cluster.h"

#include <algorithm>
#include <deque>

#include "consensus/check.h"
#include "safekeeper/proposer/proposer_driver.h"
#include "safekeeper/storage/memory_control_store.h"
#include "safekeeper/storage/memory_wal_store.h"
#include "safekeeper/timeline/timeline.h"
#include "tests/sim/payload.h"

namespace sk::sim {

using namespace sk::consensus;

namespace {

std::string number(std::uint64_t value) {
  return std::to_string(value);
}

const Lsn kTimelineStart = sim_timeline_identity().timeline_start_lsn;

// The node's WAL store as its Timeline sees it. Remembers the lowest truncation since the
// checker last looked: the checker's copy of the durable bytes is still valid below it.
class TrackedWalStore final : public storage::WalStore {
 public:
  explicit TrackedWalStore(storage::MemoryWalStore& store) : store_(store) {}

  Lsn start_lsn() const override { return store_.start_lsn(); }
  Lsn end_lsn() const override { return store_.end_lsn(); }
  Lsn flush_lsn() const override { return store_.flush_lsn(); }
  Status append(Lsn begin, std::span<const std::uint8_t> bytes) override {
    return store_.append(begin, bytes);
  }
  Status sync() override { return store_.sync(); }
  Status record_positions(storage::WalPositions positions) override {
    return store_.record_positions(positions);
  }
  std::optional<storage::WalPositions> positions() const override { return store_.positions(); }
  Status truncate(Lsn at) override {
    lowest_cut_ = std::min(lowest_cut_.value_or(at), at);
    return store_.truncate(at);
  }
  Result<std::vector<std::uint8_t>> read(Lsn begin, Lsn end) const override {
    return store_.read(begin, end);
  }
  std::shared_ptr<const storage::DurableWalReader> durable_reader() const override {
    return store_.durable_reader();
  }

  std::optional<Lsn> take_lowest_cut() { return std::exchange(lowest_cut_, std::nullopt); }

 private:
  storage::MemoryWalStore& store_;
  std::optional<Lsn> lowest_cut_;
};

// The node's control store, keeping a copy of the last state it stored, so that the checker
// need not decode the record after every event.
class TrackedControlStore final : public storage::ControlStore {
 public:
  explicit TrackedControlStore(storage::MemoryControlStore& store) : store_(store) {}

  Status save(const AcceptorState& state) override {
    Status saved = store_.save(state);
    if (saved) {
      last_saved_ = state;
    }
    return saved;
  }
  Result<std::optional<AcceptorState>> load(const storage::TimelineKey& key) override {
    return store_.load(key);
  }
  Result<std::vector<storage::TimelineKey>> list() override { return store_.list(); }
  Status erase(const storage::TimelineKey& key) override {
    last_saved_.reset();
    return store_.erase(key);
  }

  const std::optional<AcceptorState>& last_saved() const { return last_saved_; }

 private:
  storage::MemoryControlStore& store_;
  std::optional<AcceptorState> last_saved_;
};

}  // namespace

struct NodeCluster::SimNode {
  explicit SimNode(NodeId node_id) : id(node_id) {}

  NodeId id;
  storage::MemoryControlStore control_disk;
  storage::MemoryWalStore wal_disk{kTimelineStart};
  TrackedControlStore control{control_disk};
  TrackedWalStore wal{wal_disk};
  std::unique_ptr<safekeeper::Timeline> timeline;  // Null while the node is down.
  Lsn exposed_commit_lsn = kTimelineStart;
  // The checker's view: what a restart would read from the stores.
  AcceptorState durable_state;
  std::vector<std::uint8_t> durable_wal;  // Bytes [kTimelineStart, flush LSN).
  Lsn verified_up_to = kTimelineStart;
};

// One proposer: its driver, and the world the driver sees through ProposerIo.
class NodeCluster::SimProposer final : public proposer::ProposerIo {
 public:
  SimProposer(NodeCluster& cluster, ProposerConfig config)
      : cluster_(cluster), id_(config.proposer_id), driver_(std::move(config), *this) {}

  proposer::ProposerDriver& driver() { return driver_; }
  const Proposer& proposer() const { return driver_.proposer(); }
  NodeId id() const { return id_; }
  std::vector<Envelope> take_outbox() { return std::exchange(outbox_, {}); }

  void write_record(std::uint64_t size_bytes) {
    records_.push_back(size_bytes);
    unread_bytes_ += size_bytes;
  }
  Lsn proposal_end_lsn() const {
    return std::max(handed_end_, driver_.proposer().end_lsn()).plus_bytes(unread_bytes_);
  }

  void send(NodeId acceptor, const Message& message) override {
    outbox_.push_back(Envelope{id_, acceptor, message});
  }
  void drop_connection(NodeId acceptor, const Error& why) override {
    cluster_.trace([&] {
      return "  " + number(id_.value()) + " drops its connection to " + number(acceptor.value()) +
             ": " + why.to_string();
    });
  }
  // Whole records, each byte the one its term writes at its LSN (payload.h).
  std::vector<std::uint8_t> read_wal(Lsn from, std::size_t max_bytes) override {
    SK_CHECK(driver_.proposer().phase() == ProposerPhase::kElected);
    SK_CHECK(from >= handed_end_);
    const Term term = driver_.proposer().term();
    std::vector<std::uint8_t> out;
    while (!records_.empty() && (out.empty() || out.size() + records_.front() <= max_bytes)) {
      for (std::uint64_t i = 0; i < records_.front(); ++i) {
        out.push_back(wal_byte(term, from.plus_bytes(out.size())));
      }
      unread_bytes_ -= records_.front();
      records_.pop_front();
    }
    handed_end_ = from.plus_bytes(out.size());
    return out;
  }
  void on_elected(Term term, Lsn term_start_lsn) override {
    const Proposer& p = driver_.proposer();
    ++cluster_.elections_;
    cluster_.trace([&] {
      return "  " + number(id_.value()) + " elected t" + number(term.value()) + " donor " +
             number(p.donor()->value()) + " start " + term_start_lsn.to_string() + " h" +
             p.history().to_string();
    });
    if (auto v = cluster_.checker_.on_elected(id_, term, p.history(), term_start_lsn)) {
      cluster_.fail(*v);
    }
  }
  void on_commit(Lsn commit_lsn) override {
    const Proposer& p = driver_.proposer();
    cluster_.trace(
        [&] { return "  " + number(id_.value()) + " commit " + commit_lsn.to_string(); });
    if (auto v =
            cluster_.checker_.on_commit(id_, p.term(), p.history(), last_commit_lsn_, commit_lsn)) {
      cluster_.fail(*v);
    }
    last_commit_lsn_ = commit_lsn;
  }
  void on_fenced(Term term) override {
    ++cluster_.fenced_;
    cluster_.trace(
        [&] { return "  " + number(id_.value()) + " fenced in t" + number(term.value()); });
  }
  void on_superseded(const Configuration& newer) override {
    // This simulation never changes a configuration (membership changes are the explorer's,
    // tests/model), so no acceptor can show a newer one.
    SK_CHECK_MSG(false, "proposer " + number(id_.value()) + " superseded by " + newer.describe());
  }

 private:
  NodeCluster& cluster_;
  NodeId id_;
  proposer::ProposerDriver driver_;
  std::vector<Envelope> outbox_;
  std::deque<std::uint64_t> records_;  // Sizes of the records written and not taken yet.
  std::uint64_t unread_bytes_ = 0;
  Lsn handed_end_{0};
  Lsn last_commit_lsn_{0};
};

NodeCluster::NodeCluster(std::size_t acceptor_count, Mutation mutation)
    : mutation_(mutation), checker_(acceptor_count, kTimelineStart) {
  safekeeper::TimelineOptions options;
  options.mutation = mutation;
  for (std::size_t i = 0; i < acceptor_count; ++i) {
    nodes_.push_back(std::make_unique<SimNode>(NodeId(i + 1)));
    SimNode& node = *nodes_.back();
    auto timeline = safekeeper::Timeline::create(node.id, sim_timeline_identity(), node.control,
                                                 node.wal, options);
    SK_CHECK_MSG(timeline.has_value(), timeline.error().to_string());
    node.timeline = std::move(*timeline);
    refresh_durable(node);
  }
}

NodeCluster::~NodeCluster() = default;

bool NodeCluster::acceptor_is_live(std::size_t index) const {
  return nodes_[index]->timeline != nullptr;
}

const Proposer& NodeCluster::proposer(std::size_t index) const {
  return proposers_[index]->proposer();
}

std::vector<NodeId> NodeCluster::acceptor_ids() const {
  std::vector<NodeId> ids;
  for (const auto& node : nodes_) {
    ids.push_back(node->id);
  }
  return ids;
}

std::vector<Envelope> NodeCluster::deliver(const Envelope& envelope, ReadyStage stage) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->id == envelope.to) {
      std::optional<std::size_t> crash_after;
      if (stage != ReadyStage::kAll) {
        crash_after = stage == ReadyStage::kNothing ? 0 : 1;
      }
      return deliver_to_acceptor(i, std::span(&envelope, 1), crash_after);
    }
  }
  SimProposer* proposer = find_proposer(envelope.to);
  if (proposer == nullptr) {
    return {};  // It died while the message was in flight.
  }
  trace([&] { return describe(envelope); });
  proposer->driver().on_message(envelope.from, envelope.message);
  return proposer->take_outbox();
}

std::vector<Envelope> NodeCluster::deliver_batch(std::span<const Envelope> envelopes,
                                                 std::optional<std::size_t> crash_after_submits) {
  SK_CHECK(!envelopes.empty());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->id == envelopes.front().to) {
      return deliver_to_acceptor(i, envelopes, crash_after_submits);
    }
  }
  SK_CHECK_MSG(false, "a batch goes to an acceptor");
  return {};
}

std::vector<Envelope> NodeCluster::deliver_to_acceptor(
    std::size_t index, std::span<const Envelope> envelopes,
    std::optional<std::size_t> crash_after_submits) {
  SK_CHECK(!crash_after_submits || *crash_after_submits <= envelopes.size());
  SimNode& node = *nodes_[index];
  if (!node.timeline) {
    return {};
  }
  std::vector<Envelope> out;
  auto append = [&out](std::vector<Envelope> more) {
    std::move(more.begin(), more.end(), std::back_inserter(out));
  };
  if (envelopes.size() > 1) {
    ++batches_;
    trace(
        [&] { return "batch of " + number(envelopes.size()) + " for " + number(node.id.value()); });
  }
  for (std::size_t submitted = 0; submitted <= envelopes.size(); ++submitted) {
    if (crash_after_submits == submitted) {
      trace([&] {
        return "crash of " + number(node.id.value()) + " after " + number(submitted) +
               " submits, before commit_batch";
      });
      append(crash_acceptor(index));
      return out;
    }
    if (submitted == envelopes.size()) {
      break;
    }
    const Envelope& envelope = envelopes[submitted];
    SK_CHECK(envelope.to == node.id);
    trace([&] { return describe(envelope); });
    Status status = node.timeline->submit(envelope.from, envelope.message, envelope.from.value());
    if (status) {
      continue;
    }
    if (node.timeline->failure()) {
      append(stop_timeline(index, status.error()));
      return out;
    }
    // The server closes that connection; the proposer sees it drop.
    trace([&] { return "  acceptor error, connection closed: " + status.error().to_string(); });
    if (SimProposer* proposer = find_proposer(envelope.from)) {
      proposer->driver().on_disconnected(node.id);
      append(proposer->take_outbox());
    }
  }
  auto replies = node.timeline->commit_batch();
  if (!replies) {
    append(stop_timeline(index, replies.error()));
    return out;
  }
  refresh_durable(node);
  for (safekeeper::TaggedReply& reply : *replies) {
    SK_CHECK(!reply.out.attach_wal);
    out.push_back(Envelope{node.id, reply.out.to, std::move(reply.out.message)});
  }
  const consensus::Acceptor& acceptor = node.timeline->acceptor();
  if (acceptor.commit_lsn() != node.exposed_commit_lsn) {
    if (auto v =
            checker_.on_acceptor_commit(node.id, node.exposed_commit_lsn, acceptor.commit_lsn(),
                                        acceptor.history_up_to_flush())) {
      fail(*v);
    }
    node.exposed_commit_lsn = acceptor.commit_lsn();
  }
  return out;
}

std::vector<Envelope> NodeCluster::stop_timeline(std::size_t index, const Error& error) {
  SimNode& node = *nodes_[index];
  trace(
      [&] { return "  timeline of " + number(node.id.value()) + " stops: " + error.to_string(); });
  ++timeline_stops_;
  node.timeline.reset();
  refresh_durable(node);
  return disconnect_everyone_from(node.id);
}

std::vector<Envelope> NodeCluster::disconnect_everyone_from(NodeId acceptor) {
  std::vector<Envelope> out;
  for (auto& proposer : proposers_) {
    proposer->driver().on_disconnected(acceptor);
    std::vector<Envelope> more = proposer->take_outbox();
    std::move(more.begin(), more.end(), std::back_inserter(out));
  }
  return out;
}

std::vector<Envelope> NodeCluster::tick(std::size_t proposer_index) {
  SimProposer& proposer = *proposers_[proposer_index];
  proposer.driver().tick();
  return proposer.take_outbox();
}

std::vector<Envelope> NodeCluster::propose(std::size_t proposer_index, std::uint64_t size_bytes) {
  SimProposer& proposer = *proposers_[proposer_index];
  trace([&] {
    return "primary of " + number(proposer.id().value()) + " writes a record of " +
           number(size_bytes) + " bytes";
  });
  proposer.write_record(size_bytes);
  proposer.driver().on_wal_available();
  return proposer.take_outbox();
}

Lsn NodeCluster::proposal_end_lsn(std::size_t proposer_index) const {
  return proposers_[proposer_index]->proposal_end_lsn();
}

std::vector<Envelope> NodeCluster::crash_acceptor(std::size_t index) {
  SimNode& node = *nodes_[index];
  trace([&] { return "crash acceptor " + number(node.id.value()); });
  ++acceptor_crashes_;
  node.timeline.reset();
  node.wal_disk.crash();
  refresh_durable(node);
  return disconnect_everyone_from(node.id);
}

void NodeCluster::restart_acceptor(std::size_t index) {
  SimNode& node = *nodes_[index];
  node.control_disk.clear_faults();
  node.wal_disk.clear_faults();
  // A stopped timeline is reopened as after a power loss: only what was synced is certain.
  node.wal_disk.crash();
  refresh_durable(node);
  trace([&] {
    return "restart acceptor " + number(node.id.value()) + " flush " +
           node.wal_disk.flush_lsn().to_string();
  });
  safekeeper::TimelineOptions options;
  options.mutation = mutation_;
  const TimelineIdentity identity = sim_timeline_identity();
  auto timeline = safekeeper::Timeline::open(
      node.id, storage::TimelineKey{identity.tenant_id, identity.timeline_id}, node.control,
      node.wal, options);
  if (!timeline) {
    fail(Violation{"recovery", "node " + number(node.id.value()) +
                                   " cannot reopen its timeline: " + timeline.error().to_string()});
    return;
  }
  node.timeline = std::move(*timeline);
  // What open() recovered is what the checker computed from the stores.
  SK_CHECK(node.timeline->durable_state() == node.durable_state);
}

void NodeCluster::inject_fault(std::size_t index, StorageFault fault) {
  SimNode& node = *nodes_[index];
  trace([&] {
    static constexpr const char* kNames[] = {"WAL appends ENOSPC", "WAL appends EIO",
                                             "next fdatasync EIO", "control saves ENOSPC",
                                             "control saves EIO"};
    return "fault at " + number(node.id.value()) + ": " + kNames[static_cast<int>(fault)];
  });
  switch (fault) {
    case StorageFault::kAppendNoSpace:
      node.wal_disk.fail_appends(ErrorCode::kNoSpace);
      break;
    case StorageFault::kAppendIoError:
      node.wal_disk.fail_appends(ErrorCode::kIoError);
      break;
    case StorageFault::kSyncIoError:
      node.wal_disk.fail_next_sync();
      break;
    case StorageFault::kSaveNoSpace:
      node.control_disk.fail_saves(ErrorCode::kNoSpace);
      break;
    case StorageFault::kSaveIoError:
      node.control_disk.fail_saves(ErrorCode::kIoError);
      break;
  }
}

void NodeCluster::clear_faults() {
  for (auto& node : nodes_) {
    node->control_disk.clear_faults();
    node->wal_disk.clear_faults();
  }
}

std::vector<Envelope> NodeCluster::start_proposer(ProposerConfig config) {
  config.identity = sim_timeline_identity();
  config.configuration = Configuration::of(acceptor_ids());
  config.mutation = mutation_;
  trace([&] { return "start proposer " + number(config.proposer_id.value()); });
  proposers_.push_back(std::make_unique<SimProposer>(*this, std::move(config)));
  SimProposer& proposer = *proposers_.back();
  proposer.driver().start();
  return proposer.take_outbox();
}

void NodeCluster::remove_proposer(std::size_t index) {
  trace([&] { return "crash proposer " + number(proposers_[index]->id().value()); });
  proposers_.erase(proposers_.begin() + static_cast<std::ptrdiff_t>(index));
}

void NodeCluster::refresh_durable(SimNode& node) {
  const TrackedControlStore& control = node.control;
  SK_CHECK(control.last_saved().has_value());  // Timeline::create saved the first state.
  AcceptorState durable = *control.last_saved();
  // Timeline::open's rule: positions recorded in the WAL since are newer.
  if (const std::optional<storage::WalPositions> positions = node.wal_disk.positions()) {
    durable.commit_lsn = std::max(durable.commit_lsn, positions->commit_lsn);
    durable.truncate_lsn = std::max(durable.truncate_lsn, positions->truncate_lsn);
  }
  if (durable.history != node.durable_state.history) {
    node.verified_up_to = kTimelineStart;  // Relabelled: check every byte again.
  }
  node.durable_state = std::move(durable);

  std::size_t keep = node.durable_wal.size();
  if (const std::optional<Lsn> cut = node.wal.take_lowest_cut()) {
    keep = std::min(keep, cut->bytes_since(kTimelineStart));
    node.verified_up_to = std::min(node.verified_up_to, *cut);
  }
  const Lsn flush = node.wal_disk.flush_lsn();
  keep = std::min(keep, flush.bytes_since(kTimelineStart));
  node.durable_wal.resize(keep);
  if (kTimelineStart.plus_bytes(keep) < flush) {
    auto bytes = node.wal_disk.read(kTimelineStart.plus_bytes(keep), flush);
    SK_CHECK_MSG(bytes.has_value(), bytes.error().to_string());
    node.durable_wal.insert(node.durable_wal.end(), bytes->begin(), bytes->end());
  }
  node.verified_up_to = std::min(node.verified_up_to, flush);
}

std::vector<DurableAcceptorView> NodeCluster::durable_views() const {
  std::vector<DurableAcceptorView> views;
  for (const auto& node : nodes_) {
    views.push_back(DurableAcceptorView{
        node->id, &node->durable_state.history, node->durable_state.commit_lsn, kTimelineStart,
        &node->durable_wal, node->durable_state.configuration.generation});
  }
  return views;
}

void NodeCluster::check() {
  if (violation_) {
    return;
  }
  std::vector<Lsn> verify_from;
  for (const auto& node : nodes_) {
    verify_from.push_back(node->verified_up_to);
  }
  if (auto v = checker_.check_acceptors(durable_views(), verify_from)) {
    fail(*v);
    return;
  }
  for (auto& node : nodes_) {
    node->verified_up_to = kTimelineStart.plus_bytes(node->durable_wal.size());
  }
}

void NodeCluster::check_log_matching() {
  if (auto v = checker_.check_log_matching(durable_views())) {
    fail(*v);
  }
}

void NodeCluster::fail(Violation violation) {
  if (violation_) {
    return;
  }
  trace([&] { return "VIOLATION " + violation.property + ": " + violation.detail; });
  violation_ = std::move(violation);
}

NodeCluster::SimProposer* NodeCluster::find_proposer(NodeId id) {
  for (auto& proposer : proposers_) {
    if (proposer->id() == id) {
      return proposer.get();
    }
  }
  return nullptr;
}

}  // namespace sk::sim
