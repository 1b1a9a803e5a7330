// http_request; see http_client.h. Boost.Beast: one request with Connection: close, the whole
// answer parsed, every step under one deadline; over TLS for https:// addresses.
#include "safekeeper/http/http_client.h"

#include <limits>
#include <mutex>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "safekeeper/tls/tls_context.h"

namespace sk::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr std::string_view kHttps = "https://";
constexpr std::string_view kHttp = "http://";

std::mutex ca_mutex;
std::filesystem::path trusted_ca;  // Empty: the system's CAs.

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Connects (and shakes hands, for TLS), writes `request`, reads the answer into `parser`.
// Returns the first error, or asio::error::timed_out when the deadline passed.
template <class Stream>
boost::system::error_code exchange(asio::io_context& io, Stream& stream,
                                   const tcp::resolver::results_type& endpoints,
                                   bhttp::request<bhttp::string_body>& request,
                                   bhttp::response_parser<bhttp::string_body>& parser) {
  beast::flat_buffer buffer;
  boost::system::error_code result = asio::error::timed_out;
  auto send = [&] {
    bhttp::async_write(stream, request, [&](boost::system::error_code write_ec, std::size_t) {
      if (write_ec) {
        result = write_ec;
        return;
      }
      bhttp::async_read(stream, buffer, parser,
                        [&](boost::system::error_code read_ec, std::size_t) { result = read_ec; });
    });
  };
  beast::get_lowest_layer(stream).async_connect(
      endpoints, [&](boost::system::error_code ec, const tcp::endpoint&) {
        if (ec) {
          result = ec;
          return;
        }
        if constexpr (std::is_same_v<Stream, TlsStream>) {
          stream.async_handshake(asio::ssl::stream_base::client,
                                 [&](boost::system::error_code handshake_ec) {
                                   if (handshake_ec) {
                                     result = handshake_ec;
                                     return;
                                   }
                                   send();
                                 });
        } else {
          send();
        }
      });
  io.run();
  return result;
}

}  // namespace

void set_trusted_ca(const std::filesystem::path& ca_file) {
  std::lock_guard lock(ca_mutex);
  trusted_ca = ca_file;
}

Result<HttpReply> http_request(const std::string& url_or_address, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::milliseconds timeout, const HttpHeaders& headers) {
  std::string address = url_or_address;
  const bool secure = address.starts_with(kHttps);
  if (secure) {
    address.erase(0, kHttps.size());
  } else if (address.starts_with(kHttp)) {
    address.erase(0, kHttp.size());
  }
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "HTTP address '" + address + "' is not host:port");
  }
  const std::string host = address.substr(0, colon);
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code resolve_ec;
  const auto endpoints = resolver.resolve(host, address.substr(colon + 1), resolve_ec);
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

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // WAL segments are 16 MiB.
  boost::system::error_code result;
  if (secure) {
    std::filesystem::path ca;
    {
      std::lock_guard lock(ca_mutex);
      ca = trusted_ca;
    }
    tls::ClientFiles files;
    files.ca_file = ca;
    auto context = tls::client_context(files);
    if (!context) {
      return context.error();
    }
    TlsStream stream(io, **context);
    // The name the certificate must carry, also sent as SNI.
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    beast::get_lowest_layer(stream).expires_after(timeout);
    result = exchange(io, stream, endpoints, request, parser);
  } else {
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    result = exchange(io, stream, endpoints, request, parser);
  }
  if (result == bhttp::error::end_of_stream || result == bhttp::error::partial_message ||
      result == asio::error::eof) {
    return Error(ErrorCode::kUnavailable, "no HTTP response from " + address);
  }
  if (result) {
    return Error(ErrorCode::kUnavailable, method + " " + (secure ? "https://" : "http://") +
                                              address + target + ": " + result.message());
  }
  HttpReply reply;
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = std::move(parser.get().body());
  return reply;
}

}  // namespace sk::http
