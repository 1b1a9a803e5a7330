// HttpApi; see http_api.h.
#include "safekeeper/server/http_api.h"

#include <chrono>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "safekeeper/server/tcp_listen.h"

namespace sk::safekeeper {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(30);

}  // namespace

struct HttpApi::Impl : std::enable_shared_from_this<HttpApi::Impl> {
  Impl(asio::io_context& io_context, ApiRoutes& api_routes)
      : io(io_context), routes(api_routes), listeners(io_context) {}

  asio::io_context& io;
  ApiRoutes& routes;
  Listeners listeners;
  std::uint64_t next_request_id = 1;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpApi::Impl> api, tcp::socket socket)
      : api_(std::move(api)), stream_(std::move(socket)) {}

  void read_request() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kRequestTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
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
      api_request.request_id = std::string(it->value());
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
    stream_.expires_never();  // The route may wait for an fdatasync round; no deadline on us.
    request_id_ = api_request.request_id;
    api_->routes.handle(std::move(api_request),
                        [self = shared_from_this(), keep_alive, head](ApiResponse response) {
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
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
                        if (ec || !response->keep_alive()) {
                          self->close();
                          return;
                        }
                        self->read_request();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  std::shared_ptr<HttpApi::Impl> api_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string request_id_;
};

}  // namespace

HttpApi::HttpApi(asio::io_context& io, ApiRoutes& routes)
    : impl_(std::make_shared<Impl>(io, routes)) {}

HttpApi::~HttpApi() = default;

void HttpApi::serve(BoundPort port) {
  impl_->listeners.serve(std::move(port), [impl = impl_](tcp::socket socket) {
    std::make_shared<Session>(impl, std::move(socket))->read_request();
  });
}

void HttpApi::stop() {
  impl_->listeners.close();
}

}  // namespace sk::safekeeper
