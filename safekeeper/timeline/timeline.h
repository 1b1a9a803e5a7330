// Timeline: one timeline's acceptor on this node. Drives the pure consensus::Acceptor against
// the node's stores in the order the Ready contract demands (consensus/ready.h), with group
// commit: messages are submitted one by one, and commit_batch() makes all their effects durable
// with one WAL fdatasync before any reply is released.
//
// Within a batch, Readys are carried out in order:
//   * a truncation at once (the WAL store makes it durable);
//   * WAL writes appended, synced at commit_batch() when a Ready of the batch asked for it
//     (must_sync; the acceptor asks with every write, only a test mutation does not);
//   * a state change of term, history or configuration persisted at once, after syncing the WAL
//   written so
//     far: WAL that a later Ready writes under the new history must never be durable while the
//     old history is what a restart would read (the truncate-then-adopt order of ready.h);
//   * a change of commit or truncate LSN only: deferred, the latest recorded once per batch in
//     the WAL itself (WalStore::record_positions), so the batch's one fdatasync makes it durable
//     and no control-store commit is spent on it; open() takes the later of the control store's
//     and the WAL's record. The control store is still given the commit LSN once it has moved
//     by control_save_lag_bytes since it last was: that saved commit LSN is what lets open()
//     notice WAL lost from under it (a wiped or damaged file), so it must not fall far behind.
// Replies leave only after all of that, so none depends on anything a crash could take back.
//
// A storage error (ENOSPC, EIO) leaves the in-memory acceptor ahead of the disk, so the
// timeline stops: every later submit and commit_batch fails with the first error, and the node
// reopens the timeline from its stores (as after a crash) once the cause is fixed.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "consensus/acceptor.h"
#include "safekeeper/storage/control_store.h"
#include "safekeeper/storage/wal_store.h"

namespace sk::safekeeper {

// A reply of a batch, with the tag of the submit that produced it (the server tags with the
// connection, so that each reply goes back where its request came from).
struct TaggedReply {
  std::uint64_t tag = 0;
  consensus::Outbound out;
};

struct TimelineOptions {
  // How far the commit LSN may run ahead of the control store's copy (see above).
  std::uint64_t control_save_lag_bytes = std::uint64_t{16} << 20;
  // The acceptor's protocol mutation, for the simulator's proof that it catches bugs
  // (consensus/mutation.h); without SK_ENABLE_MUTATIONS it changes nothing.
  consensus::Mutation mutation = consensus::Mutation::kNone;
};

class Timeline {
 public:
  // A timeline new to this node: its initial state is saved before anything else.
  // kAlreadyExists if the control store holds a state for it.
  static Result<std::unique_ptr<Timeline>> create(consensus::NodeId node_id,
                                                  const consensus::TimelineIdentity& identity,
                                                  storage::ControlStore& control,
                                                  storage::WalStore& wal,
                                                  TimelineOptions options = {});
  // A timeline hosted before: its saved state and its WAL as recovered. kNotFound without a
  // saved state; kCorruption if the WAL ends below the saved commit LSN (acknowledged WAL is
  // gone) or begins elsewhere than the timeline; kFailedPrecondition if `wal` holds unsynced
  // WAL (a store not reopened since it failed).
  static Result<std::unique_ptr<Timeline>> open(consensus::NodeId node_id,
                                                const storage::TimelineKey& key,
                                                storage::ControlStore& control,
                                                storage::WalStore& wal,
                                                TimelineOptions options = {});

  // Steps the acceptor with one message and carries out its Ready as described above. An error
  // from the acceptor (malformed message, another timeline) changes nothing: the caller closes
  // that connection. A storage error stops the timeline.
  Status submit(consensus::NodeId from, const consensus::Message& message, std::uint64_t tag = 0);
  // An operator's membership change (consensus::Acceptor::set_configuration), durable when it
  // returns. Between batches only. Refusals change nothing; a storage error stops the timeline.
  Status set_configuration(const consensus::Configuration& configuration);
  // Makes the batch durable and returns its replies in order, ReadWalResponses filled in.
  Result<std::vector<TaggedReply>> commit_batch();

  const consensus::Acceptor& acceptor() const { return acceptor_; }
  // The end of the durable WAL. Between batches it is the acceptor's flush LSN (unless the
  // ack-before-sync mutation is on); after a storage error the acceptor may be ahead of it, and
  // this is the truth.
  consensus::Lsn flush_lsn() const { return wal_.flush_lsn(); }
  // kInvalidArgument unless [begin, end) is within the durable WAL [start, flush LSN).
  Status check_durable_range(consensus::Lsn begin, consensus::Lsn end) const;
  // WAL bytes [begin, end) from the store, if check_durable_range() accepts them.
  Result<std::vector<std::uint8_t>> read_wal(consensus::Lsn begin, consensus::Lsn end) const;
  // Reads this timeline's WAL from other threads: below a commit LSN read here only
  // (storage/durable_wal_reader.h).
  std::shared_ptr<const storage::DurableWalReader> durable_reader() const {
    return wal_.durable_reader();
  }
  // The durable state: the control store's, with the positions the WAL recorded since.
  const consensus::AcceptorState& durable_state() const { return durable_state_; }
  const std::optional<Error>& failure() const { return failure_; }

 private:
  Timeline(consensus::NodeId node_id, consensus::AcceptorState state, consensus::Lsn flush_lsn,
           consensus::Lsn saved_commit_lsn, storage::ControlStore& control, storage::WalStore& wal,
           TimelineOptions options);
  Status apply(consensus::Ready ready, std::uint64_t tag);
  Status sync_wal();
  Status save(const consensus::AcceptorState& state);
  Status fail(Error error);
  // Postconditions of a successful commit_batch().
  void check_batch_done() const;

  consensus::Acceptor acceptor_;
  storage::ControlStore& control_;
  storage::WalStore& wal_;
  TimelineOptions options_;
  consensus::AcceptorState durable_state_;
  consensus::Lsn saved_commit_lsn_;  // The control store's copy.
  std::optional<consensus::AcceptorState> deferred_state_;
  bool wal_unsynced_ = false;    // Appended since the last sync.
  bool sync_requested_ = false;  // A Ready of this batch asked for an fdatasync.
  std::vector<TaggedReply> replies_;
  std::optional<Error> failure_;
};

}  // namespace sk::safekeeper
