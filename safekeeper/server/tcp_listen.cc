// BoundPort and Listeners; see bound_port.h and tcp_listen.h.
#include "safekeeper/server/tcp_listen.h"

#include <boost/asio/ip/address.hpp>

namespace sk::safekeeper {

using boost::asio::ip::tcp;

Result<BoundPort> BoundPort::open(boost::asio::io_context& io, const std::string& host,
                                  std::uint16_t port, const std::string& purpose) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "bad " + purpose + " listen address '" + host + "': " + ec.message());
  }
  auto acceptor = std::make_unique<Acceptor>(Acceptor{tcp::acceptor(io)});
  const tcp::endpoint endpoint(address, port);
  acceptor->socket.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor->socket.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor->socket.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor->socket.listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot listen on " + host + ":" + std::to_string(port) +
                                          " for " + purpose + ": " + ec.message());
  }
  const std::uint16_t bound = acceptor->socket.local_endpoint().port();
  return BoundPort(std::move(acceptor), host, bound);
}

BoundPort::BoundPort(std::unique_ptr<Acceptor> acceptor, std::string host, std::uint16_t port)
    : acceptor_(std::move(acceptor)), host_(std::move(host)), port_(port) {}
BoundPort::BoundPort(BoundPort&&) noexcept = default;
BoundPort& BoundPort::operator=(BoundPort&&) noexcept = default;
BoundPort::~BoundPort() = default;

std::unique_ptr<BoundPort::Acceptor> BoundPort::take_acceptor() {
  return std::move(acceptor_);
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

void Listeners::serve(BoundPort port, OnSocket on_socket) {
  std::unique_ptr<BoundPort::Acceptor> acceptor = port.take_acceptor();
  accept_next(acceptor->socket, std::move(on_socket));
  acceptors_.push_back(std::move(acceptor));
}

void Listeners::close() {
  for (auto& acceptor : acceptors_) {
    boost::system::error_code ignored;
    acceptor->socket.close(ignored);
  }
}

}  // namespace sk::safekeeper
