// The bench programs' one flag check: a positive decimal integer.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace sk::bench {

// `value` as a positive integer, or nullopt (empty, signed, zero, trailing characters).
inline std::optional<std::uint64_t> parse_positive(const std::string& value) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || value[0] == '-' || n == 0) {
    return std::nullopt;
  }
  return n;
}

}  // namespace sk::bench
