// Durations as the API and skctl write them: "90s", "15m", "24h", "7d", or several together
// ("1h30m"), each a whole number with its unit, largest first. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sk::branchmgr {

// Seconds; nullopt for anything else (no unit, a unit twice or out of order, a sign, a fraction,
// an overflow, or nothing at all).
std::optional<std::uint64_t> parse_duration(std::string_view text);
// The shortest form parse_duration reads back: "7d", "1d12h", "90s" -> "1m30s"; "0s" for zero.
std::string format_duration(std::uint64_t seconds);

}  // namespace sk::branchmgr
