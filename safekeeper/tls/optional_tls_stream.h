// OptionalTlsStream: a TCP connection that speaks TLS once start_tls() has made its TLS layer,
// plain before (or without) it. It models Asio's AsyncReadStream and AsyncWriteStream, so that
// asio::async_write and the frame readers use it as they use a socket: the proposer port (both
// its server and its clients), where TLS is a choice of the cluster. Included only by .cc files
// that already compile Asio's SSL.
#pragma once

#include <memory>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

namespace sk::tls {

class OptionalTlsStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using TlsLayer = boost::asio::ssl::stream<Socket&>;
  using executor_type = Socket::executor_type;

  explicit OptionalTlsStream(Socket socket) : socket_(std::move(socket)) {}
  // The TLS layer refers to the socket: the stream stays where it was made.
  OptionalTlsStream(const OptionalTlsStream&) = delete;
  OptionalTlsStream& operator=(const OptionalTlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  Socket& socket() { return socket_; }
  bool tls() const { return tls_ != nullptr; }

  // Makes the TLS layer over the socket with `context` (kept alive with it); the caller then
  // shakes hands on it. Reads and writes go through it from now on.
  TlsLayer& start_tls(std::shared_ptr<boost::asio::ssl::context> context) {
    context_ = std::move(context);
    tls_ = std::make_unique<TlsLayer>(socket_, *context_);
    return *tls_;
  }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

 private:
  Socket socket_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::unique_ptr<TlsLayer> tls_;
};

}  // namespace sk::tls
