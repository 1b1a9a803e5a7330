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

TEST(ConfigTest, Advertise_MustBeWhereThePeersListThisNode) {
  const std::string peers = "1=sk-0.sk:5454,2=sk-1.sk:5454,3=sk-2.sk:5454";
  auto agrees = parse({{"peers", peers}, {"advertise", "sk-1.sk"}});
  ASSERT_TRUE(agrees.has_value()) << agrees.error().to_string();
  EXPECT_EQ(advertised_host(*agrees), "sk-1.sk");
  // Node 2 configured with node 1's name: an ordinal mapped to the wrong id.
  auto wrong = parse({{"peers", peers}, {"advertise", "sk-0.sk"}});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message().find("lists this node (id 2) at sk-1.sk"), std::string::npos)
      << wrong.error().message();
  EXPECT_FALSE(parse({{"advertise", "sk-1.sk:5454"}}).has_value());
  EXPECT_FALSE(parse({{"advertise", ""}}).has_value());
  // Without --advertise: the listen host, unless that is a wildcard.
  EXPECT_EQ(advertised_host(*parse({{"listen-proposer", "127.0.0.2:5454"}})), "127.0.0.2");
  auto wildcard = parse({{"listen-proposer", "0.0.0.0:5454"}, {"insecure", "true"}});
  ASSERT_TRUE(wildcard.has_value());
  EXPECT_NE(advertised_host(*wildcard), "0.0.0.0");
  EXPECT_FALSE(advertised_host(*wildcard).empty());
}

TEST(ConfigTest, LogFormat_TextOrJson) {
  EXPECT_EQ(parse({})->log_format, LogFormat::kText);
  EXPECT_EQ(parse({{"log-format", "json"}})->log_format, LogFormat::kJson);
  auto bad = parse({{"log-format", "xml"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("text or json"), std::string::npos);
}

TEST(ConfigTest, WithoutKeys_OnlyLoopbackAddressesUnlessInsecure) {
  auto open = parse({{"listen-http", "0.0.0.0:7676"}});
  ASSERT_FALSE(open.has_value());
  EXPECT_NE(open.error().message().find("refusing to listen on 0.0.0.0:7676 without "
                                        "authentication"),
            std::string::npos);
  EXPECT_TRUE(parse({{"listen-http", "0.0.0.0:7676"}, {"insecure", "true"}}));
  EXPECT_TRUE(parse({{"listen-http", "0.0.0.0:7676"}, {"auth-public-keys", "/etc/sk/keys"}}));
  EXPECT_TRUE(parse({{"listen-pg", "localhost:5455"}, {"listen-proposer", "127.0.0.2:5454"}}));
  EXPECT_FALSE(parse({{"insecure", "yes"}}));
}

TEST(ConfigTest, KeysWithPeers_NeedThisNodesOwnToken) {
  const std::map<std::string, std::string> with_peers{{"auth-public-keys", "/etc/sk/keys"},
                                                      {"peers", "2=127.0.0.1:5454"}};
  auto missing = parse(with_peers);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("--auth-token-file is required"), std::string::npos);
  auto with_token = with_peers;
  with_token["auth-token-file"] = "/etc/sk/token";
  ASSERT_TRUE(parse(with_token));
  EXPECT_EQ(parse(with_token)->auth_token_file, "/etc/sk/token");
}

TEST(ConfigTest, LoopbackHosts) {
  for (const char* host : {"localhost", "127.0.0.1", "127.255.0.9", "::1", "[::1]"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "10.0.0.1", "::", "sk-1.example", "128.0.0.1", ""}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
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

// The configuration deploy/systemd ships is one the daemon accepts, and says what it claims.
TEST(ConfigTest, TheSystemdExampleConfig_IsAccepted) {
  auto config = make_config({}, std::string(SK_SYSTEMD_EXAMPLE_CONFIG));
  ASSERT_TRUE(config.has_value()) << config.error().to_string();
  EXPECT_EQ(config->node_id, consensus::NodeId(1));
  EXPECT_EQ(config->data_dir, "/var/lib/safekeeper");
  EXPECT_EQ(config->peers.size(), 3u);
  EXPECT_EQ(config->auth_token_file, "/etc/safekeeper/node.token");
  EXPECT_FALSE(config->tls_certificate.empty());
}

// The StatefulSet's shared file, with what safekeeper-pod.sh adds for each pod.
TEST(ConfigTest, TheKubernetesConfig_IsAcceptedForEachPod) {
  for (int ordinal = 0; ordinal < 3; ++ordinal) {
    const std::string pod = "safekeeper-" + std::to_string(ordinal) + ".safekeeper";
    auto config = make_config({{"id", std::to_string(ordinal + 1)}, {"advertise", pod}},
                              std::string(SK_KUBERNETES_CONFIG));
    ASSERT_TRUE(config.has_value()) << config.error().to_string();
    EXPECT_EQ(config->peers.size(), 3u);
    EXPECT_EQ(config->log_format, LogFormat::kJson);
    EXPECT_EQ(config->listen_http.host, "0.0.0.0");
  }
  // Pod 1 started with pod 0's id would vote as it: refused.
  EXPECT_FALSE(make_config({{"id", "1"}, {"advertise", "safekeeper-1.safekeeper"}},
                           std::string(SK_KUBERNETES_CONFIG))
                   .has_value());
}

}  // namespace
}  // namespace sk::safekeeper
