// ReplicationSlots: the physical replication slots readers create on this safekeeper, per
// timeline. A slot remembers how far its reader has flushed (restart_lsn, moved by the reader's
// status updates) and is held by at most one streaming session at a time; a temporary slot goes
// away with the session that created it.
//
// Slots that are not temporary are kept across restarts through a SlotJournal (the node's LMDB,
// storage/slot_store.h): a create or drop is written there before it takes effect, so a reader
// told "created" finds its slot after a restart. A restart LSN is written when it has moved
// kJournalEveryBytes since it last was, and when its session lets the slot go, so after a crash
// a slot may restart a little behind where its reader got (it then holds a little more WAL,
// never less).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "proto/codec.h"

namespace sk::walsender {

struct ReplicationSlot {
  std::string name;
  consensus::Lsn restart_lsn;  // 0/0 until WAL is reserved.
  bool temporary = false;
  std::uint64_t owner = 0;          // The session that created a temporary slot.
  std::uint64_t active = 0;         // The session streaming with it; 0 when none.
  std::int64_t last_active_us = 0;  // Made, acquired, advanced or let go (Unix microseconds).
};

// Where slots are kept across restarts. Called on the slots' thread.
class SlotJournal {
 public:
  virtual ~SlotJournal() = default;
  virtual Status saved(const proto::TimelineKey& timeline, const ReplicationSlot& slot) = 0;
  virtual Status erased(const proto::TimelineKey& timeline, const std::string& name) = 0;
};

class ReplicationSlots {
 public:
  using Key = proto::TimelineKey;
  static constexpr std::uint64_t kJournalEveryBytes = std::uint64_t{16} << 20;

  using Clock = std::function<std::int64_t()>;  // Unix microseconds.

  // `journal` (may be null: nothing outlives the process) must outlive the slots. `clock`
  // stamps each use of a slot (none: uses are not stamped).
  explicit ReplicationSlots(SlotJournal* journal = nullptr, Clock clock = {})
      : journal_(journal), clock_(std::move(clock)) {}

  // A slot the journal kept, at start-up (not written back).
  void restore(const Key& timeline, ReplicationSlot slot);
  // Every slot of `timeline`, by name.
  std::vector<ReplicationSlot> of_timeline(const Key& timeline) const;

  // kInvalidArgument for a name PostgreSQL would refuse (lowercase letters, digits and '_',
  // at most 63), kAlreadyExists for a taken one; the journal's error if it cannot keep it.
  Status create(const Key& timeline, ReplicationSlot slot);
  // kNotFound, or kFailedPrecondition while a session streams with it; the journal's error.
  Status drop(const Key& timeline, const std::string& name);
  std::optional<ReplicationSlot> find(const Key& timeline, const std::string& name) const;
  // Marks the slot as streamed by `session`: kNotFound, or kFailedPrecondition if another has it.
  Status acquire(const Key& timeline, const std::string& name, std::uint64_t session);
  void release(const Key& timeline, const std::string& name, std::uint64_t session);
  // Moves restart_lsn forward (never back).
  void advance(const Key& timeline, const std::string& name, consensus::Lsn flushed);
  // The session ended: releases what it held and drops its temporary slots.
  void session_ended(std::uint64_t session);
  // Drops every slot no session has used for longer than `limit_us` (PostgreSQL's
  // max_slot_wal_keep_size, by time: one forgotten standby must not hold WAL for ever), temporary
  // and active ones aside. The dropped ones, by timeline and name; one the journal cannot drop
  // stays.
  std::vector<std::pair<Key, std::string>> drop_inactive(std::int64_t limit_us);

 private:
  struct Kept {
    ReplicationSlot slot;
    consensus::Lsn journaled_lsn;  // The restart LSN the journal holds.
  };
  // Writes the restart LSN if it moved since the journal last got it (`always`) or by
  // kJournalEveryBytes; a failure leaves it to the next time.
  void journal_progress(const Key& timeline, Kept& kept, bool always);

  void touch(ReplicationSlot& slot) const;

  SlotJournal* journal_;
  Clock clock_;
  std::map<std::pair<Key, std::string>, Kept> slots_;
};

}  // namespace sk::walsender
