// HttpApi; see http_api.h.
#include "safekeeper/server/http_api.h"

#include <chrono>
#include <concepts>
#include <cstdio>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "safekeeper/log/log.h"
#include "safekeeper/server/request_target.h"
#include "safekeeper/server/tcp_listen.h"

namespace sk::safekeeper {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

}  // namespace

struct HttpApi::Impl : std::enable_shared_from_this<HttpApi::Impl> {
  Impl(asio::io_context& io_context, ApiRoutes& api_routes, const tls::ServerContext* server_tls,
       ConnectionLimits limits, std::chrono::milliseconds request_arrival_timeout,
       std::chrono::milliseconds response_write_timeout)
      : io(io_context),
        routes(api_routes),
        tls(server_tls),
        request_timeout(request_arrival_timeout),
        write_timeout(response_write_timeout),
        listeners(io_context, "HTTP", limits) {}

  asio::io_context& io;
  ApiRoutes& routes;
  const tls::ServerContext* tls;
  const std::chrono::milliseconds request_timeout;
  const std::chrono::milliseconds write_timeout;
  Listeners listeners;
  std::uint64_t next_request_id = 1;
};

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct AccessLogEntry {
  std::string method;
  std::string route;  // route_template(): ids replaced by what they name.
  std::string request_id;
  std::chrono::steady_clock::time_point start;
};

// One line per answered request. Probes and scrapes come every few seconds from machines, and
// say nothing a reader of the log needs: they are logged at debug level only.
void log_access(const AccessLogEntry& entry, int status) {
  const bool routine =
      entry.route == "/healthz" || entry.route == "/readyz" || entry.route == "/metrics";
  const LogLevel level = routine ? LogLevel::kDebug : LogLevel::kInfo;
  if (!log_enabled(level)) {
    return;
  }
  const double millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - entry.start)
          .count();
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.3f", millis);
  log_line(level, "http request",
           {{"method", entry.method},
            {"route", entry.route},
            {"status", std::to_string(status), true},
            {"duration_ms", duration, true},
            {"request_id", entry.request_id}});
}

// One connection: Stream is beast::tcp_stream, or TlsStream when the port speaks TLS.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::shared_ptr<HttpApi::Impl> api, tcp::socket socket,
          Admission admission) requires std::same_as<Stream, beast::tcp_stream>
      : api_(std::move(api)), stream_(std::move(socket)), admission_(std::move(admission)) {}
  Session(std::shared_ptr<HttpApi::Impl> api, tcp::socket socket, Admission admission,
          asio::ssl::context& context) requires std::same_as<Stream, TlsStream>
      : api_(std::move(api)),
        stream_(std::move(socket), context),
        admission_(std::move(admission)) {}

  void keep(std::shared_ptr<asio::ssl::context> context) { context_ = std::move(context); }

  void start() {
    if constexpr (std::same_as<Stream, TlsStream>) {
      lowest().expires_after(api_->request_timeout);  // The handshake counts against the request.
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  self->close();  // Not TLS, or a client that does not trust us.
                                  return;
                                }
                                self->read_request();
                              });
    } else {
      read_request();
    }
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read_request() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    lowest().expires_after(api_->request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      close();
      return;
    }
    if (ec == http::error::body_limit) {
      ApiResponse response;
      response.status = 413;
      response.body =
          R"({"error":{"code":"INVALID_ARGUMENT","message":"request body above 1 MiB","request_id":""}})";
      response.body += '\n';
      write(std::move(response), false);
      return;
    }
    if (ec) {
      close();  // Not HTTP: nothing sensible to answer.
      return;
    }
    const auto& request = parser_->get();
    ApiRequest api_request;
    api_request.method = std::string(request.method_string());
    api_request.target = std::string(request.target());
    api_request.body = request.body();
    if (auto it = request.find("X-Request-ID"); it != request.end()) {
      constexpr std::size_t kMaxRequestIdBytes = 128;  // It is logged and echoed.
      api_request.request_id = std::string(it->value().substr(0, kMaxRequestIdBytes));
    } else {
      api_request.request_id = "req-" + std::to_string(api_->next_request_id++);
    }
    if (auto it = request.find("Idempotency-Key"); it != request.end()) {
      api_request.idempotency_key = std::string(it->value());
    }
    if (auto it = request.find(http::field::authorization); it != request.end()) {
      api_request.authorization = std::string(it->value());
    }
    const bool keep_alive = request.keep_alive();
    const bool head = request.method() == http::verb::head;
    lowest().expires_never();  // The route may wait for an fdatasync round; no deadline on us.
    request_id_ = api_request.request_id;
    AccessLogEntry entry{api_request.method, route_template(path_segments(api_request.target)),
                         api_request.request_id, std::chrono::steady_clock::now()};
    api_->routes.handle(std::move(api_request), [self = this->shared_from_this(), keep_alive, head,
                                                 entry = std::move(entry)](ApiResponse response) {
      log_access(entry, response.status);
      if (head) {
        response.body.clear();
      }
      self->write(std::move(response), keep_alive);
    });
  }

  void write(ApiResponse api_response, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->result(static_cast<unsigned>(api_response.status));
    response->version(11);
    response->set(http::field::server, "safekeeper");
    response->set(http::field::content_type, api_response.content_type);
    if (!request_id_.empty()) {
      response->set("X-Request-ID", request_id_);
    }
    for (auto& [name, value] : api_response.headers) {
      response->set(name, value);
    }
    response->body() = std::move(api_response.body);
    response->keep_alive(keep_alive);
    response->prepare_payload();
    lowest().expires_after(api_->write_timeout);  // A client that stops reading is dropped.
    http::async_write(
        stream_, *response,
        [self = this->shared_from_this(), response](beast::error_code ec, std::size_t) {
          if (ec || !response->keep_alive()) {
            self->close();
            return;
          }
          self->read_request();
        });
  }

  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().socket().close(ignored);
  }

  std::shared_ptr<HttpApi::Impl> api_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string request_id_;
  Admission admission_;                          // Its place under the port's connection limits.
  std::shared_ptr<asio::ssl::context> context_;  // The TLS context the stream was made with.
};

}  // namespace

HttpApi::HttpApi(asio::io_context& io, ApiRoutes& routes, const tls::ServerContext* tls,
                 ConnectionLimits limits, std::chrono::milliseconds request_timeout,
                 std::chrono::milliseconds write_timeout)
    : impl_(std::make_shared<Impl>(io, routes, tls, limits, request_timeout, write_timeout)) {}

HttpApi::~HttpApi() = default;

const ListenerStats& HttpApi::listener_stats() const {
  return impl_->listeners.stats();
}

void HttpApi::serve(BoundPort port) {
  impl_->listeners.serve(std::move(port), [impl = impl_](tcp::socket socket, Admission admission) {
    if (impl->tls != nullptr) {
      // The context is taken per connection, so a reload (SIGHUP) applies to the next one; the
      // session keeps its context alive.
      auto context = impl->tls->current();
      auto session = std::make_shared<Session<TlsStream>>(impl, std::move(socket),
                                                          std::move(admission), *context);
      session->keep(std::move(context));
      session->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(impl, std::move(socket), std::move(admission))
          ->start();
    }
  });
}

void HttpApi::stop() {
  impl_->listeners.close();
}

}  // namespace sk::safekeeper
