// Every error case of the branch API, and the behaviour around it (docs/HTTP_API.md): bodies
// that do not parse or carry an unknown or mistyped field are 400s naming the field; unknown
// tenants, parents and branches 404; a taken name with other parameters 409; a branch with
// children 412; an LSN outside the parent's history or off a record boundary 400; an
// Idempotency-Key reused with another request 422; a snapshot a start would restore from 412.
// Errors carry the client's X-Request-ID.
#include <chrono>
#include <set>

#include "branchmgr/rfc3339.h"
#include "safekeeper/http/http_client.h"
#include "safekeeper/pgwal/first_record.h"
#include "safekeeper/pgwal/wal_decoder.h"
#include "tests/integration/branch_api_client.h"

namespace sk::testing {
namespace {

namespace json = boost::json;
using consensus::Lsn;

class BranchApiErrorsTest : public BranchApiTest {
 protected:
  void SetUp() override {
    BranchApiTest::SetUp();
    ASSERT_EQ(create_tenant(0).status, 201) << cluster_->logs();
  }

  Reply create(const std::string& body, const Headers& headers = {}) {
    return call(1, "POST", branches_path(), body, headers);
  }

  // Root branch "main" on the fixture's timeline, with 1 MiB of WAL appended by sk-loadgen.
  void main_with_wal() {
    ASSERT_EQ(create(std::string(R"({"name":"main","timeline_id":")") + kTimeline + R"("})").status,
              201);
    ChildProcess loadgen = start_loadgen({"--bytes", "1048576", "--wait-all", "1"}, "loadgen.log");
    ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(60)), 0)
        << file_text(dir_.path() / "loadgen.log");
    // --wait-all: every acceptor has heard the run's final commit LSN.
    ASSERT_GE(commit_lsn(1), Lsn(0x1100000)) << states();
  }

  // The ends of main's first records, decoded from the segment node 1 serves.
  std::vector<Lsn> record_ends() {
    auto segment = http::http_request("127.0.0.1:" + std::to_string(cluster_->node(1).http_port),
                                      "GET", timeline_path() + "/wal/000000010000000000000001", "",
                                      std::chrono::seconds(30));
    EXPECT_TRUE(segment && segment->status == 200);
    if (!segment || segment->status != 200) {
      return {};
    }
    const std::span<const std::uint8_t> bytes(
        reinterpret_cast<const std::uint8_t*>(segment->body.data()), 64 * 1024);
    auto first = pgwal::first_record_start(bytes, Lsn(0x1000000), 16 << 20);
    auto decoder = pgwal::WalDecoder::create(first.value().value(), {});
    std::vector<Lsn> ends;
    decoder->feed(bytes.subspan(first->value().bytes_since(Lsn(0x1000000))),
                  [&](const pgwal::WalRecord& record) { ends.push_back(record.end_lsn); });
    return ends;
  }
};

void expect_error(const Reply& reply, int status, const std::string& code,
                  const std::string& mentions) {
  EXPECT_EQ(reply.status, status) << json::serialize(reply.body);
  EXPECT_EQ(error_code(reply), code) << json::serialize(reply.body);
  EXPECT_NE(error_message(reply).find(mentions), std::string::npos)
      << "'" << error_message(reply) << "' should mention '" << mentions << "'";
}

TEST_F(BranchApiErrorsTest, MalformedBodiesAndFields_Are400NamingTheField_WithTheRequestId) {
  const Reply not_json = create("{\"name\": ", {{"X-Request-ID", "req-from-client-1"}});
  expect_error(not_json, 400, "INVALID_ARGUMENT", "not JSON");
  EXPECT_EQ(error_request_id(not_json), "req-from-client-1");

  expect_error(create("[1, 2]"), 400, "INVALID_ARGUMENT", "JSON object");
  expect_error(create(R"({"name": 5})"), 400, "INVALID_ARGUMENT", "'name'");
  expect_error(create(R"({"name":"a","colour":"red"})"), 400, "INVALID_ARGUMENT", "'colour'");
  expect_error(create(R"({"name":"a","parent":"main","lsn":7})"), 400, "INVALID_ARGUMENT", "'lsn'");
  expect_error(create(R"({"name":"a","parent":"main","lsn":"zz"})"), 400, "INVALID_ARGUMENT",
               "'lsn'");
  expect_error(create(R"({"name":"a","parent":"main","timestamp":"yesterday"})"), 400,
               "INVALID_ARGUMENT", "'timestamp'");
  expect_error(
      create(R"({"name":"a","parent":"main","lsn":"0/1","timestamp":"2026-11-24T10:00:00Z"})"), 400,
      "INVALID_ARGUMENT", "exclude");
  expect_error(create(R"({"name":"a","lsn":"0/1000000"})"), 400, "INVALID_ARGUMENT", "'parent'");
  expect_error(create(R"({"name":"a","timeline_id":"xyz"})"), 400, "INVALID_ARGUMENT",
               "'timeline_id'");
  expect_error(create(R"({"name":"-leading-dash"})"), 400, "INVALID_ARGUMENT", "'name'");
  expect_error(create(R"({"parent":"main"})"), 400, "INVALID_ARGUMENT", "'name'");
  expect_error(
      call(1, "POST", "/v1/tenants", R"({"tenant_id":"00000000000000000000000000000000"})"), 400,
      "INVALID_ARGUMENT", "reserved");
  expect_error(call(1, "POST", tenant_path() + "/snapshots", R"({"branch":"main"})"), 400,
               "INVALID_ARGUMENT", "required");
  expect_error(call(1, "GET", "/v1/tenants/not-an-id/branches"), 400, "INVALID_ARGUMENT",
               "tenant id");
  expect_error(call(1, "PUT", branches_path()), 405, "METHOD_NOT_ALLOWED", "PUT");
  // Nothing above changed anything.
  EXPECT_EQ(call(0, "GET", branches_path()).body.at("branches").as_array().size(), 0u);
}

TEST_F(BranchApiErrorsTest, UnknownTenantParentOrBranch_Is404) {
  const std::string other = "/v1/tenants/ffffffffffffffffffffffffffffffff";
  expect_error(call(1, "GET", other), 404, "NOT_FOUND", "tenant");
  expect_error(call(1, "GET", other + "/branches"), 404, "NOT_FOUND", "tenant");
  expect_error(call(1, "POST", other + "/branches", R"({"name":"a"})"), 404, "NOT_FOUND", "tenant");
  expect_error(create(R"({"name":"a","parent":"nope"})"), 404, "NOT_FOUND", "'nope'");
  expect_error(call(1, "GET", branches_path() + "/nope"), 404, "NOT_FOUND", "'nope'");
  expect_error(call(1, "DELETE", branches_path() + "/nope"), 404, "NOT_FOUND", "'nope'");
  expect_error(call(1, "POST", branches_path() + "/nope/reset"), 404, "NOT_FOUND", "'nope'");
}

TEST_F(BranchApiErrorsTest, IdenticalRepeat_GetsTheSameBranch_OtherParametersAre409) {
  const Reply first = create(R"({"name":"main"})");
  ASSERT_EQ(first.status, 201) << json::serialize(first.body);
  const Reply repeat = create(R"({"name":"main"})");
  EXPECT_EQ(repeat.status, 201);
  EXPECT_EQ(text(repeat.body, "timeline_id"), text(first.body, "timeline_id"));
  expect_error(create(R"({"name":"main","timeline_id":"000000000000000000000000000000ff"})"), 409,
               "ALREADY_EXISTS", "other parameters");
  expect_error(
      create(R"({"name":"other","timeline_id":")" + text(first.body, "timeline_id") + R"("})"), 409,
      "ALREADY_EXISTS", "taken");
  // The timeline id names the branch too.
  EXPECT_EQ(
      text(call(2, "GET", branches_path() + "/" + text(first.body, "timeline_id")).body, "name"),
      "main");
}

TEST_F(BranchApiErrorsTest, IdempotencyKey_RepeatGetsTheFirstResult_OtherRequestIs422) {
  const Headers key{{"Idempotency-Key", "create-feature-1"}};
  const Reply first = create(R"({"name":"feature"})", key);
  ASSERT_EQ(first.status, 201) << json::serialize(first.body);
  const Reply repeat = create(R"({"name":"feature"})", key);
  EXPECT_EQ(repeat.status, 201);
  EXPECT_EQ(text(repeat.body, "timeline_id"), text(first.body, "timeline_id"));
  expect_error(create(R"({"name":"feature-2"})", key), 422, "IDEMPOTENCY_KEY_REUSED",
               "create-feature-1");
  EXPECT_EQ(call(0, "GET", branches_path() + "/feature-2").status, 404);
}

TEST_F(BranchApiErrorsTest, BranchPoint_MustBeInTheParentsHistoryAndOnARecordBoundary) {
  expect_error(create(R"({"name":"x","parent":"nope","lsn":"0/1000000"})"), 404, "NOT_FOUND",
               "nope");
  ASSERT_NO_FATAL_FAILURE(main_with_wal());
  const Reply main = call(1, "GET", branches_path() + "/main");
  const Lsn head = lsn_field(main.body, "head_lsn");
  ASSERT_GT(head, Lsn(0x1000000)) << json::serialize(main.body);

  const Reply at_head = create(R"({"name":"at-head","parent":"main"})");
  ASSERT_EQ(at_head.status, 201) << json::serialize(at_head.body);
  EXPECT_EQ(lsn_field(at_head.body, "lsn"), head);
  EXPECT_EQ(text(at_head.body, "parent"), "main");

  const std::vector<Lsn> ends = record_ends();
  ASSERT_GE(ends.size(), 4U);
  const Reply inside =
      create(R"({"name":"inside","parent":"main","lsn":")" + ends[3].to_string() + R"("})");
  ASSERT_EQ(inside.status, 201) << json::serialize(inside.body);
  EXPECT_EQ(lsn_field(inside.body, "lsn"), ends[3]);
  // A branch of a branch, below its own branch point: the grandparent's WAL, still history.
  const Reply nested =
      create(R"({"name":"nested","parent":"inside","lsn":")" + ends[1].to_string() + R"("})");
  EXPECT_EQ(nested.status, 201) << json::serialize(nested.body);
  // Aligned, but inside a record.
  const Lsn within = ends[2].plus_bytes(8);
  ASSERT_LT(within, ends[3]);
  expect_error(create(R"({"name":"x","parent":"main","lsn":")" + within.to_string() + R"("})"), 400,
               "INVALID_ARGUMENT", "not a record boundary of branch 'main'");

  const std::string beyond = head.plus_bytes(8).to_string();
  expect_error(create(R"({"name":"x","parent":"main","lsn":")" + beyond + R"("})"), 400,
               "INVALID_ARGUMENT", "retained history");
  expect_error(create(R"({"name":"x","parent":"main","lsn":"0/800000"})"), 400, "INVALID_ARGUMENT",
               "retained history");
  expect_error(create(R"({"name":"x","parent":"main","lsn":"0/1000004"})"), 400, "INVALID_ARGUMENT",
               "record boundary");
  // sk-loadgen writes no commit records: no time inside the retention window has any data.
  const std::string an_hour_ago = branchmgr::format_rfc3339(
      std::chrono::duration_cast<std::chrono::microseconds>(
          (std::chrono::system_clock::now() - std::chrono::hours(1)).time_since_epoch())
          .count());
  expect_error(create(R"({"name":"x","parent":"main","timestamp":")" + an_hour_ago + R"("})"), 400,
               "INVALID_ARGUMENT", "before any commit");
  // Older than the window (7 days): refused as such.
  expect_error(create(R"({"name":"x","parent":"main","timestamp":"2000-01-01T00:00:00Z"})"), 400,
               "INVALID_ARGUMENT", "older than the history retention window");
  // A root branch without WAL has no history to branch from.
  ASSERT_EQ(create(R"({"name":"empty"})").status, 201);
  expect_error(create(R"({"name":"x","parent":"empty"})"), 412, "FAILED_PRECONDITION", "no WAL");
  EXPECT_EQ(call(0, "GET", branches_path() + "/x").status, 404);
}

// A deleted branch's timeline leaves every node, files and all, once the delete commits; the
// timelines API removes only what no branch uses, and refuses a branch's timeline.
TEST_F(BranchApiErrorsTest, DeletingABranch_FreesItsTimelineOnEveryNode) {
  ASSERT_NO_FATAL_FAILURE(main_with_wal());
  const std::string dev_timeline = "00000000000000000000000000000d0d";
  const Reply dev =
      create(R"({"name":"dev","parent":"main","timeline_id":")" + dev_timeline + R"("})");
  ASSERT_EQ(dev.status, 201) << json::serialize(dev.body);
  const std::string timelines = tenant_path() + "/timelines";
  const std::string create_body =
      R"({"timeline_id":")" + dev_timeline + R"(","start_lsn":")" + text(dev.body, "lsn") + R"("})";
  const auto dev_dir = [&](int i) {
    return cluster_->node(i).data_dir / "timelines" / kTenant / dev_timeline;
  };
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(call(i, "POST", timelines, create_body).status, 201);
    ASSERT_TRUE(std::filesystem::exists(dev_dir(i))) << dev_dir(i);
  }
  const Reply refused = call(0, "DELETE", timelines + "/" + dev_timeline);
  EXPECT_EQ(refused.status, 412) << json::serialize(refused.body);
  EXPECT_NE(error_message(refused).find("is branch 'dev'"), std::string::npos);

  ASSERT_EQ(call(2, "DELETE", branches_path() + "/dev").status, 200);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    // Every node applies the delete after the round that learns it is committed.
    EXPECT_TRUE(poll_until(
        cluster_->node(i).process,
        [&] { return call(i, "GET", timelines + "/" + dev_timeline).status == 404; },
        std::chrono::seconds(10)));
    EXPECT_FALSE(std::filesystem::exists(dev_dir(i))) << dev_dir(i);
  }
  // A timeline no branch has: removed from the node asked, and only from it.
  const std::string stray = "000000000000000000000000000005a5";
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(
        call(i, "POST", timelines, R"({"timeline_id":")" + stray + R"(","start_lsn":"0/1000000"})")
            .status,
        201);
  }
  EXPECT_EQ(call(0, "DELETE", timelines + "/" + stray).status, 200);
  EXPECT_EQ(call(0, "GET", timelines + "/" + stray).status, 404);
  EXPECT_EQ(call(0, "DELETE", timelines + "/" + stray).status, 404);
  EXPECT_EQ(call(1, "GET", timelines + "/" + stray).status, 200);
  EXPECT_EQ(call(0, "DELETE", timeline_path()).status, 412) << "main's timeline";
  // Main's WAL is all held: every byte is inside the 7-day window (sk-loadgen writes no commit
  // records), and no snapshot would spare a start any of it.
  const Reply main_timeline = call(0, "GET", timeline_path());
  ASSERT_EQ(main_timeline.status, 200);
  EXPECT_EQ(text(main_timeline.body.at("removal_horizon"), "lsn"), "0/1000000")
      << json::serialize(main_timeline.body);
  EXPECT_EQ(text(main_timeline.body.at("removal_horizon"), "held_by"), "retention 7d");
  EXPECT_EQ(call(0, "GET", timeline_path()).status, 200);
}

TEST_F(BranchApiErrorsTest, Delete_IsRefusedWithChildren_AndKeepsParentAndSiblings) {
  ASSERT_NO_FATAL_FAILURE(main_with_wal());
  const std::vector<Lsn> ends = record_ends();
  ASSERT_GE(ends.size(), 3U);
  ASSERT_EQ(create(R"({"name":"a","parent":"main","lsn":")" + ends[1].to_string() + R"("})").status,
            201);
  ASSERT_EQ(create(R"({"name":"a-child","parent":"a"})").status, 201);
  const Reply sibling =
      create(R"({"name":"b","parent":"main","lsn":")" + ends[2].to_string() + R"("})");
  ASSERT_EQ(sibling.status, 201);

  expect_error(call(0, "DELETE", branches_path() + "/a"), 412, "FAILED_PRECONDITION", "a-child");
  const Reply child = call(2, "DELETE", branches_path() + "/a-child");
  ASSERT_EQ(child.status, 200) << json::serialize(child.body);
  EXPECT_EQ(text(child.body, "name"), "a-child");
  ASSERT_EQ(call(0, "DELETE", branches_path() + "/a").status, 200);

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(call(i, "GET", branches_path() + "/a").status, 404);
    const Reply b = call(i, "GET", branches_path() + "/b");
    EXPECT_EQ(b.status, 200);
    EXPECT_EQ(json::serialize(b.body),
              json::serialize(call(1, "GET", branches_path() + "/b").body));
    EXPECT_EQ(text(b.body, "timeline_id"), text(sibling.body, "timeline_id"));
    EXPECT_EQ(call(i, "GET", branches_path() + "/main").status, 200);
  }
  expect_error(call(0, "DELETE", branches_path() + "/a"), 404, "NOT_FOUND", "'a'");
}

TEST_F(BranchApiErrorsTest, Reset_MovesTheBranchToANewTimelineAtTheParentsHead) {
  ASSERT_NO_FATAL_FAILURE(main_with_wal());
  const std::vector<Lsn> ends = record_ends();
  ASSERT_GE(ends.size(), 2U);
  const Reply dev =
      create(R"({"name":"dev","parent":"main","lsn":")" + ends[1].to_string() + R"("})");
  ASSERT_EQ(dev.status, 201);
  const Reply reset = call(2, "POST", branches_path() + "/dev/reset");
  ASSERT_EQ(reset.status, 200) << json::serialize(reset.body);
  EXPECT_EQ(text(reset.body, "name"), "dev");
  EXPECT_NE(text(reset.body, "timeline_id"), text(dev.body, "timeline_id"));
  EXPECT_EQ(text(reset.body, "lsn"),
            text(call(1, "GET", branches_path() + "/main").body, "head_lsn"));
  expect_error(call(1, "POST", branches_path() + "/main/reset"), 412, "FAILED_PRECONDITION",
               "root");
  expect_error(call(1, "GET", branches_path() + "/dev/reset"), 405, "METHOD_NOT_ALLOWED", "POST");
}

TEST_F(BranchApiErrorsTest, ABranchNamedWithASlash_IsReadResetAndDeletedByName) {
  ASSERT_NO_FATAL_FAILURE(main_with_wal());
  const Reply created = create(R"({"name":"feature/x","parent":"main"})");
  ASSERT_EQ(created.status, 201) << json::serialize(created.body);
  const std::string by_name = branches_path() + "/feature%2Fx";
  for (int i = 0; i < 3; ++i) {
    const Reply got = call(i, "GET", by_name);
    EXPECT_EQ(got.status, 200) << json::serialize(got.body);
    EXPECT_EQ(text(got.body, "name"), "feature/x");
  }
  const Reply reset = call(1, "POST", by_name + "/reset");
  ASSERT_EQ(reset.status, 200) << json::serialize(reset.body);
  EXPECT_NE(text(reset.body, "timeline_id"), text(created.body, "timeline_id"));
  const Reply deleted = call(2, "DELETE", by_name);
  ASSERT_EQ(deleted.status, 200) << json::serialize(deleted.body);
  EXPECT_EQ(text(deleted.body, "name"), "feature/x");
  expect_error(call(0, "GET", by_name), 404, "NOT_FOUND", "feature/x");
}

TEST_F(BranchApiErrorsTest, List_PagesByNameWithACursor) {
  std::set<std::string> names;
  for (int i = 0; i < 7; ++i) {
    names.insert("br" + std::to_string(i));
    ASSERT_EQ(create(R"({"name":"br)" + std::to_string(i) + R"("})").status, 201);
  }
  std::vector<std::string> seen;
  std::string target = branches_path() + "?limit=3";
  for (int page = 0; page < 10; ++page) {
    const Reply reply = call(page % 3, "GET", target);
    ASSERT_EQ(reply.status, 200) << json::serialize(reply.body);
    for (const json::value& b : reply.body.at("branches").as_array()) {
      seen.push_back(text(b, "name"));
    }
    const json::value& next = reply.body.at("pagination").at("next");
    if (next.is_null()) {
      break;
    }
    target = branches_path() + "?limit=3&cursor=" + std::string(next.as_string());
  }
  EXPECT_EQ(seen, std::vector<std::string>(names.begin(), names.end()));
  expect_error(call(0, "GET", branches_path() + "?limit=0"), 400, "INVALID_ARGUMENT", "limit");
  expect_error(call(0, "GET", branches_path() + "?cursor=zz"), 400, "INVALID_ARGUMENT", "cursor");
}

TEST_F(BranchApiErrorsTest, Snapshots_AreRegisteredAgainstABranch_AndListed) {
  ASSERT_EQ(create(R"({"name":"main"})").status, 201);
  // A checksum is required, and a location is an absolute path with nothing to resolve in it.
  expect_error(call(0, "POST", tenant_path() + "/snapshots",
                    R"({"branch":"main","start_lsn":"0/1","end_lsn":"0/2","location":"/x"})"),
               400, "INVALID_ARGUMENT", "'checksum' are required");
  expect_error(call(0, "POST", tenant_path() + "/snapshots",
                    R"({"branch":"main","start_lsn":"0/1","end_lsn":"0/2","location":"/x",)"
                    R"("checksum":"whatever"})"),
               400, "INVALID_ARGUMENT", "ALGORITHM:");
  expect_error(call(0, "POST", tenant_path() + "/snapshots",
                    R"({"branch":"main","start_lsn":"0/1","end_lsn":"0/2",)"
                    R"("location":"/store/../etc","checksum":"crc32c:00000000"})"),
               400, "INVALID_ARGUMENT", "absolute path");
  const Reply registered =
      call(0, "POST", tenant_path() + "/snapshots",
           R"({"branch":"main","start_lsn":"0/1000028","end_lsn":"0/1000100",)"
           R"("location":"/snapshots/one.tar","checksum":"sha256:ab","size_bytes":1234})");
  ASSERT_EQ(registered.status, 201) << json::serialize(registered.body);
  EXPECT_EQ(text(registered.body, "branch"), "main");
  expect_error(call(0, "POST", tenant_path() + "/snapshots",
                    R"({"branch":"nope","start_lsn":"0/1","end_lsn":"0/2","location":"/x",)"
                    R"("checksum":"crc32c:00000000"})"),
               404, "NOT_FOUND", "'nope'");
  expect_error(call(0, "POST", tenant_path() + "/snapshots",
                    R"({"branch":"main","start_lsn":"0/2","end_lsn":"0/1","location":"/x",)"
                    R"("checksum":"crc32c:00000000"})"),
               400, "INVALID_ARGUMENT", "end_lsn");
  const Reply list = call(2, "GET", tenant_path() + "/snapshots");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body.at("snapshots").as_array().size(), 1u);
  EXPECT_EQ(text(list.body.at("snapshots").as_array()[0], "location"), "/snapshots/one.tar");
}

TEST_F(BranchApiErrorsTest, SnapshotDelete_TheOlderGoesEverywhere_TheNewestIsNeeded) {
  ASSERT_EQ(create(R"({"name":"main"})").status, 201);
  const std::string snapshots = tenant_path() + "/snapshots";
  const Reply older = call(0, "POST", snapshots,
                           R"({"branch":"main","start_lsn":"0/1000028","end_lsn":"0/1000100",)"
                           R"("location":"/store/older","checksum":"crc32c:01234567"})");
  ASSERT_EQ(older.status, 201) << json::serialize(older.body);
  const Reply newer = call(1, "POST", snapshots,
                           R"({"branch":"main","start_lsn":"0/2000028","end_lsn":"0/2000100",)"
                           R"("location":"/store/newer","checksum":"crc32c:89abcdef"})");
  ASSERT_EQ(newer.status, 201) << json::serialize(newer.body);
  const std::string older_id = text(older.body, "snapshot_id");
  const std::string newer_id = text(newer.body, "snapshot_id");
  // The listing says which a delete would take: the older, which no start uses.
  const Reply listed = call(1, "GET", snapshots);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body.at("snapshots").as_array().size(), 2u);
  for (const json::value& s : listed.body.at("snapshots").as_array()) {
    EXPECT_EQ(s.at("removable").as_bool(), text(s, "snapshot_id") == older_id)
        << json::serialize(s);
  }

  const Reply deleted = call(2, "DELETE", snapshots + "/" + older_id);
  ASSERT_EQ(deleted.status, 200) << json::serialize(deleted.body);
  EXPECT_EQ(text(deleted.body, "snapshot_id"), older_id);
  EXPECT_EQ(text(deleted.body, "location"), "/store/older");
  EXPECT_EQ(text(deleted.body, "branch"), "main");
  // Answered once every node reported knowing the commit: each one's list has only the newer.
  for (int i = 0; i < 3; ++i) {
    const Reply list = call(i, "GET", snapshots);
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.body.at("snapshots").as_array().size(), 1u) << "node " << i;
    EXPECT_EQ(text(list.body.at("snapshots").as_array()[0], "snapshot_id"), newer_id);
  }

  expect_error(call(0, "DELETE", snapshots + "/" + newer_id), 412, "FAILED_PRECONDITION",
               "branch 'main' at its head");
  expect_error(call(1, "DELETE", snapshots + "/" + older_id), 404, "NOT_FOUND", "was deleted");
  expect_error(call(1, "DELETE", snapshots + "/0123456789abcdef0123456789abcdef"), 404, "NOT_FOUND",
               "does not exist");
  expect_error(call(1, "DELETE", snapshots + "/nothex"), 400, "INVALID_ARGUMENT", "snapshot id");
  expect_error(call(1, "GET", snapshots + "/" + newer_id), 405, "METHOD_NOT_ALLOWED", "DELETE");
  expect_error(call(0, "POST", snapshots,
                    R"({"branch":"main","snapshot_id":")" + older_id +
                        R"(","start_lsn":"0/1000028","end_lsn":"0/1000100","location":"/x",)"
                        R"("checksum":"crc32c:00000000"})"),
               409, "ALREADY_EXISTS", "not reused");
  EXPECT_EQ(call(2, "GET", snapshots).body.at("snapshots").as_array().size(), 1u);
}

// A node started without --peers holds no branch log: changes are refused with 503.
class NoBranchLogTest : public ClusterTest {};

TEST_F(NoBranchLogTest, ChangesAre503) {
  const auto reply = cluster_->http(0, "POST", "/v1/tenants", "{}");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 503);
  EXPECT_NE(error_message(*reply).find("--peers"), std::string::npos);
}

}  // namespace
}  // namespace sk::testing
