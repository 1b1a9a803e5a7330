// Stream framing: frames come back whole however the bytes are split, bad lengths are refused
// before any body is buffered, and an error sticks.
#include "proto/framing.h"

#include <algorithm>
#include <span>

#include <gtest/gtest.h>

#include "proto/codec.h"

namespace sk::proto {
namespace {

std::vector<std::string> drain(FrameReader& reader) {
  std::vector<std::string> frames;
  for (;;) {
    auto next = reader.next();
    EXPECT_TRUE(next.has_value()) << next.error().to_string();
    if (!next || !next->has_value()) {
      return frames;
    }
    frames.emplace_back(**next);
  }
}

TEST(FramingTest, Frames_ComeBackWholeHoweverTheStreamIsSplit) {
  const std::vector<std::string> frames = {"a", std::string(70000, 'b'), "ccc",
                                           std::string(kMaxFrameBytes, 'd')};
  std::string stream;
  for (const std::string& frame : frames) {
    stream += length_prefixed(frame);
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{4096}, stream.size()}) {
    SCOPED_TRACE(chunk);
    FrameReader reader;
    std::vector<std::string> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      reader.feed(std::string_view(stream).substr(at, chunk));
      for (std::string& frame : drain(reader)) {
        got.push_back(std::move(frame));
      }
    }
    EXPECT_EQ(got, frames);
    EXPECT_EQ(reader.buffered_bytes(), 0u);
  }
}

TEST(FramingTest, Frames_ComeBackWholeWhenReadIntoTheReadersOwnBuffer) {
  const std::vector<std::string> frames = {std::string(200'000, 'x'), "y", std::string(9000, 'z')};
  std::string stream;
  for (const std::string& frame : frames) {
    stream += length_prefixed(frame);
  }
  FrameReader reader;
  std::vector<std::string> got;
  // Reads of at most 70,000 bytes into room of at least 64 KiB, as the server's socket does.
  for (std::size_t at = 0; at < stream.size();) {
    std::span<char> room = reader.prepare(64 * 1024);
    ASSERT_GE(room.size(), 64u * 1024u);
    const std::size_t n = std::min({room.size(), std::size_t{70'000}, stream.size() - at});
    std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), n, room.begin());
    reader.commit(n);
    at += n;
    for (std::string& frame : drain(reader)) {
      got.push_back(std::move(frame));
    }
  }
  EXPECT_EQ(got, frames);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(FramingTest, LengthPrefix_IsFourBytesBigEndian) {
  EXPECT_EQ(length_prefixed("xyz"), std::string("\x00\x00\x00\x03xyz", 7));
}

TEST(FramingTest, BadLengths_AreRefusedBeforeTheBodyArrives_AndTheErrorSticks) {
  struct Case {
    const char* name;
    std::string prefix;
    const char* expected_text;
  };
  const std::uint32_t too_big = static_cast<std::uint32_t>(kMaxFrameBytes) + 1;
  const Case cases[] = {
      {"zero", std::string("\x00\x00\x00\x00", 4), "frame length 0"},
      {"one above the limit",
       std::string{static_cast<char>(too_big >> 24), static_cast<char>((too_big >> 16) & 0xff),
                   static_cast<char>((too_big >> 8) & 0xff), static_cast<char>(too_big & 0xff)},
       "frame length 1048577"},
      {"4 GiB", std::string("\xff\xff\xff\xff", 4), "frame length 4294967295"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FrameReader reader;
    reader.feed(c.prefix);  // Only the prefix: the refusal must not wait for a body.
    auto next = reader.next();
    ASSERT_FALSE(next.has_value());
    EXPECT_EQ(next.error().code(), ErrorCode::kMalformedMessage);
    EXPECT_NE(next.error().message().find(c.expected_text), std::string::npos)
        << next.error().message();
    reader.feed(length_prefixed("fine"));
    EXPECT_FALSE(reader.next().has_value());
  }
}

TEST(FramingTest, ErrorFrame_DecodesToThePeersError) {
  const TimelineKey key{*consensus::TenantId::parse_hex("0123456789abcdef0123456789abcdef"),
                        *consensus::TimelineId::parse_hex("fedcba9876543210fedcba9876543210")};
  const std::string frame =
      encode_error_frame(key, Error(ErrorCode::kWrongTimeline, "system id 7, expected 8"));
  auto any = decode_frame_for_any_timeline(frame);
  ASSERT_FALSE(any.has_value());
  EXPECT_EQ(any.error().code(), ErrorCode::kWrongTimeline);
  EXPECT_EQ(any.error().message(),
            "peer closed the connection: WRONG_TIMELINE: system id 7, expected 8");
  auto known = decode_frame(frame, key);
  ASSERT_FALSE(known.has_value());
  EXPECT_EQ(known.error().code(), ErrorCode::kWrongTimeline);
}

}  // namespace
}  // namespace sk::proto
