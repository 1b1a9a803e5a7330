// One safekeeper per data directory: a second lock on it is refused naming the holder, and the
// directory is free again once the holder lets go.
#include "safekeeper/server/data_dir_lock.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace sk::safekeeper {
namespace {

TEST(DataDirLockTest, ASecondHolderIsRefusedNamingTheFirst_UntilItLetsGo) {
  testing::TempDir dir;
  const auto data_dir = dir.path();
  EXPECT_EQ(DataDirLock::acquire(data_dir / "missing").error().code(), ErrorCode::kNotFound);
  {
    auto first = DataDirLock::acquire(data_dir);
    ASSERT_TRUE(first) << first.error().to_string();
    std::string pid;
    std::ifstream(data_dir / "safekeeper.lock") >> pid;
    EXPECT_EQ(pid, std::to_string(::getpid()));

    auto second = DataDirLock::acquire(data_dir);  // Another open file: flock() refuses it.
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(second.error().message().find("another safekeeper (pid " + pid + ")"),
              std::string::npos)
        << second.error().message();
  }
  EXPECT_TRUE(DataDirLock::acquire(data_dir));
}

}  // namespace
}  // namespace sk::safekeeper
