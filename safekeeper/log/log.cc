// Logging; see log.h.
#include "safekeeper/log/log.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace sk::safekeeper {

namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kText};
std::mutex g_mutex;

const char* level_name(LogLevel level, LogFormat format) {
  const bool json = format == LogFormat::kJson;
  switch (level) {
    case LogLevel::kDebug:
      return json ? "debug" : "DEBUG";
    case LogLevel::kInfo:
      return json ? "info" : "INFO";
    case LogLevel::kWarn:
      return json ? "warn" : "WARN";
    case LogLevel::kError:
      return json ? "error" : "ERROR";
  }
  return "?";
}

// `text` as a JSON string, quotes included. Bytes that are not printable ASCII are escaped as
// \u00XX one by one, so a line stays valid JSON whatever a client sent (no UTF-8 is trusted).
void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

// A text field's value, quoted when it would not read as one word.
void append_text_value(std::string& out, std::string_view value) {
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f && c != '"' && c != '=';
  });
  if (plain) {
    out += value;
  } else {
    append_json_string(out, value);
  }
}

std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  const std::size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(stamp + n, sizeof(stamp) - n, ".%03dZ", static_cast<int>(millis));
  return stamp;
}

}  // namespace

void set_log_level(LogLevel level) {
  g_level.store(level);
}

void set_log_format(LogFormat format) {
  g_format.store(format);
}

bool log_enabled(LogLevel level) {
  return level >= g_level.load();
}

std::string format_log_line(LogFormat format, std::string_view time, LogLevel level,
                            std::string_view message, std::initializer_list<LogField> fields) {
  std::string line;
  if (format == LogFormat::kJson) {
    line += "{\"time\":";
    append_json_string(line, time);
    line += ",\"level\":";
    append_json_string(line, level_name(level, format));
    line += ",\"msg\":";
    append_json_string(line, message);
    for (const LogField& field : fields) {
      line += ',';
      append_json_string(line, field.key);
      line += ':';
      if (field.number) {
        line += field.value;
      } else {
        append_json_string(line, field.value);
      }
    }
    line += '}';
    return line;
  }
  line += time;
  line += ' ';
  line += level_name(level, format);
  line += ' ';
  line += message;
  for (const LogField& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    append_text_value(line, field.value);
  }
  return line;
}

void log_line(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) {
    return;
  }
  std::string line = format_log_line(g_format.load(), now_utc(), level, message, fields);
  line += '\n';
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace sk::safekeeper
