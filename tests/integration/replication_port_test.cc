// The safekeeper's PostgreSQL replication port with PostgreSQL's own clients (label `pg`):
// pg_receivewal writes the primary's segments byte for byte, a stock hot standby replays the
// primary's changes through the safekeepers and moves to another one when its own dies, and bad
// clients get errors while everyone else goes on being served.
#include <fstream>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "safekeeper/pgwal/segment_name.h"
#include "tests/integration/primary_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;
namespace json = boost::json;

class ReplicationPortTest : public PrimaryTest {
 protected:
  // A primary streaming through the walproposer, with table t.
  void start_streaming() {
    walproposer_ = start_walproposer("walproposer.log", "walproposer");
    ASSERT_GT(walproposer_.pid(), 0);
    session_.emplace(postgres_->conninfo());
    ASSERT_TRUE(session_->ok()) << session_->error();
    ASSERT_TRUE(session_->query("CREATE TABLE t (i int, filler text)")) << session_->error();
  }

  // Waits until node i knows everything the primary has written so far is committed.
  bool wait_committed_on(int i) {
    const Lsn end = primary_insert_lsn(*session_);
    return poll_until(
        walproposer_, [&] { return commit_lsn(i) >= end; }, std::chrono::seconds(30));
  }

  ChildProcess pg_receivewal(const fs::path& target, const std::vector<std::string>& extra,
                             const std::string& log_name) {
    fs::create_directories(target);
    std::vector<std::string> argv = {(bindir_ / "pg_receivewal").string(),
                                     "-d",
                                     reader_conninfo(0),
                                     "-D",
                                     target.string(),
                                     "--no-loop",
                                     "--verbose"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return ChildProcess::spawn(argv, dir_.path() / log_name);
  }

  std::string primary_segment(const std::string& name) {
    return file_text(postgres_->data_dir() / "pg_wal" / name);
  }

  ChildProcess walproposer_;
  std::optional<PgSession> session_;
};

TEST_F(ReplicationPortTest, PgReceivewal_WritesThePrimarysSegmentsAndPgWaldumpReadsThem) {
  start_streaming();
  ASSERT_TRUE(wait_committed_on(0)) << states();
  // Started now, it streams from the start of segment 1 (IDENTIFY_SYSTEM's position rounded down).
  const fs::path received = dir_.path() / "received";
  ChildProcess receiver = pg_receivewal(received, {}, "rx.log");
  ASSERT_TRUE(
      session_->query("INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g"));
  ASSERT_TRUE(session_->query("SELECT pg_switch_wal()")) << session_->error();
  ASSERT_TRUE(session_->query("INSERT INTO t VALUES (0, 'in segment 2')")) << session_->error();
  ASSERT_TRUE(wait_committed_on(0)) << states();
  const Lsn end = commit_lsn(0);
  ASSERT_GT(end, Lsn(2 * kSegBytes));

  // Segment 1 whole and renamed, and segment 2 as far as it is committed.
  const std::string first = "000000010000000000000001";
  const std::string second = "000000010000000000000002";
  const std::size_t held = end.bytes_since(Lsn(2 * kSegBytes));
  const std::string primary_second = primary_segment(second).substr(0, held);
  const bool caught_up = poll_until(
      receiver,
      [&] {
        if (!fs::exists(received / first)) {
          return false;
        }
        std::ifstream partial(received / (second + ".partial"), std::ios::binary);
        std::string prefix(held, '\0');
        partial.read(prefix.data(), static_cast<std::streamsize>(held));
        return partial && prefix == primary_second;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(caught_up) << file_text(dir_.path() / "rx.log") << states();
  const std::string received_first = file_text(received / first);
  ASSERT_EQ(received_first.size(), kSegBytes);
  EXPECT_TRUE(received_first == primary_segment(first)) << "segment 1 differs";
  receiver.signal(SIGINT);  // pg_receivewal's way to stop: a clean end of the copy, exit 0.
  EXPECT_EQ(receiver.wait_exit(std::chrono::seconds(30)), std::optional<int>(0))
      << file_text(dir_.path() / "rx.log");

  ChildProcess waldump = ChildProcess::spawn(
      {(bindir_ / "pg_waldump").string(), "--end=0/2000000", (received / first).string()},
      dir_.path() / "waldump.log");
  EXPECT_EQ(waldump.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir_.path() / "waldump.log").substr(0, 2000);
  EXPECT_NE(file_text(dir_.path() / "waldump.log").find("desc: SWITCH"), std::string::npos);
}

TEST_F(ReplicationPortTest, HotStandby_ReplaysFromTheSafekeepers_AndGoesOnFromAnother) {
  start_streaming();
  ASSERT_TRUE(session_->query("INSERT INTO t VALUES (1, 'before the backup')"));
  PostgresServer standby(dir_.path(), bindir_, {postgres_->conninfo(), "standby"});
  ASSERT_EQ(standby.why(), "");
  std::string hosts;
  std::string ports;
  for (int i = 0; i < cluster_->size(); ++i) {
    hosts += std::string(i > 0 ? "," : "") + "127.0.0.1";
    ports += (i > 0 ? "," : "") + std::to_string(cluster_->node(i).pg_port);
  }
  // Doubled quotes: the value of primary_conninfo holds options='...'.
  standby.append_config(
      "hot_standby = on\n"
      "wal_retrieve_retry_interval = '100ms'\n"
      "synchronous_standby_names = ''\n"
      "primary_conninfo = 'host=" +
      hosts + " port=" + ports + " user=postgres application_name=standby options=''-c tenant_id=" +
      kTenant + " -c timeline_id=" + kTimeline + "'''\n");
  ASSERT_TRUE(standby.write_file("standby.signal"));
  ASSERT_TRUE(standby.start()) << file_text(standby.log()) << states();
  PgSession reader(standby.conninfo());
  ASSERT_TRUE(reader.ok()) << reader.error();

  auto standby_sees = [&](int value) {
    return poll_until(
        walproposer_,
        [&] {
          return reader.query("SELECT count(*) FROM t WHERE i = " + std::to_string(value)) ==
                 std::optional<std::string>("1");
        },
        std::chrono::seconds(60));
  };
  auto sender_port = [&] {
    return reader.query("SELECT sender_port FROM pg_stat_wal_receiver").value_or("");
  };
  ASSERT_TRUE(session_->query("INSERT INTO t VALUES (42, 'after')")) << session_->error();
  ASSERT_TRUE(standby_sees(42)) << file_text(standby.log()) << states();
  EXPECT_EQ(sender_port(), std::to_string(cluster_->node(0).pg_port));

  // Its safekeeper dies: it reconnects to the next one in primary_conninfo and goes on.
  cluster_->kill(0);
  ASSERT_TRUE(session_->query("INSERT INTO t VALUES (43, 'after the failover')"))
      << session_->error();
  ASSERT_TRUE(standby_sees(43)) << file_text(standby.log()) << states();
  const std::string port = sender_port();
  EXPECT_TRUE(port == std::to_string(cluster_->node(1).pg_port) ||
              port == std::to_string(cluster_->node(2).pg_port))
      << port;
  standby.process().signal(SIGINT);  // Fast shutdown; the destructor kills it otherwise.
  standby.process().wait_exit(std::chrono::seconds(30));
}

// Sends raw bytes to a port and reads until the server closes (or 10 s pass); what it answered.
std::optional<std::string> exchange_raw(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd readable{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
      ::close(fd);
      return std::nullopt;  // Not closed in time.
    }
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      break;  // Closed.
    }
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

// The SQLSTATE of a failed command ("" if it did not fail).
std::string sqlstate_of(PGconn* conn, const std::string& command) {
  PGresult* result = PQexec(conn, command.c_str());
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string out = PQresultStatus(result) == PGRES_FATAL_ERROR && state != nullptr ? state : "";
  PQclear(result);
  return out;
}

// A slot made by pg_receivewal survives a restart of its safekeeper, with the restart LSN its
// reader reached (written when the reader let it go); a dropped one stays dropped.
TEST_F(ReplicationPortTest, Slots_SurviveARestart_AndADropIsKept) {
  start_streaming();
  ASSERT_TRUE(wait_committed_on(0)) << states();
  const std::string slots_path =
      std::string("/v1/tenants/") + kTenant + "/timelines/" + kTimeline + "/slots";
  auto slots_on_node0 = [&]() -> json::array {
    auto reply = cluster_->http(0, "GET", slots_path);
    return reply && reply->status == 200 ? reply->body.at("slots").as_array() : json::array{};
  };
  const fs::path received = dir_.path() / "received";
  for (const char* name : {"keeper", "dropped"}) {
    ChildProcess create = pg_receivewal(received, {"--create-slot", "--slot", name},
                                        std::string("create-") + name + ".log");
    ASSERT_EQ(create.wait_exit(std::chrono::seconds(30)), std::optional<int>(0))
        << file_text(dir_.path() / (std::string("create-") + name + ".log"));
  }
  ASSERT_EQ(slots_on_node0().size(), 2U) << json::serialize(slots_on_node0());

  // Stream with the slot up to the commit LSN, so that its restart LSN moves.
  ASSERT_TRUE(session_->query("INSERT INTO t VALUES (1, 'x')")) << session_->error();
  ASSERT_TRUE(wait_committed_on(0)) << states();
  const Lsn end = commit_lsn(0);
  ChildProcess streamed = pg_receivewal(
      received, {"--slot", "keeper", "--endpos", end.to_string(), "--synchronous"}, "rx.log");
  ASSERT_EQ(streamed.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir_.path() / "rx.log");
  ChildProcess drop = pg_receivewal(received, {"--drop-slot", "--slot", "dropped"}, "drop.log");
  ASSERT_EQ(drop.wait_exit(std::chrono::seconds(30)), std::optional<int>(0))
      << file_text(dir_.path() / "drop.log");

  std::optional<Lsn> before;
  for (const json::value& slot : slots_on_node0()) {
    EXPECT_EQ(slot.at("slot_name").as_string(), "keeper");
    EXPECT_EQ(slot.at("active").as_bool(), false);
    if (slot.at("restart_lsn").is_string()) {
      before = Lsn::parse(json::value_to<std::string>(slot.at("restart_lsn")));
    }
  }
  // Made without reserving WAL, the slot has a restart LSN once its reader reported a flush.
  ASSERT_TRUE(before.has_value()) << json::serialize(slots_on_node0());
  EXPECT_GT(*before, Lsn(0));
  EXPECT_LE(*before, end);

  // What holds node 0's WAL now: no branch uses this timeline (it was made through the timelines
  // API), so all of it is kept, below the slot (retention_test holds WAL by a slot on a branch).
  const auto horizon = [&]() -> std::pair<std::string, std::string> {
    auto reply =
        cluster_->http(0, "GET", std::string("/v1/tenants/") + kTenant + "/timelines/" + kTimeline);
    if (!reply || reply->status != 200 || !reply->body.as_object().contains("removal_horizon")) {
      return {};
    }
    const json::value& h = reply->body.at("removal_horizon");
    return {json::value_to<std::string>(h.at("held_by")), json::value_to<std::string>(h.at("lsn"))};
  };
  const auto held = horizon();
  EXPECT_EQ(held.first, "no branch uses the timeline");
  // /v1/status says the same, with the WAL on disk.
  auto status = cluster_->http(0, "GET", "/v1/status");
  ASSERT_TRUE(status && status->status == 200);
  bool listed = false;
  for (const json::value& wal : status->body.at("timeline_wal").as_array()) {
    if (wal.at("timeline_id").as_string() == kTimeline) {
      listed = true;
      EXPECT_EQ(json::value_to<std::string>(wal.at("removal_horizon").at("held_by")), held.first);
      EXPECT_GT(json::value_to<std::uint64_t>(wal.at("wal_bytes_on_disk")), 0U);
    }
  }
  EXPECT_TRUE(listed) << json::serialize(status->body);
  ASSERT_TRUE(Lsn::parse(held.second).has_value()) << held.second;
  EXPECT_LT(*Lsn::parse(held.second), *before);

  ASSERT_EQ(cluster_->terminate(0), std::optional<int>(0)) << cluster_->logs();
  ASSERT_TRUE(cluster_->start(0)) << cluster_->logs();
  const json::array after = slots_on_node0();
  ASSERT_EQ(after.size(), 1U) << json::serialize(after);
  EXPECT_EQ(after[0].at("slot_name").as_string(), "keeper");
  ASSERT_TRUE(after[0].at("restart_lsn").is_string()) << json::serialize(after);
  EXPECT_EQ(Lsn::parse(json::value_to<std::string>(after[0].at("restart_lsn"))), before);
  // And it streams again from there.
  ChildProcess again = pg_receivewal(
      received, {"--slot", "keeper", "--endpos", end.to_string(), "--synchronous"}, "rx2.log");
  EXPECT_EQ(again.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir_.path() / "rx2.log");
}

// A slot no reader uses for longer than --slot-inactive-limit is dropped by its safekeeper.
TEST_F(ReplicationPortTest, ASlotUnusedBeyondTheLimit_IsDropped) {
  start_streaming();
  ASSERT_TRUE(wait_committed_on(0)) << states();
  ASSERT_EQ(cluster_->terminate(0), std::optional<int>(0)) << cluster_->logs();
  cluster_->node(0).extra_flags = {"--slot-inactive-limit", "2s"};
  ASSERT_TRUE(cluster_->start(0)) << cluster_->logs();
  ChildProcess create =
      pg_receivewal(dir_.path() / "received", {"--create-slot", "--slot", "forgotten"}, "c.log");
  ASSERT_EQ(create.wait_exit(std::chrono::seconds(30)), std::optional<int>(0))
      << file_text(dir_.path() / "c.log");
  const std::string slots_path =
      std::string("/v1/tenants/") + kTenant + "/timelines/" + kTimeline + "/slots";
  auto slot_count = [&] {
    auto reply = cluster_->http(0, "GET", slots_path);
    return reply && reply->status == 200 ? reply->body.at("slots").as_array().size()
                                         : std::size_t{99};
  };
  ASSERT_EQ(slot_count(), 1U);
  EXPECT_TRUE(poll_until(
      cluster_->node(0).process, [&] { return slot_count() == 0; }, std::chrono::seconds(30)))
      << cluster_->logs();
  EXPECT_NE(cluster_->logs().find("replication slot \"forgotten\""), std::string::npos);
}

TEST_F(ReplicationPortTest, BadClients_GetErrorsAndTheSafekeeperServesEveryoneElse) {
  start_streaming();
  ASSERT_TRUE(session_->query("INSERT INTO t VALUES (1, 'x')"));
  ASSERT_TRUE(wait_committed_on(0)) << states();
  // A good reader streams all along, from node 1.
  ChildProcess receiver = pg_receivewal(dir_.path() / "received", {}, "rx.log");
  const std::uint16_t port = cluster_->node(0).pg_port;

  // A malformed startup packet (a length below its own header): an ErrorResponse, then closed.
  const auto answer = exchange_raw(port, std::string("\0\0\0\3junk", 8));
  ASSERT_TRUE(answer.has_value()) << "not closed";
  EXPECT_TRUE(answer->empty() || answer->front() == 'E') << *answer;

  PGconn* conn = PQconnectdb((reader_conninfo(0) + " replication=true").c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  EXPECT_EQ(sqlstate_of(conn, "NO_SUCH_COMMAND"), "42601");
  EXPECT_EQ(sqlstate_of(conn, "START_REPLICATION 7/0 TIMELINE 1"), "55000");  // Ahead of commit.
  EXPECT_EQ(sqlstate_of(conn, "START_REPLICATION 0/0"), "58P01");  // Below the timeline's start.
  EXPECT_EQ(sqlstate_of(conn, "IDENTIFY_SYSTEM"), "");             // Still usable after errors.

  // Garbage in CopyData: a protocol violation, and the connection is closed.
  PGresult* started = PQexec(conn, "START_REPLICATION 0/1000000 TIMELINE 1");
  ASSERT_EQ(PQresultStatus(started), PGRES_COPY_BOTH) << PQerrorMessage(conn);
  PQclear(started);
  ASSERT_EQ(PQputCopyData(conn, "garbage", 7), 1);
  ASSERT_EQ(PQflush(conn), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int copied = 0;
  while (copied >= 0 && std::chrono::steady_clock::now() < deadline) {
    char* buffer = nullptr;
    copied = PQgetCopyData(conn, &buffer, 1);
    PQfreemem(buffer);
    if (copied == 0) {
      pollfd readable{PQsocket(conn), POLLIN, 0};
      ::poll(&readable, 1, 100);
      PQconsumeInput(conn);
    }
  }
  ASSERT_LT(copied, 0) << "the copy did not end";
  PGresult* ended = PQgetResult(conn);
  const char* state = PQresultErrorField(ended, PG_DIAG_SQLSTATE);
  EXPECT_EQ(std::string(state != nullptr ? state : ""), "08P01") << PQerrorMessage(conn);
  PQclear(ended);
  PQfinish(conn);

  // A timeline the node does not host: refused at connection time.
  PGconn* unknown =
      PQconnectdb(("host=127.0.0.1 port=" + std::to_string(port) +
                   " user=postgres replication=true options='-c tenant_id=" + std::string(32, 'f') +
                   " -c timeline_id=" + kTimeline + "'")
                      .c_str());
  EXPECT_EQ(PQstatus(unknown), CONNECTION_BAD);
  EXPECT_NE(std::string(PQerrorMessage(unknown)).find("not hosted"), std::string::npos)
      << PQerrorMessage(unknown);
  PQfinish(unknown);

  // Meanwhile the good reader was served on: it completes segment 1 once the primary moves on.
  ASSERT_TRUE(session_->query("SELECT pg_switch_wal()"));
  ASSERT_TRUE(session_->query("INSERT INTO t VALUES (2, 'y')"));
  EXPECT_TRUE(poll_until(
      receiver, [&] { return fs::exists(dir_.path() / "received" / "000000010000000000000001"); },
      std::chrono::seconds(60)))
      << file_text(dir_.path() / "rx.log") << states();
  EXPECT_TRUE(receiver.running()) << file_text(dir_.path() / "rx.log");
  EXPECT_TRUE(cluster_->node(0).process.running());
}

}  // namespace
}  // namespace sk::testing
