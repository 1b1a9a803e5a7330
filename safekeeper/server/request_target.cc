// A request's path and query; see request_target.h.
#include "safekeeper/server/request_target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace sk::safekeeper {

std::vector<std::string> path_segments(std::string_view target) {
  // Each segment percent-decoded on its own: "feature%2Fx" is one segment, "feature/x".
  const auto parsed = boost::urls::parse_origin_form(target);
  std::vector<std::string> segments;
  if (!parsed) {
    return segments;  // Not a request target: no route matches it.
  }
  for (const std::string segment : parsed->segments()) {
    if (!segment.empty()) {
      segments.push_back(segment);
    }
  }
  return segments;
}

namespace {

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = consensus::hex_digit(text[i + 1]);
      const int low = consensus::hex_digit(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::optional<std::string> query_parameter(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return percent_decoded(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query = query.substr(amp + 1);
  }
  return std::nullopt;
}

}  // namespace sk::safekeeper
