// log.h: the text and JSON lines, whatever bytes a message or a field holds.
#include "safekeeper/log/log.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace sk::safekeeper {
namespace {

namespace json = boost::json;

TEST(LogFormatTest, Text_TimeLevelMessageThenKeyValues) {
  EXPECT_EQ(format_log_line(LogFormat::kText, "T", LogLevel::kInfo, "http request",
                            {{"method", "GET"}, {"status", "200", true}}),
            "T INFO http request method=GET status=200");
  // A value that would not read as one word is quoted and escaped.
  EXPECT_EQ(format_log_line(LogFormat::kText, "T", LogLevel::kWarn, "m",
                            {{"id", "a b"}, {"x", "k=v"}, {"e", ""}, {"c", "\x1b[31m"}}),
            "T WARN m id=\"a b\" x=\"k=v\" e=\"\" c=\"\\u001b[31m\"");
}

TEST(LogFormatTest, Json_OneObjectPerLine_NumbersStayNumbers) {
  const std::string line = format_log_line(
      LogFormat::kJson, "2026-12-02T10:00:00.000Z", LogLevel::kError,
      "quote \" and \\ and\nnewline", {{"route", "/v1/status"}, {"duration_ms", "1.250", true}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const json::object object = json::parse(line).as_object();
  EXPECT_EQ(object.at("time"), "2026-12-02T10:00:00.000Z");
  EXPECT_EQ(object.at("level"), "error");
  EXPECT_EQ(object.at("msg"), "quote \" and \\ and\nnewline");
  EXPECT_EQ(object.at("route"), "/v1/status");
  EXPECT_DOUBLE_EQ(object.at("duration_ms").to_number<double>(), 1.25);
}

TEST(LogFormatTest, Json_BytesThatAreNotAsciiAreEscaped_SoTheLineStaysValid) {
  const std::string message = std::string("bad \xff\xfe utf-8 \x01") + '\0' + "end";
  const std::string line =
      format_log_line(LogFormat::kJson, "T", LogLevel::kInfo, message, {{"k", "\xc3\x28"}});
  boost::system::error_code ec;
  const json::value value = json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  const std::string msg(value.at("msg").as_string());
  EXPECT_TRUE(msg.starts_with("bad ")) << msg;
  EXPECT_TRUE(msg.ends_with(std::string("\x01") + '\0' + "end")) << msg;
}

TEST(LogLevelTest, LinesBelowTheLevelAreDropped) {
  set_log_level(LogLevel::kWarn);
  EXPECT_FALSE(log_enabled(LogLevel::kInfo));
  EXPECT_TRUE(log_enabled(LogLevel::kError));
  set_log_level(LogLevel::kInfo);
  EXPECT_TRUE(log_enabled(LogLevel::kInfo));
}

}  // namespace
}  // namespace sk::safekeeper
