// Logging for the safekeeper and the walproposer: one line per event on stderr,
// "2026-11-24T10:00:00.123Z INFO message", from any thread (lines never interleave). Lines below
// the configured level are dropped.
#pragma once

#include <cstdint>
#include <string_view>

namespace sk::safekeeper {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };

void set_log_level(LogLevel level);
void log_line(LogLevel level, std::string_view message);

inline void log_debug(std::string_view message) {
  log_line(LogLevel::kDebug, message);
}
inline void log_info(std::string_view message) {
  log_line(LogLevel::kInfo, message);
}
inline void log_warn(std::string_view message) {
  log_line(LogLevel::kWarn, message);
}
inline void log_error(std::string_view message) {
  log_line(LogLevel::kError, message);
}

}  // namespace sk::safekeeper
