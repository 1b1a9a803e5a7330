// `skctl snapshot delete ID` through the skctl binary, against a three-node cluster with the
// branch log: no PostgreSQL is started (the snapshots are directories made by the test and
// registered over HTTP), but the fixture wants PostgreSQL 15 installed, as every skctl test.
#include <filesystem>
#include <fstream>

#include "tests/integration/skctl_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class SkctlSnapshotDeleteTest : public SkctlTest {
 protected:
  bool clone_store() const override { return false; }

  // A snapshot directory at `location` with a file and its `.verified` marker, registered on
  // `main` with the id `id`.
  void register_at(const std::string& id, const fs::path& location, const std::string& end_lsn) {
    fs::create_directories(location / "base");
    std::ofstream(location / "base" / "1") << "page";
    std::ofstream(location.string() + ".verified").flush();
    const Reply reply =
        call(0, "POST", tenant_path() + "/snapshots",
             R"({"branch":"main","snapshot_id":")" + id +
                 R"(","start_lsn":"0/1000028","end_lsn":")" + end_lsn + R"(","location":")" +
                 location.string() + R"(","checksum":"crc32c:00000000"})");
    ASSERT_EQ(reply.status, 201) << json::serialize(reply.body);
  }
};

TEST_F(SkctlSnapshotDeleteTest, RemovesTheFilesInTheStore_LeavesOthers_RefusesTheNewest) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  ASSERT_EQ(skctl({"branch", "create", "main"}).exit_code, 0);
  const std::string in_store = "000000000000000000000000000000a1";
  const std::string outside = "000000000000000000000000000000a2";
  const std::string newest = "000000000000000000000000000000a3";
  const fs::path own = store() / kTenant / in_store;  // The layout skctl's store makes.
  const fs::path elsewhere = dir_.path() / "elsewhere" / outside;
  ASSERT_NO_FATAL_FAILURE(register_at(in_store, own, "0/1000100"));
  ASSERT_NO_FATAL_FAILURE(register_at(outside, elsewhere, "0/1000200"));
  ASSERT_NO_FATAL_FAILURE(register_at(newest, store() / kTenant / newest, "0/2000100"));

  const SkctlResult removed = skctl({"snapshot", "delete", in_store});
  EXPECT_EQ(removed.exit_code, std::optional<int>(0)) << removed.output;
  EXPECT_FALSE(fs::exists(own));
  EXPECT_FALSE(fs::exists(own.string() + ".verified"));

  const SkctlResult left = skctl({"snapshot", "delete", outside});
  EXPECT_EQ(left.exit_code, std::optional<int>(0)) << left.output;
  EXPECT_NE(left.output.find("its files were left there"), std::string::npos) << left.output;
  EXPECT_TRUE(fs::exists(elsewhere / "base" / "1"));

  const SkctlResult refused = skctl({"snapshot", "delete", newest});
  EXPECT_EQ(refused.exit_code, std::optional<int>(1)) << refused.output;
  EXPECT_NE(refused.output.find("branch 'main' at its head"), std::string::npos) << refused.output;
  EXPECT_TRUE(fs::exists(store() / kTenant / newest / "base" / "1"));

  const SkctlResult again = skctl({"snapshot", "delete", outside});
  EXPECT_EQ(again.exit_code, std::optional<int>(1)) << again.output;
  EXPECT_NE(again.output.find("was deleted"), std::string::npos) << again.output;
  const json::value list = skctl_json({"snapshot", "list"});
  ASSERT_TRUE(list.is_object());
  EXPECT_EQ(list.at("snapshots").as_array().size(), 1u);
}

}  // namespace
}  // namespace sk::testing
