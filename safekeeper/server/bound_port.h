// BoundPort: a TCP port bound and listening before the server that will accept on it exists.
// The daemon opens its ports first, so that a port in use stops a start before anything else
// is built, and every bound port (port 0 lets the kernel pick) is known to what is built after
// (/v1/status reports them). SO_REUSEADDR: a restarted safekeeper gets its port back at once.
// Asio stays out of this header, so the servers' headers can name it cheaply.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "consensus/result.h"

namespace boost::asio {
class io_context;
}

namespace sk::safekeeper {

class BoundPort {
 public:
  // kInvalidArgument for a malformed host; kIoError naming the address and `purpose` when the
  // bind or listen fails.
  static Result<BoundPort> open(boost::asio::io_context& io, const std::string& host,
                                std::uint16_t port, const std::string& purpose);

  BoundPort(BoundPort&&) noexcept;
  BoundPort& operator=(BoundPort&&) noexcept;
  ~BoundPort();

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  std::string address() const { return host_ + ":" + std::to_string(port_); }

  struct Acceptor;  // tcp_listen.h: the listening socket, for Listeners.
  std::unique_ptr<Acceptor> take_acceptor();

 private:
  BoundPort(std::unique_ptr<Acceptor> acceptor, std::string host, std::uint16_t port);

  std::unique_ptr<Acceptor> acceptor_;
  std::string host_;
  std::uint16_t port_ = 0;
};

}  // namespace sk::safekeeper
