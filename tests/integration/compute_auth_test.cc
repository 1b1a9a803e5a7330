// Computes trust nobody: every connection, over TCP or the unix socket, ordinary or replication,
// proves the password skctl made for the tenant (scram-sha-256), which it prints once and keeps
// 0600 under its home; the socket lives in a 0700 directory of its own.
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>

#include "safekeeper/skctl/local_postgres.h"
#include "tests/integration/skctl_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;

class ComputeAuthTest : public SkctlTest {
 protected:
  bool clone_store() const override { return false; }

  static struct stat status_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st;
  }
  // Connects with `conninfo` and no password file: the error libpq gives, "" if it connected.
  static std::string refusal(const std::string& conninfo) {
    PGconn* conn = PQconnectdb((conninfo + " passfile=/dev/null connect_timeout=10").c_str());
    std::string error = PQstatus(conn) == CONNECTION_OK ? "" : PQerrorMessage(conn);
    PQfinish(conn);
    return error;
  }
};

TEST_F(ComputeAuthTest, EveryConnectionNeedsTheTenantsPassword_PrintedOnceAndKeptPrivate) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  ASSERT_EQ(skctl({"branch", "create", "main"}).exit_code, 0);
  std::string output;
  const std::string conninfo = start("compute", "main", "", &output);
  const fs::path password_file = home() / "passwords" / kTenant;
  std::string password = file_text(password_file);
  ASSERT_FALSE(password.empty());
  password.pop_back();  // Its newline.
  EXPECT_NE(output.find(std::string("the password of role postgres in tenant ") + kTenant +
                        "'s databases: " + password),
            std::string::npos)
      << output;
  EXPECT_EQ(status_of(password_file).st_mode & 0777, 0600u);
  EXPECT_EQ(status_of(home() / "pgpass").st_mode & 0777, 0600u);

  // pg_hba.conf is skctl's: scram-sha-256 for everything.
  const fs::path pgdata = data_root() / "compute-main";
  EXPECT_EQ(file_text(pgdata / "pg_hba.conf"), skctl::client_auth_config());

  // Without a password, with a wrong one: refused. With it: in.
  EXPECT_NE(refusal(conninfo).find("no password supplied"), std::string::npos);
  EXPECT_NE(refusal(conninfo + " password=wrong").find("password authentication failed"),
            std::string::npos);
  EXPECT_NE(
      refusal(conninfo + " password=wrong replication=true").find("password authentication failed"),
      std::string::npos);
  EXPECT_EQ(refusal(conninfo + " password=" + password), "");

  // The unix socket: in its own 0700 directory (the postgres user's under root), same rule.
  std::string port = conninfo.substr(conninfo.find("port=") + 5);
  port = port.substr(0, port.find(' '));
  const fs::path socket_dir = home() / "endpoints" / port / "private";
  const struct stat socket_status = status_of(socket_dir);
  EXPECT_EQ(socket_status.st_mode & 0777, 0700u);
  if (::geteuid() == 0) {
    const passwd* postgres = ::getpwnam("postgres");
    ASSERT_NE(postgres, nullptr);
    EXPECT_EQ(socket_status.st_uid, postgres->pw_uid);
  }
  // The walproposer needs no more than its PostgreSQL: it runs as the postgres user, with copies
  // of the token and the password only that user reads.
  if (::geteuid() == 0) {
    const int walproposer = compute_pids("main").second;
    ASSERT_GT(walproposer, 0);
    EXPECT_EQ(status_of("/proc/" + std::to_string(walproposer)).st_uid,
              ::getpwnam("postgres")->pw_uid);
    EXPECT_EQ(status_of(socket_dir / "walproposer.pgpass").st_mode & 0777, 0600u);
  }
  const std::string over_socket =
      "host=" + socket_dir.string() + " port=" + port + " user=postgres dbname=postgres";
  EXPECT_NE(refusal(over_socket).find("no password supplied"), std::string::npos);
  EXPECT_EQ(refusal(over_socket + " password=" + password), "");
  PgSession through_pgpass(over_socket);  // PGPASSFILE names the home's pgpass.
  EXPECT_TRUE(through_pgpass.ok()) << through_pgpass.error();

  // The connection string skctl prints names the password file: it works with no environment.
  const SkctlResult uri = skctl({"connection-string", "main"});
  ASSERT_EQ(uri.exit_code, 0) << uri.output;
  ::unsetenv("PGPASSFILE");
  PgSession by_uri(uri.output.substr(0, uri.output.find('\n')));
  EXPECT_TRUE(by_uri.ok()) << by_uri.error();
  ::setenv("PGPASSFILE", (home() / "pgpass").c_str(), 1);

  // A stop and a start again: the same password, not printed again; the stop withdrew its lines.
  ASSERT_EQ(skctl({"compute", "stop", "--branch", "main"}).exit_code, 0);
  EXPECT_EQ(file_text(home() / "pgpass").find(":" + port + ":"), std::string::npos);
  std::string again;
  PgSession restarted(start("compute", "main", "", &again));
  EXPECT_TRUE(restarted.ok()) << restarted.error();
  EXPECT_EQ(again.find("the password of role postgres"), std::string::npos) << again;
  EXPECT_EQ(file_text(password_file), password + "\n");
}

}  // namespace
}  // namespace sk::testing
