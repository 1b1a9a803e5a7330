// clone_tree on whatever file system the temporary directory is on: the copy is exact, and
// independent of its source whether it was cloned or copied. (Cloning itself, on XFS with
// reflink=1, is covered by the pg tests, which mount one.)
#include "safekeeper/skctl/clone_tree.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sk::skctl {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CloneTree, RecreatesFilesDirectoriesModesAndLinks) {
  testing::TempDir dir;
  const fs::path src = dir.path() / "src";
  fs::create_directories(src / "base" / "1");
  fs::create_directories(src / "pg_wal");
  std::ofstream(src / "PG_VERSION") << "15\n";
  std::ofstream(src / "base" / "1" / "1259") << std::string(70000, 'x');
  fs::permissions(src / "base", fs::perms::owner_all);
  fs::create_symlink("base/1", src / "link");

  auto report = clone_tree(src, dir.path() / "dst");
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->files, 2U);
  EXPECT_EQ(report->cloned_files + (report->copied_bytes > 0 ? 2U : 0U), 2U);
  EXPECT_EQ(read_text(dir.path() / "dst" / "PG_VERSION"), "15\n");
  EXPECT_EQ(read_text(dir.path() / "dst" / "base" / "1" / "1259"), std::string(70000, 'x'));
  EXPECT_TRUE(fs::is_directory(dir.path() / "dst" / "pg_wal"));
  EXPECT_EQ(fs::status(dir.path() / "dst" / "base").permissions(), fs::perms::owner_all);
  EXPECT_EQ(fs::read_symlink(dir.path() / "dst" / "link"), "base/1");
}

TEST(CloneTree, RefusesSymbolicLinksOutOfTheTree) {
  for (const std::string link : {"/etc/shadow", "../../outside", "base/../../../escape"}) {
    testing::TempDir dir;
    const fs::path src = dir.path() / "src";
    fs::create_directories(src / "base");
    fs::create_symlink(link, src / "base" / "link");
    auto report = clone_tree(src, dir.path() / "dst");
    ASSERT_FALSE(report) << link;
    EXPECT_EQ(report.error().code(), ErrorCode::kCorruption);
    EXPECT_NE(report.error().message().find("symbolic link out of the snapshot"),
              std::string::npos);
  }
  testing::TempDir dir;  // Up and down again, still inside: kept.
  fs::create_directories(dir.path() / "src" / "base");
  fs::create_symlink("../base", dir.path() / "src" / "base" / "self");
  EXPECT_TRUE(clone_tree(dir.path() / "src", dir.path() / "dst"));
}

TEST(CloneTree, WritingTheCopyLeavesTheSourceAlone) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "src");
  std::ofstream(dir.path() / "src" / "f") << "before";
  ASSERT_TRUE(clone_tree(dir.path() / "src", dir.path() / "dst"));
  std::ofstream(dir.path() / "dst" / "f", std::ios::trunc) << "after";
  EXPECT_EQ(read_text(dir.path() / "src" / "f"), "before");
  EXPECT_EQ(read_text(dir.path() / "dst" / "f"), "after");
}

TEST(CloneTree, RefusesATargetThatIsNotEmptyAndASourceThatIsMissing) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "src");
  fs::create_directories(dir.path() / "dst");
  std::ofstream(dir.path() / "dst" / "keep") << "mine";
  auto busy = clone_tree(dir.path() / "src", dir.path() / "dst");
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(read_text(dir.path() / "dst" / "keep"), "mine");
  auto missing = clone_tree(dir.path() / "nothing", dir.path() / "dst2");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace sk::skctl
