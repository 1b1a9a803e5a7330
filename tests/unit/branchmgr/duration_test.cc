#include "branchmgr/duration.h"

#include <gtest/gtest.h>

namespace sk::branchmgr {
namespace {

TEST(DurationTest, ReadsEachUnitAndCombinationsLargestFirst) {
  EXPECT_EQ(parse_duration("90s"), 90U);
  EXPECT_EQ(parse_duration("15m"), 900U);
  EXPECT_EQ(parse_duration("24h"), 86400U);
  EXPECT_EQ(parse_duration("7d"), 604800U);
  EXPECT_EQ(parse_duration("1h30m"), 5400U);
  EXPECT_EQ(parse_duration("1d2h3m4s"), 93784U);
  EXPECT_EQ(parse_duration("0s"), 0U);
}

TEST(DurationTest, RefusesWhatIsNotADuration) {
  for (const char* text : {"", "7", "d", "7x", "-7d", "1.5h", "30m1h", "1h1h", "1h ", " 1h",
                           "99999999999999999999s", "213503982334602d", "213503982334601d8h"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
}

TEST(DurationTest, FormatsTheShortestFormThatReadsBack) {
  EXPECT_EQ(format_duration(604800), "7d");
  EXPECT_EQ(format_duration(90), "1m30s");
  EXPECT_EQ(format_duration(129600), "1d12h");
  EXPECT_EQ(format_duration(0), "0s");
  for (std::uint64_t s : {1ULL, 59ULL, 3601ULL, 86399ULL, 2592000ULL, 31536000ULL}) {
    EXPECT_EQ(parse_duration(format_duration(s)), s) << s;
  }
}

}  // namespace
}  // namespace sk::branchmgr
