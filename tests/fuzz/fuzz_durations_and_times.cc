// The durations and RFC 3339 times of HTTP bodies, query strings and flags.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "branchmgr/duration.h"
#include "branchmgr/rfc3339.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto seconds = sk::branchmgr::parse_duration(text)) {
    (void)sk::branchmgr::format_duration(*seconds);
  }
  (void)sk::branchmgr::parse_rfc3339(text);
  return 0;
}
