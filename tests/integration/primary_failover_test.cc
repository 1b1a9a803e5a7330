// Replacing a primary (label `pg`): a new primary is built from the timeline's first base backup
// plus the safekeepers' WAL up to the LSN `walproposer --sync-safekeepers` prints, and started
// without a recovery signal. Nothing whose commit returned on the old primary is missing from it,
// though safekeepers were killed and restarted all along; and while the old one still runs, only
// the primary whose walproposer was elected last gets its commits acknowledged.
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/integration/primary_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;

class PrimaryFailoverTest : public PrimaryTest {
 protected:
  // Runs `walproposer --sync-safekeepers` to its end: the LSN it printed, or nullopt.
  std::optional<Lsn> sync_safekeepers() {
    ChildProcess sync = start_sync("sync.log");
    if (sync.wait_exit(std::chrono::seconds(120)) != std::optional<int>(0)) {
      return std::nullopt;
    }
    return printed_lsn("sync.log");
  }

  // The values of t.i on a server, as a set.
  static std::set<int> rows_of(PgSession& session) {
    std::set<int> rows;
    std::istringstream values(session.query("SELECT string_agg(i::text, ' ') FROM t").value_or(""));
    for (int i = 0; values >> i;) {
      rows.insert(i);
    }
    return rows;
  }
};

TEST_F(PrimaryFailoverTest, NoAcknowledgedCommitLost_WhenThePrimarysMachineIsLost) {
  ChildProcess walproposer = start_walproposer("walproposer.log", "walproposer");
  ASSERT_GT(walproposer.pid(), 0);
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t (i int PRIMARY KEY)")) << session.error();
  // The timeline's first base backup, taken once the primary streams into the safekeepers.
  PostgresServer replacement(dir_.path(), bindir_, {postgres_->conninfo(), "replacement"});
  ASSERT_EQ(replacement.why(), "");

  // Numbered rows, one transaction each; a row counts once its commit returned.
  std::vector<int> acknowledged;
  int next = 0;
  auto insert_rows = [&](int count) {
    for (int k = 0; k < count; ++k) {
      ++next;
      if (!session.send("INSERT INTO t VALUES (" + std::to_string(next) + ")")) {
        return false;
      }
      if (session.wait_answer(std::chrono::seconds(60)) != std::optional<bool>(true)) {
        return false;
      }
      acknowledged.push_back(next);
    }
    return true;
  };
  // Meanwhile every safekeeper in turn is SIGKILLed and restarted: a majority stays up.
  for (int round = 0; round < 6; ++round) {
    const int victim = round % cluster_->size();
    ASSERT_TRUE(insert_rows(30)) << "row " << next << ": " << session.error() << states();
    cluster_->kill(victim);
    ASSERT_TRUE(insert_rows(30)) << "row " << next << " with node " << victim + 1 << " down\n"
                                 << states();
    ASSERT_TRUE(cluster_->start(victim)) << cluster_->logs();
  }
  ASSERT_TRUE(insert_rows(20)) << states();

  // The machine is lost: the primary, its walproposer and its data directory.
  postgres_->kill();
  walproposer.kill_and_wait();
  fs::remove_all(postgres_->data_dir());

  const auto end = sync_safekeepers();
  ASSERT_TRUE(end.has_value()) << file_text(dir_.path() / "sync.log") << states();
  ASSERT_EQ(restore_wal_until(replacement, *end), "") << states();
  ASSERT_TRUE(replacement.start()) << file_text(replacement.log());
  PgSession after(replacement.conninfo());
  ASSERT_TRUE(after.ok()) << after.error();
  const std::set<int> rows = rows_of(after);
  std::vector<int> missing;
  for (int i : acknowledged) {
    if (!rows.contains(i)) {
      missing.push_back(i);
    }
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << acknowledged.size()
                               << " acknowledged rows are missing, the first " << missing.front()
                               << "; replayed to " << end->to_string();
}

TEST_F(PrimaryFailoverTest, TwoPrimaries_OnlyTheOneWhoseWalproposerWasElectedLastCommits) {
  ChildProcess first_walproposer = start_walproposer("first.log", "walproposer");
  ASSERT_GT(first_walproposer.pid(), 0);
  PgSession first(postgres_->conninfo());
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE(first.query("CREATE TABLE t (i int PRIMARY KEY)")) << first.error();
  PostgresServer second(dir_.path(), bindir_, {postgres_->conninfo(), "second"});
  ASSERT_EQ(second.why(), "");
  ASSERT_TRUE(first.query("INSERT INTO t VALUES (1)")) << first.error();

  // The second primary is built as after a machine loss, while the first still runs.
  const auto end = sync_safekeepers();
  ASSERT_TRUE(end.has_value()) << file_text(dir_.path() / "sync.log") << states();
  ASSERT_EQ(restore_wal_until(second, *end), "") << states();
  ASSERT_TRUE(second.start()) << file_text(second.log());
  ChildProcess second_walproposer = start_walproposer_for(second, "second.log", "walproposer");
  ASSERT_GT(second_walproposer.pid(), 0);
  ASSERT_TRUE(poll_until(
      second_walproposer,
      [&] {
        return file_text(dir_.path() / "second.log").find("streaming from the primary") !=
               std::string::npos;
      },
      std::chrono::seconds(60)))
      << file_text(dir_.path() / "second.log");

  // The first primary's commits are no longer acknowledged: its walproposer was fenced.
  ASSERT_TRUE(first.send("INSERT INTO t VALUES (2)"));
  EXPECT_EQ(first.wait_answer(std::chrono::seconds(3)), std::nullopt);
  EXPECT_EQ(first_walproposer.wait_exit(std::chrono::seconds(30)), std::optional<int>(3))
      << file_text(dir_.path() / "first.log");

  // The second one's are, and it holds what the first had acknowledged.
  PgSession on_second(second.conninfo());
  ASSERT_TRUE(on_second.ok()) << on_second.error();
  ASSERT_TRUE(on_second.send("INSERT INTO t VALUES (3)"));
  EXPECT_EQ(on_second.wait_answer(std::chrono::seconds(60)), std::optional<bool>(true))
      << on_second.error() << file_text(dir_.path() / "second.log") << states();
  EXPECT_EQ(rows_of(on_second), (std::set<int>{1, 3}));
}

}  // namespace
}  // namespace sk::testing
