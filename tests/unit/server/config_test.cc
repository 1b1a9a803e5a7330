#include "safekeeper/server/config.h"

#include <gtest/gtest.h>

namespace sk::safekeeper {
namespace {

Result<Config> parse(std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> flags{{"id", "2"}, {"data-dir", "/tmp/x"}};
  flags.insert(extra.begin(), extra.end());
  return make_config(flags, std::nullopt);
}

TEST(ConfigTest, Peers_AreParsedById) {
  auto command = parse({{"peers", "1=127.0.0.1:5454,2=127.0.0.1:5464,3=10.0.0.3:5454"}});
  ASSERT_TRUE(command.has_value()) << command.error().to_string();
  const auto& peers = command->peers;
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(peers[1].id, consensus::NodeId(2));
  EXPECT_EQ(peers[1].port, 5464);
  EXPECT_EQ(peers[2].host, "10.0.0.3");
  EXPECT_TRUE(parse({})->peers.empty());
}

TEST(ConfigTest, Peers_MustListThisNodeOnceEach) {
  auto without_self = parse({{"peers", "1=127.0.0.1:5454,3=127.0.0.1:5474"}});
  ASSERT_FALSE(without_self.has_value());
  EXPECT_NE(without_self.error().message().find("this node (id 2)"), std::string::npos);
  auto twice = parse({{"peers", "1=127.0.0.1:5454,2=127.0.0.1:5464,2=127.0.0.1:5474"}});
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().message().find("listed twice"), std::string::npos);
  auto malformed = parse({{"peers", "1=127.0.0.1"}});
  ASSERT_FALSE(malformed.has_value());
  EXPECT_NE(malformed.error().message().find("--peers"), std::string::npos);
}

TEST(ConfigTest, DiskReserve_SizeOrPercentDefaultingToFivePercentCappedAtTwoGiB) {
  constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
  EXPECT_EQ(parse({})->disk_reserve.bytes_on(10 * kGiB), kGiB / 2);
  EXPECT_EQ(parse({})->disk_reserve.bytes_on(1000 * kGiB), 2 * kGiB);
  EXPECT_EQ(parse({{"disk-reserve", "512MiB"}})->disk_reserve.bytes_on(1000 * kGiB), kGiB / 2);
  EXPECT_EQ(parse({{"disk-reserve", "10%"}})->disk_reserve.bytes_on(10 * kGiB), kGiB);
  auto bad = parse({{"disk-reserve", "lots"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("--disk-reserve: disk reserve 'lots'"), std::string::npos)
      << bad.error().message();
}

}  // namespace
}  // namespace sk::safekeeper
