// Listeners: the acceptors of one server, each accepting on a BoundPort until close(), and the
// limits every port shares: at most `per_port` connections open at once and `per_address` from
// one peer address (one more is closed as soon as it is accepted, and counted), and a pause
// instead of a spin when accept() fails for want of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM). Included only by the .cc files that already compile Asio.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "consensus/result.h"
#include "safekeeper/server/bound_port.h"
#include "safekeeper/server/connection_limits.h"

namespace sk::safekeeper {

struct BoundPort::Acceptor {
  boost::asio::ip::tcp::acceptor socket;
};

// A connection's place under the limits: held by the connection while it is open, freed when
// destroyed. Movable; any thread.
class Admission {
 public:
  struct Counts;  // Shared by a Listeners and its admissions (which may outlive it).
  Admission() = default;
  Admission(std::shared_ptr<Counts> counts, std::string address);
  Admission(Admission&&) noexcept = default;
  Admission& operator=(Admission&&) noexcept;
  ~Admission();

 private:
  void release();
  std::shared_ptr<Counts> counts_;
  std::string address_;
};

// The listening sockets of one server (io thread only). Each accepted connection within the
// limits goes, with its Admission, to the `on_socket` given to serve() until close().
class Listeners {
 public:
  using OnSocket = std::function<void(boost::asio::ip::tcp::socket, Admission)>;

  // `purpose` names the port in log lines ("proposers", "HTTP", ...).
  Listeners(boost::asio::io_context& io, std::string purpose, ConnectionLimits limits = {});
  // Starts accepting on `port`. `on_socket` may hold its server alive: it is released by close().
  void serve(BoundPort port, OnSocket on_socket);
  // Stops accepting; connections already accepted are the server's to close.
  void close();
  const ListenerStats& stats() const;

  struct Acceptance;  // One acceptor's loop (tcp_listen.cc).

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<Admission::Counts> counts_;
  std::vector<std::shared_ptr<Acceptance>> acceptances_;
};

}  // namespace sk::safekeeper
