// AcceptorLinks: a proposer's TCP connections to its acceptors, one each, framed as the
// proposer port expects (length-prefixed wire frames), over TLS when its credentials say so. A send
// to an acceptor without a connection starts one and is dropped; once connected, on_connected()
// lets the driver begin a fresh session there (a greeting first, as the server requires). An
// acceptor's host may be a name: it is resolved again on every connect. A connect that fails, or
// has not finished (TLS handshake included) within 2 s, waits `reconnect_delay` before the next
// attempt; a send that came during that wait starts the next attempt when it ends. A broken
// connection calls on_disconnected().
//
// Threads: all on the io_context's thread. Asio stays out of this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consensus/messages.h"
#include "consensus/result.h"
#include "proto/codec.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace sk::proposer {

struct AcceptorAddress {
  consensus::NodeId id;
  std::string host;
  std::uint16_t port = 0;
};

// What a proposer shows its acceptors: a token, in every ProposerGreeting (auth/token.h; empty:
// none), and, when their proposer ports speak TLS, the client context it connects with
// (tls::client_context: the CA their certificates are checked against, host name included, and
// its own certificate for mutual TLS). nullptr: plain TCP.
struct ProposerCredentials {
  std::string token;
  std::shared_ptr<boost::asio::ssl::context> tls;
  // A safekeeper node's data-directory incarnation (storage/peer_incarnations.h), in every
  // ProposerGreeting; 0: the proposer is not a node.
  std::uint64_t incarnation = 0;
};

struct AcceptorLinkHandlers {
  std::function<void(consensus::NodeId)> on_connected;
  std::function<void(consensus::NodeId, const consensus::Message&)> on_message;
  std::function<void(consensus::NodeId, const Error&)> on_disconnected;
};

class AcceptorLinks {
 public:
  AcceptorLinks(boost::asio::io_context& io, proto::TimelineKey key,
                std::vector<AcceptorAddress> acceptors, AcceptorLinkHandlers handlers,
                std::chrono::milliseconds reconnect_delay = std::chrono::milliseconds(100),
                ProposerCredentials credentials = {});
  ~AcceptorLinks();
  AcceptorLinks(const AcceptorLinks&) = delete;
  AcceptorLinks& operator=(const AcceptorLinks&) = delete;

  void send(consensus::NodeId acceptor, const consensus::Message& message);
  void drop(consensus::NodeId acceptor, const Error& why);
  // A new proposer takes over (a membership change, ProposerDriver::restart): every connection
  // is closed without a call to on_disconnected, and `acceptors` become the links (new ones
  // added, addresses updated; others stay closed). The next send to one connects afresh, so the
  // new proposer's session begins with its own greeting.
  void restart(const std::vector<AcceptorAddress>& acceptors);
  void close_all();

  struct Stats {
    std::uint64_t connects = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
  };
  Stats stats() const;

  struct Impl;  // Defined in the .cc; public only so that its helpers can name it.

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::proposer
