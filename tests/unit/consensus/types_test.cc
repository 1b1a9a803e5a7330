// Unit tests for consensus/types.h: the text forms of Lsn ("X/XXXXXXXX") and of the 128-bit ids,
// and the compile-time promise that the strong types cannot be mixed up.
#include "consensus/types.h"

#include <cstdint>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "consensus/prng.h"

namespace sk::consensus {
namespace {

// A term cannot be passed where an LSN or a node id is expected, nor built from a bare integer
// by accident.
static_assert(!std::is_convertible_v<Term, Lsn>);
static_assert(!std::is_convertible_v<Lsn, Term>);
static_assert(!std::is_convertible_v<Term, NodeId>);
static_assert(!std::is_convertible_v<std::uint64_t, Term>);
static_assert(!std::is_convertible_v<std::uint64_t, Lsn>);
static_assert(!std::is_same_v<TenantId, TimelineId>);
static_assert(!std::is_convertible_v<TenantId, TimelineId>);

TEST(LsnTest, ToString_PrintsPostgresForm) {
  struct Case {
    std::uint64_t value;
    const char* text;
  };
  const Case cases[] = {
      {0x3000158, "0/3000158"}, {0x16B374D848, "16/B374D848"}, {0, "0/0"},
      {0x100000000, "1/0"},     {0xFFFFFFFF, "0/FFFFFFFF"},    {UINT64_MAX, "FFFFFFFF/FFFFFFFF"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(Lsn(c.value).to_string(), c.text);
  }
}

TEST(LsnTest, Parse_AcceptsPostgresForm) {
  struct Case {
    const char* text;
    std::uint64_t value;
  };
  const Case cases[] = {
      {"0/3000158", 0x3000158},
      {"16/B374D848", 0x16B374D848},
      {"16/b374d848", 0x16B374D848},  // PostgreSQL's pg_lsn input accepts either case.
      {"0/0", 0},
      {"00000001/00000000", 0x100000000},  // Padded halves are still eight digits at most.
      {"FFFFFFFF/FFFFFFFF", UINT64_MAX},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    std::optional<Lsn> parsed = Lsn::parse(c.text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->value(), c.value);
  }
}

TEST(LsnTest, Parse_RejectsBadInput) {
  const char* const cases[] = {
      "",     "/",    "0/",    "/0",          "0",           "3000158", "0/1/2",
      "G/0",  "0/G",  "0x1/0", "0/0x1",       "-1/0",        "+1/0",    " 0/1",
      "0/1 ", "0 /1", "0/ 1",  "123456789/0", "0/123456789",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(std::string("\"") + text + "\"");
    EXPECT_FALSE(Lsn::parse(text).has_value());
  }
}

TEST(LsnTest, ToStringThenParse_RoundTrips) {
  Prng prng(42);
  for (int i = 0; i < 1000; ++i) {
    // Mix full-width values with small ones, whose high half prints as "0".
    const std::uint64_t value = i % 2 == 0 ? prng.next() : prng.below(1u << 20);
    const Lsn lsn(value);
    SCOPED_TRACE(lsn.to_string());
    std::optional<Lsn> parsed = Lsn::parse(lsn.to_string());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, lsn);
  }
}

TEST(LsnTest, Arithmetic_CountsBytes) {
  const Lsn begin(0x1000);
  const Lsn end = begin.plus_bytes(0x234);
  EXPECT_EQ(end, Lsn(0x1234));
  EXPECT_EQ(end.bytes_since(begin), 0x234u);
  EXPECT_EQ(end.bytes_since(end), 0u);
  EXPECT_LT(begin, end);
  EXPECT_EQ(kInvalidLsn, Lsn(0));
  EXPECT_LT(Lsn(0), kMaxLsn);
}

TEST(Id128Test, ToHex_IsLowercaseAndZeroPadded) {
  TimelineId::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(i * 0x11);  // 00 11 22 ... ff
  }
  EXPECT_EQ(TimelineId(bytes).to_hex(), "00112233445566778899aabbccddeeff");
  EXPECT_EQ(TenantId().to_hex(), std::string(32, '0'));
}

TEST(Id128Test, ParseHex_AcceptsEitherCase) {
  std::optional<TenantId> lower = TenantId::parse_hex("0123456789abcdef0123456789abcdef");
  std::optional<TenantId> upper = TenantId::parse_hex("0123456789ABCDEF0123456789ABCDEF");
  ASSERT_TRUE(lower.has_value());
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(*lower, *upper);
  EXPECT_EQ(lower->bytes()[0], 0x01);
  EXPECT_EQ(lower->bytes()[7], 0xef);
  EXPECT_EQ(upper->to_hex(), "0123456789abcdef0123456789abcdef");
}

TEST(Id128Test, ParseHex_RejectsBadInput) {
  const std::string valid = "0123456789abcdef0123456789abcdef";
  const std::string cases[] = {
      "",
      valid.substr(1),                     // 31 digits
      valid + "0",                         // 33 digits
      "g123456789abcdef0123456789abcdef",  // not hex
      "0123456789abcdef0123456789abcde-",
      " 123456789abcdef0123456789abcdef",
      "0x23456789abcdef0123456789abcdef",
      "0123456789abcdef-0123456789abcdef",  // UUID-style separator
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE("\"" + text + "\"");
    EXPECT_FALSE(TimelineId::parse_hex(text).has_value());
  }
}

TEST(Id128Test, ToHexThenParse_RoundTrips) {
  Prng prng(7);
  for (int i = 0; i < 200; ++i) {
    TenantId::Bytes bytes{};
    for (std::uint8_t& byte : bytes) {
      byte = static_cast<std::uint8_t>(prng.below(256));
    }
    const TenantId id(bytes);
    SCOPED_TRACE(id.to_hex());
    std::optional<TenantId> parsed = TenantId::parse_hex(id.to_hex());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, id);
  }
}

}  // namespace
}  // namespace sk::consensus
