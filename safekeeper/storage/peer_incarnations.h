// PeerIncarnations: the data directory each peer was first seen with, kept in the LMDB database
// `meta` under "peer_incarnation/<node id>" (16 hex digits). A node whose data directory is lost
// and comes back under its old id has forgotten its votes and the WAL it acknowledged; it must
// not count in any quorum again. Every node therefore records the incarnation (a random number
// made with the data directory, node.h) each peer greets it with, and refuses a peer that comes
// back with another one (identity_check.h says who asks and how many answers are enough).
// Each admission is one durable LMDB transaction; call it from one thread at a time.
#pragma once

#include <cstdint>
#include <optional>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/storage/lmdb_env.h"

namespace sk::storage {

class PeerIncarnations {
 public:
  // `env` must outlive the store.
  explicit PeerIncarnations(LmdbEnv& env) : env_(env) {}

  // Records `incarnation` (not 0) for `peer` if it has none yet. nullopt: admitted (new, or the
  // one recorded); otherwise the other incarnation recorded for it. kCorruption for a record
  // that is not 16 hex digits.
  Result<std::optional<std::uint64_t>> admit(consensus::NodeId peer, std::uint64_t incarnation);
  // The incarnation recorded for `peer`, if any.
  Result<std::optional<std::uint64_t>> recorded(consensus::NodeId peer) const;

 private:
  LmdbEnv& env_;
};

// 16 lowercase hex digits, as stored and logged; and back (nullopt unless exactly that).
std::string format_incarnation(std::uint64_t incarnation);
std::optional<std::uint64_t> parse_incarnation(std::string_view text);

}  // namespace sk::storage
