// The commit-time index on real PostgreSQL WAL: "as of T" between two commits is the end of the
// earlier one, both through lsn_by_timestamp and when a branch is created at T; before every
// commit is "nodata", after the last one "present", ahead of the clock "future", and older than
// the tenant's history retention window a 400 that names the window.
#include "safekeeper/http/http_client.h"
#include "tests/integration/branch_api_client.h"
#include "tests/integration/primary_fixture.h"

namespace sk::testing {
namespace {

namespace json = boost::json;
using consensus::Lsn;

class CommitTimeTest : public PrimaryTest {
 protected:
  bool with_branch_log() const override { return true; }

  Reply call(int i, const std::string& method, const std::string& target,
             const std::string& body = "") {
    return cluster_->http(i, method, target, body).value_or(Reply{});
  }

  // lsn_by_timestamp on node i, asked again while the index catches up (503).
  Reply as_of(int i, const std::string& timestamp) {
    Reply reply;
    poll_until(
        cluster_->node(i).process,
        [&] {
          reply = call(i, "GET",
                       std::string("/v1/tenants/") + kTenant +
                           "/branches/main/lsn_by_timestamp?timestamp=" + timestamp);
          return reply.status != 503;
        },
        std::chrono::seconds(10));
    return reply;
  }
};

Lsn insert_lsn(PgSession& session) {
  return Lsn::parse(session.query("SELECT pg_current_wal_insert_lsn()").value_or(""))
      .value_or(Lsn(0));
}

TEST_F(CommitTimeTest, AsOfATimeBetweenTwoCommits_IsTheEndOfTheEarlierCommit) {
  ASSERT_EQ(
      call(0, "POST", "/v1/tenants", std::string(R"({"tenant_id":")") + kTenant + R"("})").status,
      201);
  ASSERT_EQ(call(1, "POST", std::string("/v1/tenants/") + kTenant + "/branches",
                 std::string(R"({"name":"main","timeline_id":")") + kTimeline + R"("})")
                .status,
            201);
  ChildProcess walproposer = start_walproposer("walproposer.log", "walproposer");
  ASSERT_GT(walproposer.pid(), 0);
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t (i int)")) << session.error();

  const Lsn before_a = insert_lsn(session);
  ASSERT_TRUE(session.query("INSERT INTO t VALUES (1)")) << session.error();
  const Lsn after_a = insert_lsn(session);
  const std::string t = session
                            .query(
                                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                                "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
                            .value_or("");
  // Inside the tenant's retention window (7 days), before every commit.
  const std::string before_all =
      session
          .query(
              "SELECT to_char((clock_timestamp() - interval '1 hour') AT TIME ZONE 'UTC', "
              "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
          .value_or("");
  ASSERT_FALSE(t.empty()) << session.error();
  ASSERT_TRUE(session.query("INSERT INTO t VALUES (2)")) << session.error();
  const Lsn after_b = insert_lsn(session);

  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i + 1);
    // A safekeeper learns a commit LSN with the walproposer's next message; until it knows B is
    // committed, T is its present.
    ASSERT_TRUE(poll_until(
        walproposer, [&] { return commit_lsn(i) >= after_b; }, std::chrono::seconds(10)))
        << states();
    const Reply between = as_of(i, t);
    ASSERT_EQ(between.status, 200) << json::serialize(between.body) << states();
    EXPECT_EQ(text(between.body, "kind"), "past");
    const Lsn lsn = lsn_field(between.body, "lsn");
    // The end of A's commit record: past everything before A, not past what followed A.
    EXPECT_GT(lsn, before_a) << json::serialize(between.body);
    EXPECT_LE(lsn, after_a) << json::serialize(between.body);

    EXPECT_EQ(text(as_of(i, before_all).body, "kind"), "nodata");
    const Reply too_old = as_of(i, "2000-01-01T00:00:00Z");
    EXPECT_EQ(too_old.status, 400) << json::serialize(too_old.body);
    EXPECT_NE(error_message(too_old).find("older than the history retention window of tenant"),
              std::string::npos)
        << json::serialize(too_old.body);
    EXPECT_EQ(text(as_of(i, "2099-01-01T00:00:00Z").body, "kind"), "future");
  }
  // The index's size is reported: at least the two inserts' commits, in memory while their
  // piece of WAL is open (16 bytes each), a 32-byte summary per closed piece.
  auto metrics = http::http_request("127.0.0.1:" + std::to_string(cluster_->node(0).http_port),
                                    "GET", "/metrics", "", std::chrono::seconds(10));
  ASSERT_TRUE(metrics.has_value() && metrics->status == 200);
  const std::string labels =
      std::string(R"({tenant_id=")") + kTenant + R"(",timeline_id=")" + kTimeline + R"("} )";
  const auto sample = [&](const std::string& name) -> long {
    const auto at = metrics->body.find(name + labels);
    return at == std::string::npos
               ? -1
               : std::stol(metrics->body.substr(at + name.size() + labels.size()));
  };
  EXPECT_GE(sample("safekeeper_commit_index_entries"), 2) << metrics->body;
  EXPECT_GT(sample("safekeeper_commit_index_bytes"), 0) << metrics->body;
  EXPECT_LE(sample("safekeeper_commit_index_bytes"), 16 * sample("safekeeper_commit_index_entries"))
      << metrics->body;

  const Reply branch = call(2, "POST", std::string("/v1/tenants/") + kTenant + "/branches",
                            R"({"name":"as-of-t","parent":"main","timestamp":")" + t + R"("})");
  ASSERT_EQ(branch.status, 201) << json::serialize(branch.body);
  EXPECT_EQ(text(branch.body, "lsn"), text(as_of(2, t).body, "lsn"));
  EXPECT_LT(lsn_field(branch.body, "lsn"), after_b);

  const Reply future =
      call(0, "POST", std::string("/v1/tenants/") + kTenant + "/branches",
           R"({"name":"later","parent":"main","timestamp":"2099-01-01T00:00:00Z"})");
  EXPECT_EQ(future.status, 400) << json::serialize(future.body);
  EXPECT_NE(error_message(future).find("future"), std::string::npos);

  const Reply too_old =
      call(0, "POST", std::string("/v1/tenants/") + kTenant + "/branches",
           R"({"name":"ancient","parent":"main","timestamp":"2000-01-01T00:00:00Z"})");
  EXPECT_EQ(too_old.status, 400) << json::serialize(too_old.body);
  EXPECT_NE(error_message(too_old).find(": 7d (history is kept from "), std::string::npos)
      << json::serialize(too_old.body);
}

}  // namespace
}  // namespace sk::testing
