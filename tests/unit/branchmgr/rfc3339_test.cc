#include "branchmgr/rfc3339.h"

#include <gtest/gtest.h>

namespace sk::branchmgr {
namespace {

TEST(Rfc3339Test, Format_KnownInstants) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(kPostgresEpochUnixUs), "2000-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1795944930123456), "2026-11-29T09:35:30.123456Z");
  EXPECT_EQ(format_rfc3339(951782400LL * 1000000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(Rfc3339Test, Parse_IsTheInverseOfFormat_AndHonoursOffsets) {
  for (std::int64_t us : {0LL, 1795944930123456LL, 951782400000000LL, 4102444799999999LL}) {
    EXPECT_EQ(parse_rfc3339(format_rfc3339(us)), us) << format_rfc3339(us);
  }
  EXPECT_EQ(parse_rfc3339("2000-01-01T02:00:00+02:00"), kPostgresEpochUnixUs);
  EXPECT_EQ(parse_rfc3339("1999-12-31t19:30:00-04:30"), kPostgresEpochUnixUs);
  EXPECT_EQ(parse_rfc3339("2000-01-01 00:00:00.5z"), kPostgresEpochUnixUs + 500000);
  EXPECT_EQ(parse_rfc3339("2000-01-01T00:00:00.1234567Z"), kPostgresEpochUnixUs + 123456);
}

TEST(Rfc3339Test, Parse_RefusesMalformedAndImpossibleTimes) {
  for (const char* bad : {"", "2026-11-24", "2026-11-24T10:00:00", "2026-13-01T00:00:00Z",
                          "2026-02-29T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
                          "2026-11-24T10:00:00.Z", "2026-11-24T10:00:00+0200",
                          "2026-11-24T10:00:00Zjunk", "26-11-24T10:00:00Z", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sk::branchmgr
