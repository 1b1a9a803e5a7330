// Work done as the postgres user: under root it runs with that user's ids and nothing more, and
// its answer or its error comes back whole.
#include "safekeeper/skctl/local_process.h"

#include <fstream>

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace sk::skctl {
namespace {

TEST(RunAsPostgres, UnderRootTheWorkHasThePostgresUsersIdsOnly) {
  const passwd* postgres = ::getpwnam("postgres");
  if (::geteuid() != 0 || postgres == nullptr) {
    GTEST_SKIP() << "needs root and a postgres user (apt-get install postgresql-15)";
  }
  const uid_t expected = postgres->pw_uid;
  const auto ids = run_as_postgres([]() -> Result<std::string> {
    return std::to_string(::getuid()) + " " + std::to_string(::geteuid());
  });
  ASSERT_TRUE(ids) << ids.error().message();
  EXPECT_EQ(*ids, std::to_string(expected) + " " + std::to_string(expected));

  // A file only root may read stays unreadable to the work.
  testing::TempDir dir;
  const auto secret = dir.path() / "secret";
  std::ofstream(secret) << "root's";
  std::filesystem::permissions(secret, std::filesystem::perms::owner_read);
  const auto read = run_as_postgres([&]() -> Result<std::string> {
    std::ifstream in(secret);
    std::string text;
    in >> text;
    return in ? text : std::string("<unreadable>");
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, "<unreadable>");
  EXPECT_EQ(::getuid(), 0u);  // This process is still root.
}

TEST(RunAsPostgres, TheWorksErrorComesBackWithItsCodeAndMessage) {
  if (::geteuid() == 0 && ::getpwnam("postgres") == nullptr) {
    GTEST_SKIP() << "root without a postgres user";
  }
  const auto failed = run_as_postgres([]() -> Result<std::string> {
    return Error(ErrorCode::kCorruption, "a link out of the snapshot: refused");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(failed.error().message(), "a link out of the snapshot: refused");
  EXPECT_EQ(run_as_postgres([]() -> Result<std::string> { return std::string(); }).value(), "");
}

}  // namespace
}  // namespace sk::skctl
