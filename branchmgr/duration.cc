// Durations; see duration.h.
#include "branchmgr/duration.h"

#include <array>
#include <limits>

namespace sk::branchmgr {
namespace {

struct Unit {
  char name;
  std::uint64_t seconds;
};
constexpr std::array<Unit, 4> kUnits = {{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

}  // namespace

std::optional<std::uint64_t> parse_duration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::uint64_t total = 0;
  std::size_t next_unit = 0;  // Units come largest first, each at most once.
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint64_t number = 0;
    const std::size_t digits_begin = i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      const auto digit = static_cast<std::uint64_t>(text[i] - '0');
      if (number > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
        return std::nullopt;
      }
      number = number * 10 + digit;
    }
    if (i == digits_begin || i == text.size()) {
      return std::nullopt;  // A unit without a number, or a number without a unit.
    }
    std::size_t unit = next_unit;
    while (unit < kUnits.size() && kUnits[unit].name != text[i]) {
      ++unit;
    }
    if (unit == kUnits.size()) {
      return std::nullopt;
    }
    const std::uint64_t scale = kUnits[unit].seconds;
    if (number > (std::numeric_limits<std::uint64_t>::max() - total) / scale) {
      return std::nullopt;
    }
    total += number * scale;
    next_unit = unit + 1;
    ++i;
  }
  return total;
}

std::string format_duration(std::uint64_t seconds) {
  if (seconds == 0) {
    return "0s";
  }
  std::string out;
  for (const Unit& unit : kUnits) {
    if (seconds >= unit.seconds) {
      out += std::to_string(seconds / unit.seconds) + unit.name;
      seconds %= unit.seconds;
    }
  }
  return out;
}

}  // namespace sk::branchmgr
