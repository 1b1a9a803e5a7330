// RFC 3339 conversions; see rfc3339.h.
#include "branchmgr/rfc3339.h"

namespace sk::branchmgr {

namespace {

constexpr std::int64_t kUsPerSecond = 1000000;
constexpr std::int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`, advancing it.
std::optional<unsigned> digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (pos + n > text.size()) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, std::string_view allowed) {
  if (pos < text.size() && allowed.find(text[pos]) != std::string_view::npos) {
    ++pos;
    return true;
  }
  return false;
}

// `value` in decimal, zero-padded to `width` digits.
std::string padded(std::int64_t value, std::size_t width) {
  std::string text = std::to_string(value);
  return text.size() >= width ? text : std::string(width - text.size(), '0') + text;
}

}  // namespace

std::string format_rfc3339(std::int64_t unix_us) {
  std::int64_t seconds = unix_us / kUsPerSecond;
  std::int64_t micros = unix_us % kUsPerSecond;
  if (micros < 0) {
    micros += kUsPerSecond;
    --seconds;
  }
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t in_day = seconds % kSecondsPerDay;
  if (in_day < 0) {
    in_day += kSecondsPerDay;
    --days;
  }
  const Civil date = civil_from_days(days);
  std::string out = padded(date.year, 4) + "-" + padded(date.month, 2) + "-" + padded(date.day, 2) +
                    "T" + padded(in_day / 3600, 2) + ":" + padded(in_day / 60 % 60, 2) + ":" +
                    padded(in_day % 60, 2);
  if (micros != 0) {
    out += "." + padded(micros, 6);
  }
  return out + "Z";
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  const auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, "-")) {
    return std::nullopt;
  }
  const auto month = digits(text, pos, 2);
  if (!month || *month < 1 || *month > 12 || !expect(text, pos, "-")) {
    return std::nullopt;
  }
  const auto day = digits(text, pos, 2);
  if (!day || *day < 1 || *day > days_in_month(*year, *month) || !expect(text, pos, "Tt ")) {
    return std::nullopt;
  }
  const auto hour = digits(text, pos, 2);
  if (!hour || *hour > 23 || !expect(text, pos, ":")) {
    return std::nullopt;
  }
  const auto minute = digits(text, pos, 2);
  if (!minute || *minute > 59 || !expect(text, pos, ":")) {
    return std::nullopt;
  }
  const auto second = digits(text, pos, 2);
  if (!second || *second > 59) {  // A leap second has no Unix time of its own.
    return std::nullopt;
  }
  std::int64_t micros = 0;
  if (expect(text, pos, ".")) {
    std::int64_t scale = 100000;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      micros += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  std::int64_t offset_seconds = 0;
  if (!expect(text, pos, "Zz")) {
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) {
      return std::nullopt;
    }
    const bool negative = text[pos++] == '-';
    const auto off_hour = digits(text, pos, 2);
    if (!off_hour || *off_hour > 23 || !expect(text, pos, ":")) {
      return std::nullopt;
    }
    const auto off_minute = digits(text, pos, 2);
    if (!off_minute || *off_minute > 59) {
      return std::nullopt;
    }
    offset_seconds =
        (negative ? -1 : 1) * static_cast<std::int64_t>(*off_hour * 3600 + *off_minute * 60);
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  const std::int64_t seconds = days_from_civil(*year, *month, *day) * kSecondsPerDay +
                               static_cast<std::int64_t>(*hour * 3600 + *minute * 60 + *second) -
                               offset_seconds;
  return seconds * kUsPerSecond + micros;
}

}  // namespace sk::branchmgr
