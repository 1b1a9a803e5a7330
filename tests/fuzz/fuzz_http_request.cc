// HTTP-port bytes through the parser the safekeeper serves with (Beast, body limit 1 MiB).
#include <cstddef>
#include <cstdint>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !ec && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (n == 0) {
      break;
    }
    used += n;
  }
  if (!ec && parser.is_done()) {
    const auto& request = parser.get();
    (void)request.target();
    (void)request.find(http::field::authorization);
  }
  return 0;
}
