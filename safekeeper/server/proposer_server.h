// ProposerServer: the proposer protocol's TCP port. Splits each connection's bytes into frames
// (proto/framing.h), decodes them (the first must be a ProposerGreeting, which names the
// connection's timeline), hands the messages to the StorageWorker and writes the replies back
// in order. It holds no consensus state: one connection's bad frame, unknown timeline or wrong
// system id sends that connection an error frame and closes it, and nothing else changes. With
// tokens on, the greeting's token is checked before its timeline is looked at: a proposer
// without the right to write that timeline gets UNAUTHENTICATED or PERMISSION_DENIED and never
// reaches a vote. A node's greeting of the branch log carries its data directory's incarnation,
// checked by IdentityCheck before the greeting goes further.
//
// Back-pressure: a connection stops reading while its submitted-but-unanswered bytes or its
// unsent reply bytes exceed their bounds, so a fast proposer waits for the disk (TCP's window
// then holds it) instead of growing our buffers.
//
// Threads: everything runs on the io_context's thread, except deliver(), which the worker calls.
// Asio stays out of this header (a forward declaration) so few translation units compile it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/auth/authenticator.h"
#include "safekeeper/server/bound_port.h"
#include "safekeeper/server/connection_limits.h"
#include "safekeeper/server/identity_check.h"
#include "safekeeper/server/storage_worker.h"
#include "safekeeper/tls/tls_context.h"

namespace boost::asio {
class io_context;
}

namespace sk::safekeeper {

struct ProposerServerOptions {
  // Checks the greeting's token: writing a tenant's WAL needs that tenant's write scope or the
  // safekeeper scope, the branch log's the safekeeper scope (auth/grant.h). nullptr: no check.
  const auth::Authenticator* auth = nullptr;
  // With `tls`, the port speaks TLS only; with the client CA of its files, a client must
  // present a certificate that CA signed (mutual TLS: nodes and walproposers). nullptr: plain.
  const tls::ServerContext* tls = nullptr;
  // Records the incarnation of each node that greets the branch log, refusing a node back with
  // a wiped data directory; and, while this node's own is unconfirmed, refuses every frame but
  // greetings. nullptr: no check (a node without peers).
  IdentityCheck* identity = nullptr;
  // Submitted to the worker and not answered yet, per connection.
  std::size_t max_inflight_bytes = std::size_t{8} << 20;
  // Replies waiting for the socket, per connection.
  std::size_t max_unsent_bytes = std::size_t{8} << 20;
  ConnectionLimits limits;
  // A connection without its greeting this long after it opened, or without any frame for
  // idle_timeout after it, is closed (proposers send heartbeats every 0.1 s).
  std::chrono::milliseconds greeting_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
};

// A connection as the HTTP API reports it.
struct ProposerConnectionInfo {
  std::uint64_t id = 0;
  std::string peer;  // "address:port".
  std::optional<storage::TimelineKey> timeline;
  consensus::NodeId proposer_id;
};

struct ProposerServerStats {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> connections_refused{0};  // Closed with an error frame.
};

class ProposerServer {
 public:
  ProposerServer(boost::asio::io_context& io, StorageWorker& worker,
                 ProposerServerOptions options = {});
  ~ProposerServer();
  ProposerServer(const ProposerServer&) = delete;
  ProposerServer& operator=(const ProposerServer&) = delete;

  // Starts accepting on `port` (bound_port.h).
  void serve(BoundPort port);
  // The worker's results; any thread.
  void deliver(std::vector<StorageWorker::Completion> completions);
  // Stops accepting and closes every connection (io thread).
  void stop();

  // io thread only.
  std::vector<ProposerConnectionInfo> connections() const;
  const ProposerServerStats& stats() const;
  const ListenerStats& listener_stats() const;

  // Defined in the .cc; public only so that its file-local helpers can name it.
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::safekeeper
