// IdentityCheck: keeps a node whose data directory was lost from passing for the node it was.
// Such a node has forgotten the terms it promised and the WAL it acknowledged; counted in a
// quorum again, it could vote twice in one term or let a committed record be lost. It must join
// under a new id instead (a membership change).
//
// Every data directory has a random incarnation (node.h). Each node's branch-log writer greets
// every peer with it; each peer records the first incarnation it sees per node id
// (storage/peer_incarnations.h) and refuses another one with IDENTITY_CONFLICT, which stops the
// node that came back. A new data directory serves no vote and no WAL until
// confirmations_needed() peers have recorded its incarnation (their AcceptorGreeting to its
// writer says so). Any two such sets of peers intersect, so a directory wiped after its first
// confirmation always meets a peer that remembers the old one. Until then the proposer port
// answers greetings (the peers' own checks need them) but nothing else, and /readyz says why.
//
// Threads: admit(), serving() and on_admitted() on the I/O thread; describe() from any.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/node/node.h"

namespace sk::safekeeper {

class IdentityCheck {
 public:
  // `cluster`: every node of --peers, this one included. `node` must outlive the check.
  IdentityCheck(Node& node, std::vector<consensus::NodeId> cluster);

  // Peers, besides this node, that must record a new incarnation before the node serves: more
  // than half of the others, so that two such sets always share a peer (0 when alone).
  static std::size_t confirmations_needed(std::size_t cluster_size);

  // A branch-log greeting from `peer` carrying `incarnation`: recorded if it is the first;
  // kIdentityConflict if `peer` is known here by another one. This node's own greeting passes.
  Status admit(consensus::NodeId peer, std::uint64_t incarnation);
  // OK once this node's incarnation is confirmed; kUnavailable before.
  Status serving() const;
  // `peer` answered this node's writer with an AcceptorGreeting: it has recorded our
  // incarnation. Confirms it (durably) once enough peers have.
  void on_admitted(consensus::NodeId peer);

  bool confirmed() const;
  // "confirmed", or what it waits for, for /readyz and the log.
  std::string describe() const;

 private:
  Node& node_;
  const std::vector<consensus::NodeId> cluster_;
  const std::size_t needed_;
  mutable std::mutex mutex_;
  std::set<consensus::NodeId> admitted_by_;
};

}  // namespace sk::safekeeper
