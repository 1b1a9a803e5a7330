// TLS on the HTTP and replication ports, with tokens, as a real deployment runs them: skctl and
// sk-loadgen reach the cluster over https:// with the cluster's CA, libpq streams with
// sslmode=verify-full, plain text and unknown CAs are refused, and SIGHUP swaps the certificate
// for the next connections. With --proposer-tls-ca the proposer port speaks mutual TLS: nodes
// and proposers with the cluster's certificates commit, others are refused at the handshake.
// Certificates are made with the openssl program for each test.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "safekeeper/auth/keys.h"
#include "safekeeper/auth/token.h"
#include "safekeeper/http/http_client.h"
#include "tests/integration/cluster_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string openssl_program() {
  return find_program("openssl");
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (openssl_program().empty()) {
      GTEST_SKIP() << "no openssl program on PATH to make test certificates (apt-get install "
                      "openssl)";
    }
    ASSERT_TRUE(make_ca("ca")) << file_text(dir_.path() / "openssl.log");
    ASSERT_TRUE(make_server_certificate("ca", "server")) << file_text(dir_.path() / "openssl.log");
    const auth::PrivateKey key = auth::PrivateKey::generate().value();
    std::ofstream(dir_.path() / "keys.pem") << key.public_pem();
    auto issue = [&](const std::string& scope) {
      auth::Grant grant = auth::parse_scope(scope).value();
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      grant.expires_at = now + 3600;
      return auth::issue_token(grant, key, now);
    };
    std::ofstream(dir_.path() / "node.token") << issue("safekeeper");
    std::ofstream(dir_.path() / "admin.token") << issue("admin");
    tenant_token_ = issue(std::string("tenant:") + kTenant);
    std::ofstream(dir_.path() / "tenant.token") << tenant_token_;

    cluster_.emplace(dir_.path(), 3, /*branch_log=*/true);
    for (int i = 0; i < 3; ++i) {
      cluster_->node(i).extra_flags = {"--auth-public-keys", (dir_.path() / "keys.pem").string(),
                                       "--auth-token-file",  (dir_.path() / "node.token").string(),
                                       "--tls-cert",         (dir_.path() / "server.pem").string(),
                                       "--tls-key",          (dir_.path() / "server.key").string()};
      for (const std::string& flag : more_node_flags()) {
        cluster_->node(i).extra_flags.push_back(flag);
      }
      ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
    }
  }

  // Flags every node gets besides tokens and TLS on the HTTP and replication ports.
  virtual std::vector<std::string> more_node_flags() const { return {}; }

  void TearDown() override { http::set_trusted_ca({}); }

  bool openssl(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {openssl_program()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ChildProcess process = ChildProcess::spawn(argv, dir_.path() / "openssl.log");
    return process.pid() > 0 && process.wait_exit(60s) == 0;
  }

  bool make_ca(const std::string& name) {
    const std::string base = (dir_.path() / name).string();
    return openssl({"req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", base + ".key",
                    "-out", base + ".pem", "-days", "2", "-subj", "/CN=" + name});
  }

  // <name>.pem and <name>.key for 127.0.0.1 and localhost, signed by <ca>.
  bool make_server_certificate(const std::string& ca, const std::string& name) {
    const std::string base = (dir_.path() / name).string();
    const std::string ca_base = (dir_.path() / ca).string();
    std::ofstream(base + ".ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    return openssl({"req", "-newkey", "ed25519", "-nodes", "-keyout", base + ".key", "-out",
                    base + ".csr", "-subj", "/CN=localhost"}) &&
           openssl({"x509", "-req", "-in", base + ".csr", "-CA", ca_base + ".pem", "-CAkey",
                    ca_base + ".key", "-CAcreateserial", "-out", base + ".pem", "-days", "2",
                    "-extfile", base + ".ext"});
  }

  std::string https(int i) const {
    return "https://127.0.0.1:" + std::to_string(cluster_->node(i).http_port);
  }

  // GET /v1/status of node i over HTTPS trusting `ca`: the status, or 0 if no answer came.
  int status_with_ca(int i, const std::string& ca) {
    http::set_trusted_ca(dir_.path() / (ca + ".pem"));
    auto reply = http::http_request(https(i), "GET", "/v1/status", "", 10s,
                                    {{"Authorization", "Bearer " + tenant_token_}});
    return reply ? reply->status : 0;
  }

  // sk-loadgen writing 256 KiB with the tenant's token through https:// addresses, and `more`.
  ChildProcess loadgen(const std::vector<std::string>& more, const std::string& log) {
    std::vector<std::string> argv = {loadgen_binary(),
                                     "--safekeepers",
                                     cluster_->safekeepers_flag(),
                                     "--http",
                                     https(0) + "," + https(1) + "," + https(2),
                                     "--tls-ca",
                                     (dir_.path() / "ca.pem").string(),
                                     "--token-file",
                                     (dir_.path() / "tenant.token").string(),
                                     "--tenant",
                                     kTenant,
                                     "--timeline",
                                     kTimeline,
                                     "--start-lsn",
                                     kStartLsn,
                                     "--proposer-id",
                                     "1000",
                                     "--bytes",
                                     "262144",
                                     "--wait-all",
                                     "1"};
    argv.insert(argv.end(), more.begin(), more.end());
    return ChildProcess::spawn(argv, dir_.path() / log);
  }

  ChildProcess skctl(const std::vector<std::string>& arguments, const std::string& log) {
    std::vector<std::string> argv = {skctl_binary(),
                                     "--safekeepers",
                                     https(0) + "," + https(1),
                                     "--tls-ca",
                                     (dir_.path() / "ca.pem").string(),
                                     "--token-file",
                                     (dir_.path() / "admin.token").string(),
                                     "--home",
                                     (dir_.path() / "skctl").string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return ChildProcess::spawn(argv, dir_.path() / log);
  }

  std::string replication_conninfo(const std::string& ssl) const {
    return "host=127.0.0.1 port=" + std::to_string(cluster_->node(0).pg_port) +
           " user=reader replication=true connect_timeout=10 password=" + tenant_token_ + " " +
           ssl + " options='-c tenant_id=" + kTenant + " -c timeline_id=" + kTimeline + "'";
  }

  TempDir dir_{"sk_tls"};
  std::optional<SafekeeperCluster> cluster_;
  std::string tenant_token_;
};

TEST_F(TlsTest, ClientsReachTheClusterOverTls_PlainTextAndUnknownCasAreRefused) {
  EXPECT_EQ(status_with_ca(0, "ca"), 200);
  // Plain HTTP to the TLS port gets no HTTP answer.
  auto plain = http::http_request("127.0.0.1:" + std::to_string(cluster_->node(0).http_port), "GET",
                                  "/v1/status", "", 10s);
  EXPECT_FALSE(plain.has_value());
  // A client that trusts another CA refuses the server's certificate.
  ASSERT_TRUE(make_ca("other-ca"));
  EXPECT_EQ(status_with_ca(0, "other-ca"), 0);

  // skctl over https://, with the CA and an admin token.
  ChildProcess tenant = skctl({"tenant", "create", "acme", "--tenant-id", kTenant}, "skctl.log");
  ASSERT_EQ(tenant.wait_exit(60s), 0) << file_text(dir_.path() / "skctl.log");
  ChildProcess branch = skctl(
      {"--tenant", "acme", "branch", "create", "main", "--timeline-id", kTimeline}, "skctl.log");
  ASSERT_EQ(branch.wait_exit(60s), 0) << file_text(dir_.path() / "skctl.log");

  // sk-loadgen creates the timeline over https:// and writes WAL with the tenant's token.
  ChildProcess writer = loadgen({}, "loadgen.log");
  ASSERT_EQ(writer.wait_exit(60s), 0) << file_text(dir_.path() / "loadgen.log") << cluster_->logs();

  // The replication port: TLS with the CA and the token as password streams; plain text is
  // refused with a message that says why.
  const std::string verify = "sslmode=verify-full sslrootcert=" + (dir_.path() / "ca.pem").string();
  PGconn* secure = PQconnectdb(replication_conninfo(verify).c_str());
  ASSERT_EQ(PQstatus(secure), CONNECTION_OK) << PQerrorMessage(secure);
  EXPECT_NE(PQsslInUse(secure), 0);
  PGresult* identify = PQexec(secure, "IDENTIFY_SYSTEM");
  EXPECT_EQ(PQresultStatus(identify), PGRES_TUPLES_OK) << PQresultErrorMessage(identify);
  PQclear(identify);
  PQfinish(secure);
  PGconn* plain_pg = PQconnectdb(replication_conninfo("sslmode=disable").c_str());
  EXPECT_NE(PQstatus(plain_pg), CONNECTION_OK);
  EXPECT_NE(std::string(PQerrorMessage(plain_pg)).find("over TLS only"), std::string::npos)
      << PQerrorMessage(plain_pg);
  PQfinish(plain_pg);
}

TEST_F(TlsTest, Sighup_ServesTheNewCertificateToNewConnections) {
  ASSERT_EQ(status_with_ca(0, "ca"), 200);
  // A certificate from a new CA replaces the files; until SIGHUP the old one is served.
  ASSERT_TRUE(make_ca("next-ca"));
  ASSERT_TRUE(make_server_certificate("next-ca", "next"));
  fs::copy_file(dir_.path() / "next.pem", dir_.path() / "server.pem",
                fs::copy_options::overwrite_existing);
  fs::copy_file(dir_.path() / "next.key", dir_.path() / "server.key",
                fs::copy_options::overwrite_existing);
  EXPECT_EQ(status_with_ca(0, "ca"), 200);
  cluster_->node(0).process.signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (status_with_ca(0, "next-ca") != 200 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_FALSE(cluster_->node(0).process.wait_exit(50ms)) << cluster_->logs();
  }
  EXPECT_EQ(status_with_ca(0, "next-ca"), 200) << cluster_->logs();
  EXPECT_EQ(status_with_ca(0, "ca"), 0);
  // Node 1 was not told: it still serves the old certificate.
  EXPECT_EQ(status_with_ca(1, "ca"), 200);
}

// Mutual TLS on the proposer port: every node requires a client certificate signed by the
// cluster's CA, and presents its own to its peers.
class MutualTlsTest : public TlsTest {
 protected:
  std::vector<std::string> more_node_flags() const override {
    return {"--proposer-tls-ca", (dir_.path() / "ca.pem").string()};
  }

  // Node 0's count of proposer connections it refused (a failed handshake is one); -1 if no
  // answer.
  double refused_by_node0() {
    http::set_trusted_ca(dir_.path() / "ca.pem");
    auto reply =
        http::http_request(https(0), "GET", "/metrics", "", 10s,
                           {{"Authorization", "Bearer " + file_text(dir_.path() / "admin.token")}});
    const std::string name = "\nsafekeeper_proposer_connections_refused_total ";
    if (!reply || reply->status != 200 || reply->body.find(name) == std::string::npos) {
      return -1;
    }
    return std::stod(reply->body.substr(reply->body.find(name) + name.size()));
  }

  // Waits up to 30 s for node 0 to refuse more than `before` connections.
  bool node0_refuses_more_than(double before) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (refused_by_node0() <= before) {
      if (std::chrono::steady_clock::now() > deadline ||
          cluster_->node(0).process.wait_exit(20ms)) {
        return false;
      }
    }
    return true;
  }
};

TEST_F(MutualTlsTest, ProposersWithTheClustersCertificateCommit_OthersAreRefusedBeforeAnyVote) {
  // The branch log's writers reach their peers over mutual TLS: tenant creation commits there.
  ChildProcess tenant = skctl({"tenant", "create", "acme", "--tenant-id", kTenant}, "skctl.log");
  ASSERT_EQ(tenant.wait_exit(60s), 0) << file_text(dir_.path() / "skctl.log") << cluster_->logs();

  ASSERT_TRUE(make_server_certificate("ca", "client"));
  ChildProcess trusted = loadgen({"--tls-cert", (dir_.path() / "client.pem").string(), "--tls-key",
                                  (dir_.path() / "client.key").string()},
                                 "trusted.log");
  ASSERT_EQ(trusted.wait_exit(60s), 0)
      << file_text(dir_.path() / "trusted.log") << cluster_->logs();

  // Without a certificate: the handshake fails on the node, before any frame is read.
  const double before_plain = refused_by_node0();
  ASSERT_GE(before_plain, 0);
  ChildProcess plain = loadgen({}, "plain.log");
  EXPECT_TRUE(node0_refuses_more_than(before_plain)) << cluster_->logs();
  EXPECT_NE(file_text(cluster_->node(0).log).find("TLS handshake failed"), std::string::npos);
  plain.signal(SIGKILL);
  EXPECT_NE(plain.wait_exit(10s), std::optional<int>(0));

  // A certificate another CA signed: refused the same way.
  ASSERT_TRUE(make_ca("other-ca"));
  ASSERT_TRUE(make_server_certificate("other-ca", "stranger"));
  const double before_stranger = refused_by_node0();
  ChildProcess stranger = loadgen({"--tls-cert", (dir_.path() / "stranger.pem").string(),
                                   "--tls-key", (dir_.path() / "stranger.key").string()},
                                  "stranger.log");
  EXPECT_TRUE(node0_refuses_more_than(before_stranger)) << cluster_->logs();
  stranger.signal(SIGKILL);
  EXPECT_NE(stranger.wait_exit(10s), std::optional<int>(0));
}

}  // namespace
}  // namespace sk::testing
