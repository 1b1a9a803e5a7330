// open_listener; see tcp_listen.h.
#include "safekeeper/server/tcp_listen.h"

#include <boost/asio/ip/address.hpp>

namespace sk::safekeeper {

using boost::asio::ip::tcp;

Result<std::unique_ptr<tcp::acceptor>> open_listener(boost::asio::io_context& io,
                                                     const std::string& host, std::uint16_t port,
                                                     const std::string& purpose) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "bad " + purpose + " listen address '" + host + "': " + ec.message());
  }
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  const tcp::endpoint endpoint(address, port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor->bind(endpoint, ec);
  }
  if (!ec) {
    acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot listen on " + host + ":" + std::to_string(port) +
                                          " for " + purpose + ": " + ec.message());
  }
  return acceptor;
}

}  // namespace sk::safekeeper
