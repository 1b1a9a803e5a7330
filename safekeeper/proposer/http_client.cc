// http_request; see http_client.h. Plain Asio (no Beast): one request, Connection: close, the
// whole answer read to EOF.
#include "safekeeper/proposer/http_client.h"

#include <array>
#include <cstdlib>
#include <functional>

#include <boost/asio.hpp>

namespace sk::proposer {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<HttpReply> http_request(const std::string& address, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::milliseconds timeout, const HttpHeaders& headers) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "HTTP address '" + address + "' is not host:port");
  }
  asio::io_context io;
  tcp::socket socket(io);
  tcp::resolver resolver(io);
  std::string response;
  boost::system::error_code result = asio::error::timed_out;
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: " + address +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
  }
  request += "\r\n" + body;
  std::array<char, 4096> buffer{};
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, std::size_t n) {
      response.append(buffer.data(), n);
      if (ec == asio::error::eof) {
        result = {};
      } else if (ec) {
        result = ec;
      } else {
        read_more();
      }
    });
  };
  boost::system::error_code resolve_ec;
  const auto endpoints =
      resolver.resolve(address.substr(0, colon), address.substr(colon + 1), resolve_ec);
  if (resolve_ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot resolve '" + address + "': " + resolve_ec.message());
  }
  asio::async_connect(socket, endpoints, [&](boost::system::error_code ec, const tcp::endpoint&) {
    if (ec) {
      result = ec;
      return;
    }
    asio::async_write(socket, asio::buffer(request),
                      [&](boost::system::error_code write_ec, std::size_t) {
                        if (write_ec) {
                          result = write_ec;
                          return;
                        }
                        read_more();
                      });
  });
  io.run_for(timeout);
  if (result) {
    return Error(ErrorCode::kUnavailable,
                 method + " http://" + address + target + ": " + result.message());
  }
  // "HTTP/1.1 201 Created\r\n...\r\n\r\nbody"
  const auto space = response.find(' ');
  const auto header_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || space == std::string::npos ||
      header_end == std::string::npos) {
    return Error(ErrorCode::kUnavailable, "not an HTTP response from " + address);
  }
  HttpReply reply;
  reply.status = std::atoi(response.c_str() + space + 1);
  reply.body = response.substr(header_end + 4);
  return reply;
}

}  // namespace sk::proposer
