#include "safekeeper/server/branch_requests.h"

#include <gtest/gtest.h>

namespace sk::safekeeper {
namespace {

std::string message_of(const Error& error) {
  return error.message();
}

TEST(BranchRequestsTest, CreateBranch_ReadsEveryField) {
  auto r = parse_create_branch(R"({"name":"dev/feature-1","parent":"main","lsn":"0/16B3748",)"
                               R"("timeline_id":"0123456789abcdef0123456789abcdef"})");
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->name, "dev/feature-1");
  EXPECT_EQ(r->parent, "main");
  EXPECT_EQ(r->lsn, consensus::Lsn(0x16B3748));
  EXPECT_FALSE(r->timestamp_us.has_value());
  ASSERT_TRUE(r->timeline_id.has_value());
  EXPECT_EQ(r->timeline_id->to_hex(), "0123456789abcdef0123456789abcdef");

  auto at_time = parse_create_branch(
      R"({"name":"t","parent":"main","timestamp":"2000-01-01T00:00:01+00:00"})");
  ASSERT_TRUE(at_time.has_value());
  EXPECT_EQ(at_time->timestamp_us, 946684801LL * 1000000);
  EXPECT_NE(r->fingerprint, at_time->fingerprint);
}

TEST(BranchRequestsTest, CreateBranch_ErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"name":1})", "'name'"},
      {R"({"name":"a","parent":false})", "'parent'"},
      {R"({"name":"a","extra":null})", "'extra'"},
      {R"({"name":"a","parent":"m","lsn":"1/2/3"})", "'lsn'"},
      {R"({"name":"a","parent":"m","timestamp":"2026-11-24"})", "'timestamp'"},
      {R"({"name":"0123456789abcdef0123456789abcdef"})", "timeline id"},
      {R"({"name":""})", "'name'"},
      {R"({})", "'name'"},
      {"nonsense", "not JSON"},
  };
  for (const auto& [body, mentions] : cases) {
    auto r = parse_create_branch(body);
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(message_of(r.error()).find(mentions), std::string::npos)
        << body << ": " << message_of(r.error());
  }
}

TEST(BranchRequestsTest, CreateTenant_EmptyBodyIsAllDefaults) {
  auto r = parse_create_tenant("");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->tenant_id.has_value());
  EXPECT_EQ(r->name, "");
  EXPECT_FALSE(parse_create_tenant(R"({"tenant_id":"00000000000000000000000000000000"})"));
}

TEST(BranchRequestsTest, HistoryRetention_IsADurationOnCreateAndPatch) {
  auto created = parse_create_tenant(R"({"name":"t","history_retention":"1d12h"})");
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->history_retention_s, 129600U);
  EXPECT_EQ(parse_create_tenant(R"({"name":"t"})")->history_retention_s, std::nullopt);
  auto patch = parse_tenant_settings(R"({"history_retention":"24h"})");
  ASSERT_TRUE(patch) << patch.error().to_string();
  EXPECT_EQ(patch->history_retention_s, 86400U);
  for (const char* body : {R"({"history_retention":"7"})", R"({"history_retention":7})",
                           R"({"retention":"7d"})", "[]"}) {
    auto bad = parse_tenant_settings(body);
    ASSERT_FALSE(bad) << body;
    EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_NE(parse_tenant_settings(R"({"history_retention":"7"})")
                .error()
                .message()
                .find("field 'history_retention'"),
            std::string::npos);
}

TEST(BranchRequestsTest, RegisterSnapshot_NeedsOrderedLsnsAndALocation) {
  auto ok = parse_register_snapshot(
      R"({"branch":"main","start_lsn":"0/1000028","end_lsn":"0/1000100","location":"/s/1.tar",)"
      R"("checksum":"crc32c:0a1b2c3d","size_bytes":10})");
  ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
  EXPECT_EQ(ok->size_bytes, 10u);
  EXPECT_FALSE(parse_register_snapshot(
      R"({"branch":"main","start_lsn":"0/2","end_lsn":"0/1","location":"x"})"));
  EXPECT_FALSE(parse_register_snapshot(R"({"branch":"main","start_lsn":"0/1","end_lsn":"0/2"})"));
  for (const char* bad :
       {R"("location":"/s/1","checksum":"")", R"("location":"/s/1","checksum":"x")",
        R"("location":"/s/1","checksum":"crc32c:XYZ")",
        R"("location":"s/1","checksum":"crc32c:00")",
        R"("location":"/s/./1","checksum":"crc32c:00")",
        R"("location":"/s/../1","checksum":"crc32c:00")"}) {
    EXPECT_FALSE(parse_register_snapshot(
        std::string(R"({"branch":"main","start_lsn":"0/1","end_lsn":"0/2",)") + bad + "}"))
        << bad;
  }
  EXPECT_FALSE(parse_register_snapshot(
      R"({"branch":"main","start_lsn":"0/1","end_lsn":"0/2","location":"x","size_bytes":-1})"));
}

}  // namespace
}  // namespace sk::safekeeper
