// Ready: the effects a step of the Acceptor or Proposer asks its driver to carry out. The state
// machines do no I/O; the driver (safekeeper::Timeline, the walproposer, the simulator) does.
//
// THE RULE (etcd's Ready contract, Neon's "persist, then publish"):
//   The driver carries out a Ready in this order, and must not reorder it:
//     1. truncate_wal_at: drop every WAL byte at and after this LSN;
//     2. wal_write: write these bytes at this LSN;
//     3. if must_sync: fdatasync the WAL (making 1 and 2 durable);
//     4. persist: durably store this acceptor state (LMDB commit);
//     5. only then send `messages` (filling a ReadWalResponse's bytes from the WAL first).
//   Nothing in `messages` may leave before 1-4 are durable: a vote, an acknowledgement or a
//   commit LSN derived from state that a crash could take back breaks the protocol's promises.
//   Truncation is durable before the new history is: a crash in between leaves the old history
//   cut at the shorter log, which is still true. The driver may merge several Readys into one
//   fdatasync (group commit), as long as no message of any of them leaves before it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/acceptor_state.h"
#include "consensus/messages.h"

namespace sk::consensus {

struct Outbound {
  NodeId to;
  Message message;
  // For a ReadWalResponse: the driver fills `wal` with its WAL bytes [begin_lsn, end_lsn)
  // before sending. The state machine has checked that the range is durable and in its term.
  bool attach_wal = false;
};

struct WalWrite {
  Lsn begin_lsn;
  std::vector<std::uint8_t> bytes;
};

struct Ready {
  std::optional<Lsn> truncate_wal_at;
  std::optional<WalWrite> wal_write;
  bool must_sync = false;
  std::optional<AcceptorState> persist;
  // Proposer only: acceptors given up as silent. Their connections are to be closed, before
  // `messages` go out, and opened afresh: a stream that went silent may have lost bytes, so
  // nothing more may be sent on it (a greeting on the old one could wait forever).
  std::vector<NodeId> reconnect;
  std::vector<Outbound> messages;

  bool empty() const {
    return !truncate_wal_at && !wal_write && !must_sync && !persist && reconnect.empty() &&
           messages.empty();
  }
};

}  // namespace sk::consensus
