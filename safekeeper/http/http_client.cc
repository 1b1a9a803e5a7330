// http_request; see http_client.h. Boost.Beast: one request with Connection: close, the whole
// answer parsed, every step under one deadline.
#include "safekeeper/http/http_client.h"

#include <limits>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sk::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

Result<HttpReply> http_request(const std::string& address, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::milliseconds timeout, const HttpHeaders& headers) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "HTTP address '" + address + "' is not host:port");
  }
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code resolve_ec;
  const auto endpoints =
      resolver.resolve(address.substr(0, colon), address.substr(colon + 1), resolve_ec);
  if (resolve_ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot resolve '" + address + "': " + resolve_ec.message());
  }

  bhttp::request<bhttp::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(bhttp::field::host, address);
  request.set(bhttp::field::content_type, "application/json");
  request.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.body() = body;
  request.prepare_payload();

  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // WAL segments are 16 MiB.
  boost::system::error_code result = asio::error::timed_out;
  stream.async_connect(endpoints, [&](boost::system::error_code ec, const tcp::endpoint&) {
    if (ec) {
      result = ec;
      return;
    }
    bhttp::async_write(stream, request, [&](boost::system::error_code write_ec, std::size_t) {
      if (write_ec) {
        result = write_ec;
        return;
      }
      bhttp::async_read(stream, buffer, parser,
                        [&](boost::system::error_code read_ec, std::size_t) { result = read_ec; });
    });
  });
  io.run();
  if (result == bhttp::error::end_of_stream || result == bhttp::error::partial_message ||
      result == asio::error::eof) {
    return Error(ErrorCode::kUnavailable, "no HTTP response from " + address);
  }
  if (result) {
    return Error(ErrorCode::kUnavailable,
                 method + " http://" + address + target + ": " + result.message());
  }
  HttpReply reply;
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = std::move(parser.get().body());
  return reply;
}

}  // namespace sk::http
