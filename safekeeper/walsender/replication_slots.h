// ReplicationSlots: the physical replication slots readers create on this safekeeper, per
// timeline. A slot remembers how far its reader has flushed (restart_lsn, moved by the reader's
// status updates) and is held by at most one streaming session at a time; a temporary slot goes
// away with the session that created it.
//
// Kept in memory: a restarted safekeeper has no slots, and a reader that names one gets
// "does not exist" (pg_receivewal --create-slot --if-not-exists makes it again). No WAL is ever
// removed on their account yet: every safekeeper keeps a timeline's whole WAL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "consensus/result.h"
#include "consensus/types.h"
#include "proto/codec.h"

namespace sk::walsender {

struct ReplicationSlot {
  std::string name;
  consensus::Lsn restart_lsn;  // 0/0 until WAL is reserved.
  bool temporary = false;
  std::uint64_t owner = 0;   // The session that created a temporary slot.
  std::uint64_t active = 0;  // The session streaming with it; 0 when none.
};

class ReplicationSlots {
 public:
  using Key = proto::TimelineKey;

  // kInvalidArgument for a name PostgreSQL would refuse (lowercase letters, digits and '_',
  // at most 63), kAlreadyExists for a taken one.
  Status create(const Key& timeline, ReplicationSlot slot);
  // kNotFound, or kFailedPrecondition while a session streams with it.
  Status drop(const Key& timeline, const std::string& name);
  std::optional<ReplicationSlot> find(const Key& timeline, const std::string& name) const;
  // Marks the slot as streamed by `session`: kNotFound, or kFailedPrecondition if another has it.
  Status acquire(const Key& timeline, const std::string& name, std::uint64_t session);
  void release(const Key& timeline, const std::string& name, std::uint64_t session);
  // Moves restart_lsn forward (never back).
  void advance(const Key& timeline, const std::string& name, consensus::Lsn flushed);
  // The session ended: releases what it held and drops its temporary slots.
  void session_ended(std::uint64_t session);

 private:
  std::map<std::pair<Key, std::string>, ReplicationSlot> slots_;
};

}  // namespace sk::walsender
