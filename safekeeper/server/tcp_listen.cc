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

namespace {

void accept_next(tcp::acceptor& acceptor, Listeners::OnSocket on_socket) {
  acceptor.async_accept([&acceptor, on_socket = std::move(on_socket)](boost::system::error_code ec,
                                                                      tcp::socket socket) mutable {
    if (ec == boost::asio::error::operation_aborted || !acceptor.is_open()) {
      return;  // Closed: the handler, and the server it holds, are released.
    }
    if (!ec) {
      on_socket(std::move(socket));
    }
    accept_next(acceptor, std::move(on_socket));
  });
}

}  // namespace

Result<std::uint16_t> Listeners::listen(const std::string& host, std::uint16_t port,
                                        const std::string& purpose, OnSocket on_socket) {
  auto acceptor = open_listener(io_, host, port, purpose);
  if (!acceptor) {
    return acceptor.error();
  }
  const std::uint16_t bound = (*acceptor)->local_endpoint().port();
  accept_next(**acceptor, std::move(on_socket));
  acceptors_.push_back(std::move(*acceptor));
  return bound;
}

void Listeners::close() {
  for (auto& acceptor : acceptors_) {
    boost::system::error_code ignored;
    acceptor->close(ignored);
  }
}

}  // namespace sk::safekeeper
