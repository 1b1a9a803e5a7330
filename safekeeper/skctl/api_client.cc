// ApiClient; see api_client.h.
#include "safekeeper/skctl/api_client.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "safekeeper/http/http_client.h"

namespace sk::skctl {
namespace {

// The server's {"error": {"code", "message"}}, or the status and body when it is not that.
Error server_error(int status, const std::string& body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const auto* error = parsed.get_object().if_contains("error");
    if (error != nullptr && error->is_object()) {
      const auto* code = error->get_object().if_contains("code");
      const auto* message = error->get_object().if_contains("message");
      const auto known = code != nullptr && code->is_string()
                             ? error_code_from_name(code->get_string())
                             : std::nullopt;
      return Error(known.value_or(ErrorCode::kInternal), message != nullptr && message->is_string()
                                                             ? std::string(message->get_string())
                                                             : body);
    }
  }
  return Error(status == 503 ? ErrorCode::kUnavailable : ErrorCode::kInternal,
               "HTTP " + std::to_string(status) + ": " + body.substr(0, 200));
}

}  // namespace

Result<ApiReply> ApiClient::call(
    const std::string& method, const std::string& target,
    const std::optional<boost::json::value>& body,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  std::string unreachable;
  for (const std::string& address : addresses_) {
    bool reached = false;
    auto reply = request(address, method, target, body, headers, std::chrono::seconds(30), reached);
    if (reached) {
      return reply;  // An answer, even a refusal: another node would give the same.
    }
    unreachable += (unreachable.empty() ? "" : "; ") + reply.error().message();
  }
  return Error(ErrorCode::kUnavailable,
               addresses_.empty() ? "no safekeeper address given" : unreachable);
}

Result<ApiReply> ApiClient::call_at(const std::string& address, const std::string& method,
                                    const std::string& target,
                                    const std::optional<boost::json::value>& body,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::chrono::milliseconds timeout) const {
  bool reached = false;
  return request(address, method, target, body, headers, timeout, reached);
}

Result<ApiReply> ApiClient::request(const std::string& address, const std::string& method,
                                    const std::string& target,
                                    const std::optional<boost::json::value>& body,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::chrono::milliseconds timeout, bool& reached) const {
  auto reply =
      http::http_request(address, method, target, body ? boost::json::serialize(*body) : "",
                         timeout, with_token(headers));
  if (!reply) {
    return Error(ErrorCode::kUnavailable,
                 "cannot reach safekeeper " + address + ": " + reply.error().message());
  }
  reached = true;
  if (reply->status / 100 != 2) {
    return server_error(reply->status, reply->body);
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(reply->body, ec);
  if (ec) {
    return Error(ErrorCode::kInternal,
                 "safekeeper " + address + " answered with invalid JSON: " + ec.message());
  }
  return ApiReply{address, reply->status, std::move(parsed)};
}

Result<std::string> ApiClient::fetch_at(const std::string& address,
                                        const std::string& target) const {
  auto reply =
      http::http_request(address, "GET", target, "", std::chrono::seconds(60), with_token({}));
  if (!reply) {
    return Error(ErrorCode::kUnavailable,
                 "cannot reach safekeeper " + address + ": " + reply.error().message());
  }
  if (reply->status != 200) {
    return server_error(reply->status, reply->body);
  }
  return std::move(reply->body);
}

std::vector<std::pair<std::string, std::string>> ApiClient::with_token(
    std::vector<std::pair<std::string, std::string>> headers) const {
  if (!token_.empty()) {
    headers.emplace_back("Authorization", "Bearer " + token_);
  }
  return headers;
}

std::string url_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace sk::skctl
