// Taking request targets apart: path segments percent-decoded one by one, query parameters.
#include "safekeeper/server/api_json.h"

#include <gtest/gtest.h>

namespace sk::safekeeper {
namespace {

using Segments = std::vector<std::string>;

TEST(PathSegments, SplitsOnSlashesAndDropsTheQuery) {
  EXPECT_EQ(path_segments("/v1/tenants/x/timelines?y=1"),
            (Segments{"v1", "tenants", "x", "timelines"}));
  EXPECT_EQ(path_segments("/"), Segments{});
  EXPECT_EQ(path_segments("/v1//status/"), (Segments{"v1", "status"}));
}

TEST(PathSegments, DecodesEachSegmentOnItsOwn) {
  // A branch named "feature/x" is one segment, sent as feature%2Fx.
  EXPECT_EQ(path_segments("/v1/tenants/t/branches/feature%2Fx/reset"),
            (Segments{"v1", "tenants", "t", "branches", "feature/x", "reset"}));
  EXPECT_EQ(path_segments("/v1/tenants/t/branches/caf%C3%A9"),
            (Segments{"v1", "tenants", "t", "branches", "caf\xC3\xA9"}));
}

TEST(PathSegments, ATargetThatIsNotAPathMatchesNoRoute) {
  EXPECT_EQ(path_segments("/v1/branches/bad%zz"), Segments{});
  EXPECT_EQ(path_segments("no-leading-slash"), Segments{});
}

TEST(QueryParameter, IsPercentDecodedAndKeepsPlus) {
  EXPECT_EQ(query_parameter("/x?timestamp=2026-01-01T00%3A00%3A00%2B01%3A00", "timestamp"),
            "2026-01-01T00:00:00+01:00");
  EXPECT_EQ(query_parameter("/x?a=1&b=2", "b"), "2");
  EXPECT_EQ(query_parameter("/x?a=1", "b"), std::nullopt);
  EXPECT_EQ(query_parameter("/x", "a"), std::nullopt);
}

}  // namespace
}  // namespace sk::safekeeper
