// A request's path and query; see request_target.h.
#include "safekeeper/server/request_target.h"

#include <algorithm>
#include <iterator>
#include <utility>

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

std::string route_template(const std::vector<std::string>& path) {
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"tenants", "{tenant}"},
      {"timelines", "{timeline}"},
      {"branches", "{branch}"},
      {"snapshots", "{snapshot}"},
      {"wal", "{segment}"}};
  constexpr std::size_t kMaxSegments = 8;
  constexpr std::size_t kMaxSegmentBytes = 32;
  std::string route;
  bool after_collection = false;  // The previous segment was a collection: this one is a name.
  for (std::size_t i = 0; i < path.size() && i < kMaxSegments; ++i) {
    route += '/';
    std::string_view segment = path[i];
    if (after_collection) {
      after_collection = false;
      for (const auto& [collection, placeholder] : kNamed) {
        if (path[i - 1] == collection) {
          segment = placeholder;
        }
      }
    } else {
      after_collection = std::any_of(std::begin(kNamed), std::end(kNamed),
                                     [&](const auto& named) { return named.first == segment; });
    }
    route += segment.substr(0, kMaxSegmentBytes);
  }
  if (path.size() > kMaxSegments) {
    route += "/...";
  }
  return route.empty() ? "/" : route;
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
