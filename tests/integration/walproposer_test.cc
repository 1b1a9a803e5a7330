// The walproposer with a real PostgreSQL 15 primary (label `pg`): three safekeepers, a primary
// with synchronous_standby_names = 'walproposer', and the walproposer between them. A commit
// returns only once a majority of safekeepers holds its WAL, byte for byte as the primary wrote
// it; without a quorum it waits, and it returns when the quorum is back.
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "safekeeper/http/http_client.h"
#include "safekeeper/pgwal/segment_name.h"
#include "tests/integration/primary_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;

class WalproposerTest : public PrimaryTest {};

TEST_F(WalproposerTest, EveryReturnedCommit_IsOnAMajorityByteForByte) {
  ChildProcess walproposer = start_walproposer("walproposer.log", "walproposer");
  ASSERT_GT(walproposer.pid(), 0);
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t (i int, filler text)")) << session.error();
  const Lsn start = Lsn::parse(kStartLsn).value();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(session.query("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(" +
                              std::to_string(i * 500) + ", " + std::to_string(i * 500 + 499) +
                              ") g"))
        << session.error();
    // The commit returned: its record is flushed on a majority already, no waiting.
    const auto end = Lsn::parse(session.query("SELECT pg_current_wal_insert_lsn()").value_or(""));
    ASSERT_TRUE(end.has_value());
    ASSERT_GE(nodes_holding(*end), 2) << "commit " << i << " at " << end->to_string() << "\n"
                                      << states() << file_text(dir_.path() / "walproposer.log");
  }
  // Byte for byte: the safekeepers' WAL is the primary's, from the timeline's start.
  const auto end = Lsn::parse(session.query("SELECT pg_current_wal_insert_lsn()").value_or(""));
  ASSERT_TRUE(end.has_value());
  const std::string expected = primary_digest(start, *end);
  ASSERT_FALSE(expected.empty());
  int matching = 0;
  for (int i = 0; i < cluster_->size(); ++i) {
    matching += digest(i, start, *end) == expected ? 1 : 0;
  }
  EXPECT_GE(matching, 2) << states();
  EXPECT_TRUE(walproposer.running()) << file_text(dir_.path() / "walproposer.log");
}

// restore_command's route: a committed segment fetched from a safekeeper is the primary's own
// file, byte for byte, and pg_waldump reads it.
TEST_F(WalproposerTest, WalSegmentsOverHttp_AreThePrimarysFilesAndPgWaldumpReadsThem) {
  ChildProcess walproposer = start_walproposer("walproposer.log", "walproposer");
  ASSERT_GT(walproposer.pid(), 0);
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g"))
      << session.error();
  // Finish segment 1 and commit in segment 2, so that all of segment 1 is committed.
  ASSERT_TRUE(session.query("SELECT pg_switch_wal()")) << session.error();
  ASSERT_TRUE(session.query("INSERT INTO t VALUES (0)")) << session.error();
  const std::string name = "000000010000000000000001";
  const std::string primary_file = file_text(postgres_->data_dir() / "pg_wal" / name);
  ASSERT_EQ(primary_file.size(), kSegBytes);

  const Lsn end =
      Lsn::parse(session.query("SELECT pg_current_wal_insert_lsn()").value_or("")).value_or(Lsn(0));
  int served = 0;
  for (int i = 0; i < cluster_->size(); ++i) {
    // A safekeeper learns the commit LSN with the next append or heartbeat: wait until it knows
    // all of segment 1 is committed (before that it serves the segment zero-filled after it).
    if (!poll_until(
            walproposer, [&] { return commit_lsn(i) >= Lsn(2 * kSegBytes); },
            std::chrono::seconds(30))) {
      continue;  // This one may lag; a majority must serve it.
    }
    auto reply =
        http::http_request("127.0.0.1:" + std::to_string(cluster_->node(i).http_port), "GET",
                           timeline_path() + "/wal/" + name, "", std::chrono::seconds(30));
    ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
    ASSERT_EQ(reply->status, 200) << reply->body.substr(0, 300);
    ++served;
    EXPECT_TRUE(reply->body == primary_file) << "node " << i + 1 << " serves other bytes";
    if (i == 0) {
      const fs::path fetched = dir_.path() / "fetched" / name;
      fs::create_directories(fetched.parent_path());
      std::ofstream(fetched, std::ios::binary) << reply->body;
      ChildProcess waldump = ChildProcess::spawn(
          {(*postgres15_bindir() / "pg_waldump").string(), "--end=0/2000000", fetched.string()},
          dir_.path() / "waldump.log");
      EXPECT_EQ(waldump.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
          << file_text(dir_.path() / "waldump.log").substr(0, 2000);
      EXPECT_NE(file_text(dir_.path() / "waldump.log").find("desc: SWITCH"), std::string::npos);
    }
  }
  EXPECT_GE(served, 2) << states() << "commit at " << end.to_string();
}

TEST_F(WalproposerTest, WithoutAQuorumACommitWaits_AndReturnsWhenASafekeeperComesBack) {
  ChildProcess walproposer = start_walproposer("walproposer.log", "walproposer");
  ASSERT_GT(walproposer.pid(), 0);
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t (i int)")) << session.error();
  ASSERT_TRUE(session.query("INSERT INTO t VALUES (1)")) << session.error();

  cluster_->kill(1);
  cluster_->kill(2);
  ASSERT_TRUE(session.send("INSERT INTO t VALUES (2)"));
  // Two of three gone: the commit must not return (3 s is many round trips: it would have).
  EXPECT_EQ(session.wait_answer(std::chrono::seconds(3)), std::nullopt);

  ASSERT_TRUE(cluster_->start(2)) << cluster_->logs();
  EXPECT_EQ(session.wait_answer(std::chrono::seconds(60)), std::optional<bool>(true))
      << states() << file_text(dir_.path() / "walproposer.log");
  EXPECT_EQ(session.query("SELECT count(*) FROM t"), std::optional<std::string>("2"));
  EXPECT_TRUE(walproposer.running()) << file_text(dir_.path() / "walproposer.log");
}

TEST_F(WalproposerTest, SecondWalproposerElected_FirstSaysItIsFencedAndExits3) {
  ChildProcess first = start_walproposer("first.log", "walproposer");
  ASSERT_GT(first.pid(), 0);
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t (i int)")) << session.error();

  ChildProcess second = start_walproposer("second.log", "second");
  ASSERT_GT(second.pid(), 0);
  EXPECT_EQ(first.wait_exit(std::chrono::seconds(60)), std::optional<int>(3))
      << file_text(dir_.path() / "first.log");
  EXPECT_NE(file_text(dir_.path() / "first.log").find("fenced"), std::string::npos);
  // The second one streams on: commits go on returning.
  EXPECT_TRUE(session.query("INSERT INTO t VALUES (1)")) << session.error();
  EXPECT_TRUE(second.running()) << file_text(dir_.path() / "second.log");
}

}  // namespace
}  // namespace sk::testing
