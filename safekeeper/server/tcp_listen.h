// open_listener: a bound, listening TCP acceptor with SO_REUSEADDR (a restarted safekeeper gets
// its port back at once), or a clear error naming the address and what it was for. Listeners:
// the acceptors of one server, each accepting until close(). Included only by the .cc files that
// already compile Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "consensus/result.h"

namespace sk::safekeeper {

Result<std::unique_ptr<boost::asio::ip::tcp::acceptor>> open_listener(boost::asio::io_context& io,
                                                                      const std::string& host,
                                                                      std::uint16_t port,
                                                                      const std::string& purpose);

// The listening sockets of one server (io thread only). Each accepted connection goes to the
// `on_socket` given to listen() until close(); a failed accept is skipped.
class Listeners {
 public:
  using OnSocket = std::function<void(boost::asio::ip::tcp::socket)>;

  explicit Listeners(boost::asio::io_context& io) : io_(io) {}
  // Binds host:port and starts accepting; the bound port (useful with port 0), or open_listener's
  // error. `on_socket` may hold its server alive: it is released by close().
  Result<std::uint16_t> listen(const std::string& host, std::uint16_t port,
                               const std::string& purpose, OnSocket on_socket);
  // Stops accepting; connections already accepted are the server's to close.
  void close();

 private:
  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
};

}  // namespace sk::safekeeper
