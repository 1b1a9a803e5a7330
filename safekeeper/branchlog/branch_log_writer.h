// BranchLogWriter: this node's proposer for the branch log. A change made through this node's
// HTTP API is proposed here: the writer gets itself elected by a majority of the safekeepers
// (the same consensus::Proposer the walproposer runs, over the same proposer port), appends the
// record, and reports it once a majority holds it and every acceptor has reported knowing the
// commit (or 1 s after the commit, when one is down or slow), so that a read through any node
// that is up sees the change when the client has its answer.
//
// Writers on different nodes compete by terms: electing one fences the other, whose records
// not yet committed are proposed again by its next term (the view applies a proposal once, so a
// record that made it after all is not applied twice). A writer stays elected while idle
// (heartbeats), which keeps lagging or restarted nodes caught up, and campaigns once at start so
// that the committed log reaches every node after a restart of the whole cluster.
//
// A record is handed to the proposer only while a majority of acceptors are streaming: with
// most of the cluster down a change fails by its deadline and has been sent nowhere, so it can
// never be applied later. A record that was sent but not committed by its deadline is reported
// as kUnavailable with "outcome unknown": it may still be applied.
//
// Threads: all on the io_context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/proposer/acceptor_links.h"
#include "safekeeper/proposer/network_timing.h"

namespace boost::asio {
class io_context;
}

namespace sk::safekeeper {

struct BranchLogWriterOptions {
  consensus::NodeId self;
  // Every safekeeper's proposer port, this one's included.
  std::vector<proposer::AcceptorAddress> peers;
  // This node's token (scope safekeeper), in each greeting to the peers, and its TLS client
  // context when the proposer ports speak TLS.
  proposer::ProposerCredentials credentials;
  std::chrono::milliseconds tick = proposer::kProposerTick;
  // After being fenced with records still to write, wait this long (plus jitter up to the same
  // again) before campaigning: two nodes taking writes at once must not fence each other on
  // every record.
  std::chrono::milliseconds fenced_backoff{20};
  // A peer answered a greeting (it has admitted this node, server/identity_check.h), and a
  // peer's connection ended with an error (a refusal among them). Either may be empty.
  std::function<void(consensus::NodeId)> on_acceptor_greeting;
  std::function<void(consensus::NodeId, const Error&)> on_connection_error;
};

class BranchLogWriter {
 public:
  using Clock = std::chrono::steady_clock;
  // The record's end LSN once it is committed; or kUnavailable when the deadline passed.
  using Done = std::function<void(Result<consensus::Lsn>)>;

  BranchLogWriter(boost::asio::io_context& io, BranchLogWriterOptions options);
  ~BranchLogWriter();
  BranchLogWriter(const BranchLogWriter&) = delete;
  BranchLogWriter& operator=(const BranchLogWriter&) = delete;

  // Campaigns now (see above).
  void start();
  // Proposes one record (branchmgr::encode_record); `done` is called exactly once, on the I/O
  // thread, never from within this call.
  void propose(std::vector<std::uint8_t> record, Clock::time_point deadline, Done done);
  // Fails what is pending with kUnavailable and closes the connections.
  void stop();

  struct Status {
    std::string phase;  // "idle", "greeting", "campaigning", "elected", "fenced", ...
    std::uint64_t term = 0;
    consensus::Lsn commit_lsn;
    std::size_t pending = 0;
    std::size_t streaming_acceptors = 0;
  };
  Status status() const;

  struct Impl;  // Defined in the .cc; public only so that its helpers can name it.

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::safekeeper
