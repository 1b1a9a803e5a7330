// Computes and replicas on branches, end to end through skctl: real PostgreSQL 15 servers
// restored from a snapshot and the safekeepers' composed WAL, each with its walproposer.
//
// Time travel three levels deep: main -> b1 as of a timestamp -> b2 at an LSN of b1 -> b3 as of
// a timestamp on b2's own WAL; each compute sees exactly the rows of its history, and writes on
// one branch appear on no other. A replica on a branch follows that branch's compute.
#include <fstream>

#include "tests/integration/free_port.h"
#include "tests/integration/skctl_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

using BranchComputeTest = SkctlTest;

TEST_F(BranchComputeTest, TimeTravelThreeLevelsDeep_EachComputeSeesExactlyItsHistory) {
  PgSession main(start_main());  // initdb: a new database, and its first snapshot.
  ASSERT_TRUE(main.ok()) << main.error();

  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('a')")) << main.error();
  const std::string t1 = now_rfc3339(main);
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('b')")) << main.error();
  // Every node has learnt that 'b' committed, so each one's commit-time index has a commit
  // after t1 (a node learns a commit LSN with the walproposer's next message: without this, an
  // index a heartbeat behind could place t1 before 'a' as well).
  ASSERT_TRUE(head_reaches("main", current_lsn(main)));

  // b1: main as of t1.
  const SkctlResult b1_created = create_branch_at("b1", "main@" + t1);
  ASSERT_EQ(b1_created.exit_code, 0) << b1_created.output;
  PgSession b1(start("compute", "b1"));
  ASSERT_TRUE(b1.ok()) << b1.error();
  EXPECT_EQ(rows(b1), "a");
  ASSERT_TRUE(b1.query("INSERT INTO t VALUES ('c1')")) << b1.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('d')")) << main.error();
  EXPECT_EQ(rows(main), "a,b,d");
  EXPECT_EQ(rows(b1), "a,c1");

  // b2: b1 at the LSN right after c1 committed.
  const Lsn after_c1 = Lsn::parse(b1.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("b1", after_c1));
  const std::string b1_head = text(call(0, "GET", branches_path() + "/b1").body, "head_lsn");
  ASSERT_EQ(skctl({"branch", "create", "b2", "--parent", "b1@" + b1_head}).exit_code, 0);
  ASSERT_TRUE(b1.query("INSERT INTO t VALUES ('c2')")) << b1.error();
  PgSession b2(start("compute", "b2"));
  ASSERT_TRUE(b2.ok()) << b2.error();
  EXPECT_EQ(rows(b2), "a,c1");

  // b3: b2 as of a moment between two of b2's own commits.
  ASSERT_TRUE(b2.query("INSERT INTO t VALUES ('e1')")) << b2.error();
  const std::string t2 = now_rfc3339(b2);
  ASSERT_TRUE(b2.query("INSERT INTO t VALUES ('e2')")) << b2.error();
  ASSERT_TRUE(head_reaches("b2", current_lsn(b2)));
  const SkctlResult b3_created = create_branch_at("b3", "b2@" + t2);
  ASSERT_EQ(b3_created.exit_code, 0) << b3_created.output;
  PgSession b3(start("compute", "b3"));
  ASSERT_TRUE(b3.ok()) << b3.error();
  EXPECT_EQ(rows(b3), "a,c1,e1");

  // Writes stay on their branch.
  ASSERT_TRUE(b3.query("INSERT INTO t VALUES ('f')")) << b3.error();
  EXPECT_EQ(rows(main), "a,b,d");
  EXPECT_EQ(rows(b1), "a,c1,c2");
  EXPECT_EQ(rows(b2), "a,c1,e1,e2");
  EXPECT_EQ(rows(b3), "a,c1,e1,f");

  const json::value listed = skctl_json({"branch", "list"});
  ASSERT_TRUE(listed.is_object());
  EXPECT_EQ(listed.at("branches").as_array().size(), 4U);
}

// Restore in place: main goes back to a moment of its own past and keeps its name and its
// compute's connection string; its old state stays reachable as main-before-restore.
TEST_F(BranchComputeTest, RestoreInPlace_KeepsTheNameAndConnection_AndTheOldStateUnderItsName) {
  const std::string conninfo = start_main();
  {
    PgSession main(conninfo);
    ASSERT_TRUE(main.ok()) << main.error();
    ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
    ASSERT_TRUE(main.query("INSERT INTO t VALUES ('a')")) << main.error();
    const std::string t1 = now_rfc3339(main);
    ASSERT_TRUE(main.query("INSERT INTO t VALUES ('b')")) << main.error();
    ASSERT_TRUE(head_reaches("main", current_lsn(main)));
    // Every node's commit-time index has caught up with 'b' before the restore asks for t1.
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(poll_until(
          cluster_->node(i).process,
          [&] {
            return call(i, "GET", branches_path() + "/main/lsn_by_timestamp?timestamp=" + t1)
                       .status == 200;
          },
          std::chrono::seconds(30)));
    }
    const SkctlResult restored = skctl({"branch", "restore", "main", "--to", "main@" + t1,
                                        "--preserve-as", "main-before-restore"});
    ASSERT_EQ(restored.exit_code, std::optional<int>(0)) << restored.output;
    EXPECT_NE(restored.output.find("restarted"), std::string::npos) << restored.output;
  }
  PgSession main(conninfo);  // The same connection string, now on the restored branch.
  ASSERT_TRUE(main.ok()) << main.error();
  EXPECT_EQ(rows(main), "a");
  PgSession before(start("compute", "main-before-restore"));
  ASSERT_TRUE(before.ok()) << before.error();
  EXPECT_EQ(rows(before), "a,b");
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('c')")) << main.error();
  EXPECT_EQ(rows(main), "a,c");
  EXPECT_EQ(rows(before), "a,b");

  const Reply got = call(1, "GET", branches_path() + "/main");
  EXPECT_EQ(text(got.body, "parent"), "main-before-restore");
  // A protected branch refuses a restore, naming the flag.
  ASSERT_EQ(skctl({"branch", "set", "main", "--protected", "true"}).exit_code,
            std::optional<int>(0));
  const SkctlResult refused = skctl({"branch", "restore", "main", "--to", "main-before-restore"});
  EXPECT_NE(refused.exit_code, std::optional<int>(0));
  EXPECT_NE(refused.output.find("protected"), std::string::npos) << refused.output;
  PgSession still(conninfo);  // Restarted as it was.
  ASSERT_TRUE(still.ok()) << still.error();
  EXPECT_EQ(rows(still), "a,c");
}

TEST_F(BranchComputeTest, TimeTravelReadOnly_AtATimestampAndAnLsn_ExactlyTheRowsCommittedByThen) {
  PgSession main(start_main());
  ASSERT_TRUE(main.ok()) << main.error();
  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('a')")) << main.error();
  const std::string after_a = now_rfc3339(main);
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('b')")) << main.error();
  const std::string after_b = main.query("SELECT pg_current_wal_lsn()").value_or("");
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('c')")) << main.error();
  const Lsn end = Lsn::parse(main.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("main", end));

  // As of a timestamp (retried while the commit-time index catches up: exit 2).
  SkctlResult at_time;
  const std::string past = "main@" + after_a;
  const std::uint16_t time_port = free_port();
  poll_until(
      cluster_->node(0).process,
      [&] {
        at_time = skctl({"compute", "start", "--read-only", "--branch", past, "--pgdata",
                         (data_root() / "at-time").string(), "--port", std::to_string(time_port)});
        return at_time.exit_code != std::optional<int>(3);
      },
      std::chrono::seconds(30));
  ASSERT_EQ(at_time.exit_code, 0) << at_time.output;
  PgSession then(conninfo_at(time_port));
  EXPECT_EQ(rows(then), "a");
  EXPECT_FALSE(then.query("INSERT INTO t VALUES ('x')"));
  EXPECT_NE(then.error().find("read-only"), std::string::npos) << then.error();

  // At an LSN.
  const std::uint16_t lsn_port = free_port();
  const SkctlResult at_lsn =
      skctl({"compute", "start", "--read-only", "--branch", "main@" + after_b, "--pgdata",
             (data_root() / "at-lsn").string(), "--port", std::to_string(lsn_port)});
  ASSERT_EQ(at_lsn.exit_code, 0) << at_lsn.output;
  PgSession at(conninfo_at(lsn_port));
  EXPECT_EQ(rows(at), "a,b");
  const SkctlResult uri = skctl({"connection-string", "main@" + after_b});
  EXPECT_NE(uri.output.find(":" + std::to_string(lsn_port) + "/"), std::string::npos) << uri.output;

  // Nothing changed on main, no branch was made, and a stop leaves nothing behind.
  EXPECT_EQ(rows(main), "a,b,c");
  EXPECT_EQ(skctl_json({"branch", "list"}).at("branches").as_array().size(), 1U);
  ASSERT_EQ(skctl({"compute", "stop", "--branch", past}).exit_code, 0);
  EXPECT_FALSE(fs::exists(data_root() / "at-time"));

  // A point in the past without --read-only is refused.
  const SkctlResult writable =
      skctl({"compute", "start", "--branch", past, "--pgdata", (data_root() / "writable").string(),
             "--port", std::to_string(free_port())});
  EXPECT_EQ(writable.exit_code, 1);
  EXPECT_NE(writable.output.find("--read-only"), std::string::npos) << writable.output;
}

TEST_F(BranchComputeTest, AReplicaOnABranchFollowsThatBranchsCompute) {
  PgSession main(start_main());
  ASSERT_TRUE(main.ok()) << main.error();
  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('on main')")) << main.error();
  const Lsn main_end = Lsn::parse(main.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("main", main_end));
  ASSERT_EQ(skctl({"branch", "create", "dev", "--parent", "main"}).exit_code, 0);

  // The replica starts before dev has any WAL of its own: it reads main's, composed.
  PgSession replica(start("replica", "dev"));
  ASSERT_TRUE(replica.ok()) << replica.error();
  EXPECT_EQ(replica.query("SELECT pg_is_in_recovery()"), "t");
  PgSession dev(start("compute", "dev"));
  ASSERT_TRUE(dev.ok()) << dev.error();
  ASSERT_TRUE(dev.query("INSERT INTO t VALUES ('on dev')")) << dev.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('main only')")) << main.error();

  std::string seen;
  EXPECT_TRUE(poll_until(
      cluster_->node(0).process,
      [&] {
        seen = rows(replica);
        return seen == "on dev,on main";
      },
      std::chrono::seconds(60)))
      << "the replica shows: " << seen;
}

// `branch schema-diff`: a table and an index added on a branch show up as the branch's only;
// a branch against itself shows nothing.
TEST_F(BranchComputeTest, SchemaDiff_ShowsWhatABranchAdded) {
  PgSession main(start_main());
  ASSERT_TRUE(main.ok()) << main.error();
  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  const Lsn end = Lsn::parse(main.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("main", end));
  ASSERT_EQ(skctl({"branch", "create", "dev", "--parent", "main"}).exit_code, 0);
  PgSession dev(start("compute", "dev"));
  ASSERT_TRUE(dev.ok()) << dev.error();
  ASSERT_TRUE(dev.query("CREATE TABLE extra (i int)")) << dev.error();
  ASSERT_TRUE(dev.query("CREATE INDEX extra_i ON extra (i)")) << dev.error();

  const boost::json::value diff = skctl_json({"branch", "schema-diff", "main", "dev"});
  ASSERT_TRUE(diff.is_object()) << boost::json::serialize(diff);
  EXPECT_EQ(boost::json::serialize(diff.at("only_in_b")),
            R"(["INDEX public.extra_i","TABLE public.extra"])");
  EXPECT_TRUE(diff.at("only_in_a").as_array().empty());
  EXPECT_TRUE(diff.at("changed").as_array().empty()) << boost::json::serialize(diff);
  const SkctlResult unified = skctl({"branch", "schema-diff", "main", "dev"});
  EXPECT_EQ(unified.exit_code, std::optional<int>(0)) << unified.output;
  EXPECT_NE(unified.output.find("+CREATE TABLE public.extra"), std::string::npos) << unified.output;
  const SkctlResult same = skctl({"branch", "schema-diff", "main", "main"});
  EXPECT_NE(same.output.find("are the same"), std::string::npos) << same.output;
  const SkctlResult none = skctl({"branch", "schema-diff", "main", "nowhere"});
  EXPECT_EQ(none.exit_code, std::optional<int>(1)) << none.output;
  EXPECT_NE(none.output.find("has no server on this machine"), std::string::npos) << none.output;
}

TEST_F(BranchComputeTest, RefusalsAreOneClearLine) {
  PgSession main(start_main());
  ASSERT_TRUE(main.ok()) << main.error();
  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  const Lsn end = Lsn::parse(main.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("main", end));

  // A second compute on the same branch, while the first runs.
  const SkctlResult second =
      skctl({"compute", "start", "--branch", "main", "--pgdata", (dir_.path() / "second").string(),
             "--port", std::to_string(free_port())});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.output.find("already has a compute"), std::string::npos) << second.output;

  // A data directory skctl did not make is neither reused nor cleared.
  ASSERT_EQ(skctl({"branch", "create", "dev", "--parent", "main"}).exit_code, 0);
  fs::create_directories(dir_.path() / "theirs");
  std::ofstream(dir_.path() / "theirs" / "PG_VERSION") << "15\n";
  const SkctlResult foreign =
      skctl({"compute", "start", "--branch", "dev", "--pgdata", (dir_.path() / "theirs").string(),
             "--port", std::to_string(free_port())});
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_NE(foreign.output.find("skctl did not make it"), std::string::npos) << foreign.output;
  EXPECT_TRUE(fs::exists(dir_.path() / "theirs" / "PG_VERSION"));

  // A durability that does not exist.
  const SkctlResult durability =
      skctl({"compute", "start", "--branch", "dev", "--pgdata", (dir_.path() / "dev").string(),
             "--port", std::to_string(free_port()), "--durability", "none"});
  EXPECT_EQ(durability.exit_code, 1);
  EXPECT_NE(durability.output.find("--durability must be quorum or local"), std::string::npos)
      << durability.output;

  // Unknown branch; connection strings.
  const SkctlResult unknown = skctl({"branch", "get", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.output.rfind("skctl: error: ", 0), 0U) << unknown.output;
  const SkctlResult uri = skctl({"connection-string", "main"});
  EXPECT_EQ(uri.exit_code, 0);
  EXPECT_NE(uri.output.find("postgresql://postgres@127.0.0.1:"), std::string::npos);

  // No safekeeper reachable: exit 2.
  const SkctlResult unreachable = [&] {
    const fs::path log = dir_.path() / "unreachable.log";
    ChildProcess p =
        ChildProcess::spawn({SK_SKCTL_BIN, "--safekeepers",
                             "127.0.0.1:" + std::to_string(free_port()), "tenant", "list"},
                            log);
    return SkctlResult{p.wait_exit(std::chrono::minutes(1)), file_text(log)};
  }();
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.output;
}

}  // namespace
}  // namespace sk::testing
