// Logging for the safekeeper and the walproposer: one line per event on stderr, from any thread
// (lines never interleave). Lines below the configured level are dropped. Two formats:
//   text  2026-11-24T10:00:00.123Z INFO message key=value key=value
//   json  {"time":"2026-11-24T10:00:00.123Z","level":"info","msg":"message","key":"value",...}
// JSON is one object per line, for log collectors (Loki, Elasticsearch, journald's exporters);
// a field given as a number stays a JSON number.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace sk::safekeeper {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };
enum class LogFormat : std::uint8_t { kText, kJson };

// One key=value of a structured line. `number`: the value is a number (unquoted in JSON).
struct LogField {
  std::string_view key;
  std::string value;
  bool number = false;
};

void set_log_level(LogLevel level);
void set_log_format(LogFormat format);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view message,
              std::initializer_list<LogField> fields = {});

// The line as written, without the time stamp or the newline (exposed for tests).
std::string format_log_line(LogFormat format, std::string_view time, LogLevel level,
                            std::string_view message, std::initializer_list<LogField> fields);

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
