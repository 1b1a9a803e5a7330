// Listeners: the acceptors of one server, each accepting on a BoundPort until close(). Included
// only by the .cc files that already compile Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "consensus/result.h"
#include "safekeeper/server/bound_port.h"

namespace sk::safekeeper {

struct BoundPort::Acceptor {
  boost::asio::ip::tcp::acceptor socket;
};

// The listening sockets of one server (io thread only). Each accepted connection goes to the
// `on_socket` given to listen() until close(); a failed accept is skipped.
class Listeners {
 public:
  using OnSocket = std::function<void(boost::asio::ip::tcp::socket)>;

  explicit Listeners(boost::asio::io_context& io) : io_(io) {}
  // Starts accepting on `port`. `on_socket` may hold its server alive: it is released by close().
  void serve(BoundPort port, OnSocket on_socket);
  // Stops accepting; connections already accepted are the server's to close.
  void close();

 private:
  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<BoundPort::Acceptor>> acceptors_;
};

}  // namespace sk::safekeeper
