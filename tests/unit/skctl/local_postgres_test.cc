// The settings skctl gives PostgreSQL: durability, and a replica's safekeepers.
#include "safekeeper/skctl/local_postgres.h"

#include <gtest/gtest.h>

namespace sk::skctl {
namespace {

ServerSettings compute(Durability durability) {
  return {false, "main", "t0", "tl0", 55432, durability, {}, {}, {}, {}, "/run/sk/socket"};
}

TEST(ServerConfig, QuorumDurabilityTurnsLocalFsyncAndFullPageWritesOff) {
  const std::string quorum = server_config(compute(Durability::kQuorum));
  EXPECT_NE(quorum.find("\nfsync = off\n"), std::string::npos) << quorum;
  EXPECT_NE(quorum.find("\nfull_page_writes = off\n"), std::string::npos) << quorum;
  EXPECT_NE(quorum.find("synchronous_standby_names = 'walproposer'"), std::string::npos);
  const std::string local = server_config(compute(Durability::kLocal));
  EXPECT_EQ(local.find("fsync"), std::string::npos) << local;
  EXPECT_EQ(local.find("full_page_writes"), std::string::npos) << local;
  EXPECT_NE(local.find("port = 55432\n"), std::string::npos);
}

TEST(ServerConfig, AReplicaStreamsFromEverySafekeeper) {
  ServerSettings replica = compute(Durability::kQuorum);
  replica.replica = true;
  replica.pg_hosts = {"127.0.0.1", "127.0.0.2"};
  replica.pg_ports = {"5464", "5465"};
  const std::string config = server_config(replica);
  EXPECT_NE(config.find("primary_conninfo = 'host=127.0.0.1,127.0.0.2 port=5464,5465 "
                        "user=postgres application_name=replica-55432 options=''-c "
                        "tenant_id=t0 -c timeline_id=tl0'''"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("synchronous_standby_names = ''"), std::string::npos);
}

TEST(ServerConfig, TheServerListensOnLoopbackAndItsOwnSocketDirectoryOnly) {
  const std::string config = server_config(compute(Durability::kQuorum));
  EXPECT_NE(config.find("listen_addresses = '127.0.0.1'\n"), std::string::npos) << config;
  EXPECT_NE(config.find("unix_socket_directories = '/run/sk/socket'\n"), std::string::npos)
      << config;
  EXPECT_NE(config.find("password_encryption = 'scram-sha-256'\n"), std::string::npos);
}

TEST(ClientAuthConfig, EveryConnectionKindNeedsScramAndNothingIsTrusted) {
  const std::string hba = client_auth_config();
  for (const char* line : {"local   all          all                 scram-sha-256\n",
                           "host    all          all   127.0.0.1/32  scram-sha-256\n",
                           "local   replication  all                 scram-sha-256\n",
                           "host    replication  all   127.0.0.1/32  scram-sha-256\n"}) {
    EXPECT_NE(hba.find(line), std::string::npos) << line;
  }
  for (const char* method : {"trust", "peer", "ident", "password\n", "md5"}) {
    EXPECT_EQ(hba.find(method), std::string::npos) << method;
  }
}

TEST(ParseDurability, QuorumOrLocal) {
  EXPECT_EQ(parse_durability("quorum").value(), Durability::kQuorum);
  EXPECT_EQ(parse_durability("local").value(), Durability::kLocal);
  EXPECT_EQ(parse_durability("none").error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sk::skctl
