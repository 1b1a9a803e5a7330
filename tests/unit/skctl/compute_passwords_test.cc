// The computes' passwords: kept 0600 per tenant, published per port in a libpq password file.
#include "safekeeper/skctl/compute_passwords.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

namespace sk::skctl {
namespace {

namespace fs = std::filesystem;

std::string text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(PgpassLine, EscapesColonsAndBackslashes) {
  EXPECT_EQ(pgpass_line("127.0.0.1", 5432, "secret"), "127.0.0.1:5432:*:postgres:secret\n");
  EXPECT_EQ(pgpass_line("/a:b\\c", 1, "p:w"), "/a\\:b\\\\c:1:*:postgres:p\\:w\n");
}

TEST(ComputePasswords, ATenantsPasswordIsMadeOnceKeptPrivateAndFoundAgain) {
  testing::TempDir dir;
  const ComputePasswords passwords(dir.path());
  EXPECT_EQ(passwords.find("t1").error().code(), ErrorCode::kNotFound);
  EXPECT_NE(passwords.find("t1").error().message().find("passwords/t1"), std::string::npos);

  const auto made = passwords.create("t1");
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(made->size(), 32u);  // 24 random bytes, base64url.
  EXPECT_EQ(passwords.find("t1").value(), *made);
  EXPECT_EQ(mode_of(dir.path() / "passwords" / "t1"), 0600u);
  EXPECT_EQ(mode_of(dir.path() / "passwords"), 0700u);
  EXPECT_EQ(passwords.create("t1").error().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(passwords.create("t2").value(), *made);
}

TEST(ComputePasswords, PublishReplacesOnlyItsPortsLinesAndWithdrawDropsThem) {
  testing::TempDir dir;
  const ComputePasswords passwords(dir.path());
  ASSERT_TRUE(passwords.publish(5001, "/s/5001", "one"));
  ASSERT_TRUE(passwords.publish(5002, "/s/5002", "two"));
  ASSERT_TRUE(passwords.publish(5001, "/s/5001", "uno"));
  EXPECT_EQ(mode_of(passwords.passfile()), 0600u);
  EXPECT_EQ(text(passwords.passfile()),
            "127.0.0.1:5002:*:postgres:two\nlocalhost:5002:*:postgres:two\n"
            "/s/5002:5002:*:postgres:two\n"
            "127.0.0.1:5001:*:postgres:uno\nlocalhost:5001:*:postgres:uno\n"
            "/s/5001:5001:*:postgres:uno\n");
  ASSERT_TRUE(passwords.withdraw(5002));
  EXPECT_EQ(text(passwords.passfile()),
            "127.0.0.1:5001:*:postgres:uno\nlocalhost:5001:*:postgres:uno\n"
            "/s/5001:5001:*:postgres:uno\n");
}

TEST(ComputePasswords, ASocketDirectoryWithAColonKeepsItsPort) {
  testing::TempDir dir;
  const ComputePasswords passwords(dir.path());
  ASSERT_TRUE(passwords.publish(5001, "/odd:5002/dir", "one"));
  ASSERT_TRUE(passwords.withdraw(5002));  // Not the port hidden in the escaped host name.
  EXPECT_NE(text(passwords.passfile()).find("/odd\\:5002/dir:5001:"), std::string::npos);
}

}  // namespace
}  // namespace sk::skctl
