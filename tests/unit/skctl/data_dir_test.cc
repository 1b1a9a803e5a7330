// What a restart makes of a data directory, and pg_controldata's fields (no PostgreSQL needed:
// the pg tests cover directories PostgreSQL wrote).
#include "safekeeper/skctl/data_dir.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sk::skctl {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;

constexpr const char* kControlData = R"(pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7441234567890123456
Database cluster state:               shut down
pg_control last modified:             Wed 02 Dec 2026 05:40:00 AM UTC
Latest checkpoint location:           0/3CADE90
Latest checkpoint's REDO location:    0/3CADE90
Bytes per WAL segment:                16777216
)";

TEST(ParseControlData, ReadsTheStateTheCheckpointAndTheSegmentSize) {
  auto control = parse_controldata(kControlData);
  ASSERT_TRUE(control) << control.error().to_string();
  EXPECT_EQ(control->cluster_state, "shut down");
  EXPECT_EQ(control->checkpoint_lsn, Lsn(0x3CADE90));
  EXPECT_EQ(control->seg_size_bytes, 16777216U);
  EXPECT_TRUE(shut_down_cleanly(*control));
  control->cluster_state = "in production";
  EXPECT_FALSE(shut_down_cleanly(*control));
}

TEST(ParseControlData, AMissingFieldIsCorruption) {
  EXPECT_EQ(parse_controldata("Database cluster state: shut down\n").error().code(),
            ErrorCode::kCorruption);
  EXPECT_EQ(parse_controldata("").error().code(), ErrorCode::kCorruption);
}

TEST(InspectDataDir, EmptyForeignAndUncleanDirectories) {
  testing::TempDir dir;
  EXPECT_EQ(inspect_data_dir(dir.path() / "missing", "/nonexistent").state, DataDirState::kEmpty);
  fs::create_directories(dir.path() / "empty");
  EXPECT_EQ(inspect_data_dir(dir.path() / "empty", "/nonexistent").state, DataDirState::kEmpty);

  // Somebody else's PostgreSQL: never cleared.
  fs::create_directories(dir.path() / "theirs");
  std::ofstream(dir.path() / "theirs" / "PG_VERSION") << "15\n";
  EXPECT_EQ(inspect_data_dir(dir.path() / "theirs", "/nonexistent").state, DataDirState::kForeign);

  // skctl's, with no clean-stop marker (killed), or with one but postmaster.pid still there.
  fs::create_directories(dir.path() / "ours");
  std::ofstream(dir.path() / "ours" / kSkctlConfigFile) << "port = 5432\n";
  const DataDirInspection killed = inspect_data_dir(dir.path() / "ours", "/nonexistent");
  EXPECT_EQ(killed.state, DataDirState::kUnclean);
  EXPECT_NE(killed.why.find("not a clean one"), std::string::npos) << killed.why;
  ASSERT_TRUE(mark_clean_stop(dir.path() / "ours"));
  std::ofstream(dir.path() / "ours" / "postmaster.pid") << "1\n";
  EXPECT_EQ(inspect_data_dir(dir.path() / "ours", "/nonexistent").state, DataDirState::kUnclean);

  // A marker with an unreadable control file is not trusted either.
  fs::remove(dir.path() / "ours" / "postmaster.pid");
  EXPECT_EQ(inspect_data_dir(dir.path() / "ours", "/nonexistent").state, DataDirState::kUnclean);

  // Forgetting the marker before a start makes a crash after it unclean.
  ASSERT_TRUE(forget_clean_stop(dir.path() / "ours"));
  EXPECT_NE(inspect_data_dir(dir.path() / "ours", "/nonexistent").why.find("not a clean one"),
            std::string::npos);
  ASSERT_TRUE(clear_data_dir(dir.path() / "ours"));
  EXPECT_TRUE(fs::is_empty(dir.path() / "ours"));
}

}  // namespace
}  // namespace sk::skctl
