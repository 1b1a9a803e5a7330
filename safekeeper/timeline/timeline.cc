// Timeline; see timeline.h.
#include "safekeeper/timeline/timeline.h"

#include <algorithm>
#include <utility>

#include "consensus/check.h"
#include "consensus/overloaded.h"

namespace sk::safekeeper {

using consensus::AcceptorState;
using consensus::Lsn;

Timeline::Timeline(consensus::NodeId node_id, AcceptorState state, Lsn flush_lsn,
                   Lsn saved_commit_lsn, storage::ControlStore& control, storage::WalStore& wal,
                   TimelineOptions options)
    : acceptor_(node_id, state, flush_lsn, options.mutation),
      control_(control),
      wal_(wal),
      options_(options),
      durable_state_(std::move(state)),
      saved_commit_lsn_(saved_commit_lsn) {}

Result<std::unique_ptr<Timeline>> Timeline::create(consensus::NodeId node_id,
                                                   const consensus::TimelineIdentity& identity,
                                                   storage::ControlStore& control,
                                                   storage::WalStore& wal,
                                                   TimelineOptions options) {
  const storage::TimelineKey key{identity.tenant_id, identity.timeline_id};
  auto existing = control.load(key);
  if (!existing) {
    return existing.error();
  }
  if (existing->has_value()) {
    return Error(ErrorCode::kAlreadyExists,
                 "timeline " + storage::timeline_name(key) + " already exists on this node");
  }
  if (wal.start_lsn() != identity.timeline_start_lsn || wal.end_lsn() != wal.start_lsn()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "timeline " + storage::timeline_name(key) + ": its WAL directory is not empty");
  }
  AcceptorState state = AcceptorState::for_new_timeline(identity);
  if (Status saved = control.save(state); !saved) {
    return saved.error();
  }
  const Lsn saved_commit = state.commit_lsn;
  return std::unique_ptr<Timeline>(new Timeline(node_id, std::move(state), wal.flush_lsn(),
                                                saved_commit, control, wal, options));
}

Result<std::unique_ptr<Timeline>> Timeline::open(consensus::NodeId node_id,
                                                 const storage::TimelineKey& key,
                                                 storage::ControlStore& control,
                                                 storage::WalStore& wal, TimelineOptions options) {
  auto loaded = control.load(key);
  if (!loaded) {
    return loaded.error();
  }
  if (!loaded->has_value()) {
    return Error(ErrorCode::kNotFound,
                 "timeline " + storage::timeline_name(key) + " has no saved state on this node");
  }
  AcceptorState state = std::move(**loaded);
  const Lsn saved_commit = state.commit_lsn;
  // Changes of the commit and truncate LSN alone are recorded in the WAL (see commit_batch):
  // the later of the two records is the durable one.
  if (const std::optional<storage::WalPositions> positions = wal.positions()) {
    state.commit_lsn = std::max(state.commit_lsn, positions->commit_lsn);
    state.truncate_lsn = std::max(state.truncate_lsn, positions->truncate_lsn);
  }
  if (wal.start_lsn() != state.identity.timeline_start_lsn) {
    return Error(ErrorCode::kCorruption, "timeline " + storage::timeline_name(key) +
                                             ": WAL starts at " + wal.start_lsn().to_string() +
                                             ", the timeline at " +
                                             state.identity.timeline_start_lsn.to_string());
  }
  // A store comes to open() from its recovery, which keeps only what is on disk; WAL written
  // and not synced means a store reused without one.
  if (wal.end_lsn() != wal.flush_lsn()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "timeline " + storage::timeline_name(key) + ": WAL written up to " +
                     wal.end_lsn().to_string() + " but durable only up to " +
                     wal.flush_lsn().to_string() + "; reopen the store first");
  }
  if (wal.flush_lsn() < state.commit_lsn) {
    return Error(ErrorCode::kCorruption,
                 "timeline " + storage::timeline_name(key) + ": WAL ends at " +
                     wal.flush_lsn().to_string() + ", below the saved commit LSN " +
                     state.commit_lsn.to_string() + " (acknowledged WAL is missing)");
  }
  return std::unique_ptr<Timeline>(new Timeline(node_id, std::move(state), wal.flush_lsn(),
                                                saved_commit, control, wal, options));
}

Status Timeline::fail(Error error) {
  failure_ = error;
  replies_.clear();
  return error;
}

Status Timeline::sync_wal() {
  if (!wal_unsynced_) {
    return {};
  }
  if (Status synced = wal_.sync(); !synced) {
    return synced;
  }
  wal_unsynced_ = false;
  SK_CHECK(wal_.flush_lsn() == wal_.end_lsn());
  return {};
}

Status Timeline::save(const AcceptorState& state) {
  if (Status saved = control_.save(state); !saved) {
    return saved;
  }
  durable_state_ = state;
  saved_commit_lsn_ = state.commit_lsn;
  return {};
}

Status Timeline::submit(consensus::NodeId from, const consensus::Message& message,
                        std::uint64_t tag) {
  if (failure_) {
    return *failure_;
  }
  Result<consensus::Ready> ready = acceptor_.step(from, message);
  if (!ready) {
    return ready.error();
  }
  if (Status applied = apply(std::move(*ready), tag); !applied) {
    return fail(applied.error());
  }
  return {};
}

Status Timeline::set_configuration(const consensus::Configuration& configuration) {
  if (failure_) {
    return *failure_;
  }
  Result<consensus::Ready> ready = acceptor_.set_configuration(configuration);
  if (!ready) {
    return ready.error();
  }
  // Not within a batch (the worker runs it between rounds): apply() saves the changed state at
  // once, so it is durable when this returns.
  SK_CHECK(replies_.empty() && ready->messages.empty());
  if (Status applied = apply(std::move(*ready), 0); !applied) {
    return fail(applied.error());
  }
  return {};
}

Status Timeline::apply(consensus::Ready ready, std::uint64_t tag) {
  if (ready.truncate_wal_at) {
    if (Status s = wal_.truncate(*ready.truncate_wal_at); !s) {
      return s;
    }
    wal_unsynced_ = false;  // Truncation syncs what was pending.
    SK_CHECK(wal_.flush_lsn() == *ready.truncate_wal_at);
    SK_CHECK(acceptor_.flush_lsn() == *ready.truncate_wal_at || ready.wal_write);
  }
  if (ready.wal_write) {
    SK_CHECK(ready.wal_write->begin_lsn == wal_.end_lsn());
    if (Status s = wal_.append(ready.wal_write->begin_lsn, ready.wal_write->bytes); !s) {
      return s;
    }
    wal_unsynced_ = true;
    // The acceptor claims exactly the WAL handed to the store.
    SK_CHECK(acceptor_.flush_lsn() == wal_.end_lsn());
  }
  // commit_batch() syncs before any reply leaves, if asked to.
  sync_requested_ = sync_requested_ || ready.must_sync;
  if (ready.persist) {
    const bool same_promise = ready.persist->term == durable_state_.term &&
                              ready.persist->history == durable_state_.history &&
                              ready.persist->identity == durable_state_.identity &&
                              ready.persist->configuration == durable_state_.configuration;
    if (same_promise) {
      deferred_state_ = std::move(ready.persist);
    } else {
      if (Status s = sync_wal(); !s) {
        return s;
      }
      if (Status s = save(*ready.persist); !s) {
        return s;
      }
      deferred_state_.reset();  // The saved state includes any deferred change.
    }
  }
  for (consensus::Outbound& out : ready.messages) {
    replies_.push_back({tag, std::move(out)});
  }
  return {};
}

Result<std::vector<TaggedReply>> Timeline::commit_batch() {
  if (failure_) {
    return *failure_;
  }
  if (deferred_state_) {
    // Recorded in the WAL, so that the one fdatasync below makes it durable too.
    const storage::WalPositions positions{deferred_state_->commit_lsn,
                                          deferred_state_->truncate_lsn};
    if (Status s = wal_.record_positions(positions); !s) {
      return fail(s.error()).error();
    }
    if (Status s = wal_.sync(); !s) {
      return fail(s.error()).error();
    }
    wal_unsynced_ = false;
  } else if (sync_requested_) {
    if (Status s = sync_wal(); !s) {
      return fail(s.error()).error();
    }
  }
  sync_requested_ = false;
  if (deferred_state_) {
    AcceptorState state = *std::exchange(deferred_state_, std::nullopt);
    if (state.commit_lsn.bytes_since(saved_commit_lsn_) >= options_.control_save_lag_bytes) {
      if (Status s = save(state); !s) {
        return fail(s.error()).error();
      }
    }
    durable_state_ = std::move(state);
  }
  std::vector<TaggedReply> replies = std::move(replies_);
  replies_.clear();
  for (auto& [tag, out] : replies) {
    if (!out.attach_wal) {
      continue;
    }
    auto* response = std::get_if<consensus::ReadWalResponse>(&out.message);
    if (response == nullptr) {
      continue;
    }
    auto bytes = wal_.read(response->begin_lsn, response->end_lsn);
    if (!bytes) {
      return fail(bytes.error()).error();
    }
    response->wal = std::move(*bytes);
    out.attach_wal = false;
  }
  check_batch_done();
  return replies;
}

void Timeline::check_batch_done() const {
  // Every Readys' effects are carried out: the durable state is the acceptor's.
  SK_CHECK(durable_state_ == acceptor_.state());
  SK_CHECK(acceptor_.flush_lsn() == (wal_unsynced_ ? wal_.end_lsn() : wal_.flush_lsn()));
  // Only an acceptor mutated to acknowledge before syncing leaves written WAL unsynced.
  SK_CHECK(!wal_unsynced_ ||
           consensus::is_mutated(options_.mutation, consensus::Mutation::kAckBeforeSync));
  SK_CHECK(durable_state_.commit_lsn <= wal_.flush_lsn());
  SK_CHECK(durable_state_.truncate_lsn <= durable_state_.commit_lsn);
}

Status Timeline::check_durable_range(Lsn begin, Lsn end) const {
  if (begin > end || begin < wal_.start_lsn() || end > flush_lsn()) {
    return Error(ErrorCode::kInvalidArgument,
                 "WAL range [" + begin.to_string() + ", " + end.to_string() +
                     ") is not within the durable WAL [" + wal_.start_lsn().to_string() + ", " +
                     flush_lsn().to_string() + ")");
  }
  return {};
}

Result<std::vector<std::uint8_t>> Timeline::read_wal(Lsn begin, Lsn end) const {
  if (Status durable = check_durable_range(begin, end); !durable) {
    return durable.error();
  }
  return wal_.read(begin, end);
}

}  // namespace sk::safekeeper
