// RFC 3339 times <-> microseconds since the Unix epoch, as the API and the branch log use them.
// Pure arithmetic (no time zone database, no clock): the days-from-civil conversion is exact for
// the proleptic Gregorian calendar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sk::branchmgr {

// "2026-11-24T10:15:30Z", with ".ffffff" when the microseconds are not zero. Always UTC.
std::string format_rfc3339(std::int64_t unix_us);

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; "t", "z" and a space for "T" are accepted
// (RFC 3339 section 5.6). Fractions beyond microseconds are truncated. nullopt for anything
// else, including impossible dates and times.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// PostgreSQL's timestamps (commit records' xact_time) count microseconds since 2000-01-01.
inline constexpr std::int64_t kPostgresEpochUnixUs = 946684800LL * 1000000;

}  // namespace sk::branchmgr
