// The auth matrix: three safekeepers that check tokens, and every HTTP route, the proposer port
// and the replication port tried with each kind of token (none, expired, badly signed, another
// tenant's, read, write, admin, safekeeper). Only the combinations docs/SECURITY.md allows get
// through; every refusal is 401 or 403 (UNAUTHENTICATED / PERMISSION_DENIED on the proposer
// port, a failed login or SQLSTATE 42501 on the replication port) with a message. Along the way
// sk-loadgen writes WAL with a tenant token and the branch log commits entries between nodes
// that present their own tokens.
#include <chrono>
#include <fstream>
#include <map>
#include <set>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/codec.h"
#include "proto/framing.h"
#include "safekeeper/auth/keys.h"
#include "safekeeper/auth/token.h"
#include "safekeeper/branchlog/branch_log_applier.h"
#include "tests/integration/cluster_fixture.h"

namespace sk::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kOtherTenant = "fedcba9876543210fedcba9876543210";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The kinds of token every port is tried with; "" is no token at all.
const std::vector<std::string> kTokenKinds = {"none", "expired", "bad signature", "other tenant",
                                              "read", "write",   "admin",         "safekeeper"};
// Tokens that are not valid at all: always 401 (a failed login on the replication port).
const std::set<std::string> kInvalid = {"none", "expired", "bad signature"};

class AuthMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auth::PrivateKey key = auth::PrivateKey::generate().value();
    const auth::PrivateKey rogue = auth::PrivateKey::generate().value();
    const fs::path keys = dir_.path() / "keys.pem";
    std::ofstream(keys) << key.public_pem();
    const std::string tenant = std::string("tenant:") + kTenant;
    tokens_["none"] = "";
    tokens_["expired"] = issue(key, "admin", -60);
    tokens_["bad signature"] = issue(rogue, "admin", 3600);
    tokens_["other tenant"] = issue(key, std::string("tenant:") + kOtherTenant, 3600);
    tokens_["read"] = issue(key, tenant + ":read", 3600);
    tokens_["write"] = issue(key, tenant, 3600);
    tokens_["admin"] = issue(key, "admin", 3600);
    tokens_["safekeeper"] = issue(key, "safekeeper", 3600);
    const fs::path node_token = dir_.path() / "node.token";
    std::ofstream(node_token) << tokens_["safekeeper"] << "\n";
    write_token_file_ = dir_.path() / "write.token";
    std::ofstream(write_token_file_) << tokens_["write"] << "\n";

    cluster_.emplace(dir_.path(), 3, /*branch_log=*/true);
    for (int i = 0; i < 3; ++i) {
      cluster_->node(i).extra_flags = {"--auth-public-keys", keys.string(), "--auth-token-file",
                                       node_token.string()};
      ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
    }
  }

  static std::string issue(const auth::PrivateKey& key, const std::string& scope,
                           std::int64_t ttl_s) {
    auth::Grant grant = auth::parse_scope(scope).value();
    grant.expires_at = unix_now() + ttl_s;
    return auth::issue_token(grant, key, unix_now() - 120);
  }

  SafekeeperCluster::Reply call(const std::string& kind, const std::string& method,
                                const std::string& target, const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!tokens_[kind].empty()) {
      headers.emplace_back("Authorization", "Bearer " + tokens_[kind]);
    }
    auto reply = cluster_->http(0, method, target, body, headers);
    return reply.value_or(SafekeeperCluster::Reply{});
  }

  // The first frame node 0's proposer port answers a greeting for `key` carrying `token`.
  std::string greet(const proto::TimelineKey& key, const consensus::TimelineIdentity& identity,
                    const std::string& token) {
    const std::string greeting = proto::encode_length_prefixed_greeting(
        key, consensus::ProposerGreeting{consensus::NodeId(77), identity}, token);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(cluster_->node(0).proposer_port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::string answer = "no answer";
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        ::write(fd, greeting.data(), greeting.size()) == static_cast<ssize_t>(greeting.size())) {
      proto::FrameReader reader;
      char buffer[4096];
      ssize_t n = 0;
      while (answer == "no answer" && (n = ::read(fd, buffer, sizeof buffer)) > 0) {
        reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        auto frame = reader.next();
        if (frame && frame->has_value()) {
          auto decoded = proto::decode_frame(**frame, key);
          answer = decoded ? std::string(consensus::message_name(*decoded))
                           : std::string(error_code_name(decoded.error().code()));
        }
      }
    }
    ::close(fd);
    return answer;
  }

  // A replication connection to node 0 with `token` as the password; the connection or nullptr
  // with the error in `error`.
  PGconn* replication_login(const std::string& token, std::string& error) {
    std::string conninfo = "host=127.0.0.1 port=" + std::to_string(cluster_->node(0).pg_port) +
                           " user=reader replication=true connect_timeout=10 options='-c "
                           "tenant_id=" +
                           std::string(kTenant) + " -c timeline_id=" + kTimeline + "'";
    if (!token.empty()) {
      conninfo += " password=" + token;
    }
    PGconn* connection = PQconnectdb(conninfo.c_str());
    if (PQstatus(connection) != CONNECTION_OK) {
      error = PQerrorMessage(connection);
      PQfinish(connection);
      return nullptr;
    }
    return connection;
  }

  TempDir dir_{"sk_auth_matrix"};
  std::optional<SafekeeperCluster> cluster_;
  std::map<std::string, std::string> tokens_;
  fs::path write_token_file_;
};

TEST_F(AuthMatrixTest, EveryRouteAndPort_LetsThroughOnlyWhatItsScopeAllows) {
  const std::string tenant_path = std::string("/v1/tenants/") + kTenant;
  const std::string timeline_path = tenant_path + "/timelines/" + kTimeline;
  // The world the routes act on: a tenant, its root branch, and WAL written by sk-loadgen with
  // a tenant write token (the proposer port and the timeline creation over HTTP both check it).
  ASSERT_EQ(call("admin", "POST", "/v1/tenants",
                 std::string(R"({"tenant_id":")") + kTenant + R"(","name":"acme"})")
                .status,
            201)
      << cluster_->logs();
  ASSERT_EQ(call("write", "POST", tenant_path + "/branches",
                 std::string(R"({"name":"main","timeline_id":")") + kTimeline + R"("})")
                .status,
            201)
      << cluster_->logs();
  ChildProcess loadgen =
      ChildProcess::spawn({loadgen_binary(), "--safekeepers", cluster_->safekeepers_flag(),
                           "--http", cluster_->http_flag(), "--tenant", kTenant, "--timeline",
                           kTimeline, "--start-lsn", kStartLsn, "--proposer-id", "1000", "--bytes",
                           "262144", "--wait-all", "1", "--token-file", write_token_file_.string()},
                          dir_.path() / "loadgen.log");
  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(60)), 0)
      << file_text(dir_.path() / "loadgen.log") << cluster_->logs();

  // Each route with what it needs: 'A' admin, 'R' read the tenant, 'W' write it, 'S' any token,
  // 'P' nothing (the probes: a kubelet has no token).
  struct Route {
    char needs;
    const char* method;
    std::string target;
    std::string body;
  };
  const std::vector<Route> routes = {
      {'P', "GET", "/healthz", ""},
      {'P', "GET", "/readyz", ""},
      {'S', "GET", "/v1/status", ""},
      {'S', "GET", "/no/such/route", ""},
      {'A', "GET", "/metrics", ""},
      {'A', "GET", "/v1/tenants", ""},
      {'A', "POST", "/v1/tenants", R"({"name":"acme"})"},
      {'A', "GET", "/v1/tenants/not-a-tenant/branches", ""},
      {'R', "GET", tenant_path, ""},
      {'R', "GET", tenant_path + "/timelines", ""},
      {'R', "GET", timeline_path, ""},
      {'R', "HEAD", timeline_path, ""},
      {'R', "GET", timeline_path + "/digest?from_lsn=0/1000000&until_lsn=0/1000100", ""},
      {'R', "GET", timeline_path + "/slots", ""},
      {'R', "GET", timeline_path + "/wal/000000010000000000000001", ""},
      {'R', "GET", tenant_path + "/branches", ""},
      {'R', "GET", tenant_path + "/branches/main", ""},
      {'R', "GET", tenant_path + "/branches/main/lsn_by_timestamp?timestamp=2026-01-01T00:00:00Z",
       ""},
      {'R', "GET", tenant_path + "/snapshots", ""},
      {'W', "PATCH", tenant_path, R"({"history_retention":"7d"})"},
      {'W', "POST", tenant_path + "/timelines", "{}"},
      {'W', "DELETE", tenant_path + "/timelines/00000000000000000000000000000099", ""},
      {'W', "POST", tenant_path + "/branches", "{}"},
      {'W', "PATCH", tenant_path + "/branches/main", "{}"},
      {'W', "DELETE", tenant_path + "/branches/no-such-branch", ""},
      {'W', "POST", tenant_path + "/branches/no-such-branch/reset", ""},
      {'W', "POST", tenant_path + "/branches/no-such-branch/restore", "{}"},
      {'W', "POST", tenant_path + "/snapshots", "{}"},
      {'W', "DELETE", tenant_path + "/snapshots/no-such-snapshot", ""},
  };
  // Which valid tokens each kind of route lets through; every other token is refused.
  const std::map<char, std::set<std::string>> allowed = {
      {'P', {kTokenKinds.begin(), kTokenKinds.end()}},
      {'S', {"other tenant", "read", "write", "admin", "safekeeper"}},
      {'A', {"admin"}},
      {'R', {"read", "write", "admin", "safekeeper"}},
      {'W', {"write", "admin", "safekeeper"}},
  };
  int tried = 0;
  int unexpected = 0;
  for (const Route& route : routes) {
    for (const std::string& kind : kTokenKinds) {
      ++tried;
      const auto reply = call(kind, route.method, route.target, route.body);
      const bool let_through = allowed.at(route.needs).contains(kind);
      const int refused_with = kInvalid.contains(kind) ? 401 : 403;
      SCOPED_TRACE(std::string(route.method) + " " + route.target + " with token: " + kind +
                   " -> " + std::to_string(reply.status) + " " + json::serialize(reply.body));
      ASSERT_NE(reply.status, 0);
      if (let_through) {
        unexpected += reply.status == 401 || reply.status == 403;
        EXPECT_NE(reply.status, 401);
        EXPECT_NE(reply.status, 403);
        continue;
      }
      unexpected += reply.status != refused_with;
      EXPECT_EQ(reply.status, refused_with);
      if (std::string(route.method) != "HEAD") {
        const json::object* error =
            reply.body.is_object() ? reply.body.as_object().at("error").if_object() : nullptr;
        ASSERT_NE(error, nullptr);
        EXPECT_EQ(error->at("code").as_string(),
                  refused_with == 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED");
        EXPECT_FALSE(error->at("message").as_string().empty());
      }
    }
  }

  // The proposer port: a tenant's timeline takes its write token or the safekeeper scope; the
  // branch log only the safekeeper scope. Refused greetings never reach a vote.
  const auto tenant = *consensus::TenantId::parse_hex(kTenant);
  const auto timeline = *consensus::TimelineId::parse_hex(kTimeline);
  const consensus::TimelineIdentity tenant_identity{
      .tenant_id = tenant,
      .timeline_id = timeline,
      .system_id = 0,
      .pg_version = 150000,
      .wal_seg_size_bytes = 16 << 20,
      .timeline_start_lsn = consensus::Lsn(0x1000000)};
  const storage::TimelineKey log_key = safekeeper::branch_log_key();
  const consensus::TimelineIdentity log_identity = safekeeper::branch_log_identity();
  for (const std::string& kind : kTokenKinds) {
    ++tried;
    const std::string on_tenant = greet({tenant, timeline}, tenant_identity, tokens_[kind]);
    const bool tenant_allowed = kind == "write" || kind == "safekeeper";
    SCOPED_TRACE("proposer port, token " + kind + ": " + on_tenant);
    const std::string refusal = kInvalid.contains(kind) ? "UNAUTHENTICATED" : "PERMISSION_DENIED";
    EXPECT_EQ(on_tenant, tenant_allowed ? "AcceptorGreeting" : refusal);
    unexpected += on_tenant != (tenant_allowed ? "AcceptorGreeting" : refusal);
    ++tried;
    const std::string on_log = greet(log_key, log_identity, tokens_[kind]);
    EXPECT_EQ(on_log, kind == "safekeeper" ? "AcceptorGreeting" : refusal) << "branch log";
    unexpected += on_log != (kind == "safekeeper" ? "AcceptorGreeting" : refusal);
  }

  // The replication port: the token is the password; reading needs the tenant's read scope,
  // a slot its write scope.
  for (const std::string& kind : kTokenKinds) {
    ++tried;
    std::string error;
    PGconn* connection = replication_login(tokens_[kind], error);
    const bool reads = allowed.at('R').contains(kind);
    SCOPED_TRACE("replication port, token " + kind + ": " + error);
    EXPECT_EQ(connection != nullptr, reads);
    unexpected += (connection != nullptr) != reads;
    if (connection == nullptr) {
      EXPECT_FALSE(error.empty());
      continue;
    }
    ++tried;
    PGresult* slot = PQexec(connection, "CREATE_REPLICATION_SLOT matrix_slot TEMPORARY PHYSICAL");
    const bool created = PQresultStatus(slot) == PGRES_TUPLES_OK;
    const bool writes = allowed.at('W').contains(kind);
    EXPECT_EQ(created, writes) << PQresultErrorMessage(slot);
    unexpected += created != writes;
    if (!created) {
      const char* sqlstate = PQresultErrorField(slot, PG_DIAG_SQLSTATE);
      EXPECT_STREQ(sqlstate == nullptr ? "" : sqlstate, "42501");
    }
    PQclear(slot);
    PQfinish(connection);
  }
  EXPECT_EQ(unexpected, 0);
  RecordProperty("combinations", tried);
  std::printf("auth matrix: %d combinations tried, %d unexpected\n", tried, unexpected);
}

}  // namespace
}  // namespace sk::testing
