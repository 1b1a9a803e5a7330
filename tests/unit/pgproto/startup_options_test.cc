// parse_startup_options: the forms libpq users write in `options`.
#include "safekeeper/pgproto/startup_options.h"

#include <gtest/gtest.h>

namespace sk::pgproto {
namespace {

TEST(StartupOptions, EveryFormOfASetting) {
  auto settings = parse_startup_options(
      "-c tenant_id=aa  -ctimeline_id=bb --statement-timeout=5 -c a\\ b=c\\ d");
  ASSERT_TRUE(settings.has_value()) << settings.error().message();
  EXPECT_EQ((*settings)["tenant_id"], "aa");
  EXPECT_EQ((*settings)["timeline_id"], "bb");
  EXPECT_EQ((*settings)["statement_timeout"], "5");
  EXPECT_EQ((*settings)["a b"], "c d");  // A backslash escapes the space.
}

TEST(StartupOptions, NeonsOneDashCForSeveralSettings) {
  auto settings = parse_startup_options("-c timeline_id=bb tenant_id=aa");
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->size(), 2u);
  EXPECT_EQ((*settings)["tenant_id"], "aa");
}

TEST(StartupOptions, EmptyIsNothingAndJunkIsAnError) {
  auto empty = parse_startup_options("   ");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  for (std::string_view bad : {"-c", "-c novalue", "-x", "=value", "-c -c=1"}) {
    auto settings = parse_startup_options(bad);
    EXPECT_FALSE(settings.has_value()) << bad;
  }
}

}  // namespace
}  // namespace sk::pgproto
