// PrimaryTest; see primary_fixture.h.
#include "tests/integration/primary_fixture.h"

#include <fstream>
#include <regex>

#include "safekeeper/http/http_client.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/storage/wal_digest.h"

namespace sk::testing {

using consensus::Lsn;

void PrimaryTest::SetUp() {
  const auto bindir = postgres15_bindir();
  if (!bindir) {
    GTEST_SKIP() << "PostgreSQL 15 is not installed";
  }
  bindir_ = *bindir;
  ClusterTest::SetUp();
  postgres_.emplace(dir_.path(), bindir_);
  if (!postgres_->why().empty()) {
    GTEST_SKIP() << postgres_->why();
  }
  ASSERT_TRUE(postgres_->start()) << file_text(postgres_->log());
}

ChildProcess PrimaryTest::start_walproposer(const std::string& log_name, const std::string& slot) {
  return start_walproposer_for(*postgres_, log_name, slot);
}

ChildProcess PrimaryTest::start_walproposer_for(const PostgresServer& server,
                                                const std::string& log_name,
                                                const std::string& slot) {
  return ChildProcess::spawn({walproposer_binary(), "--pgconn", server.conninfo(), "--safekeepers",
                              cluster_->safekeepers_flag(), "--http", cluster_->http_flag(),
                              "--tenant", kTenant, "--timeline", kTimeline, "--slot", slot},
                             dir_.path() / log_name);
}

std::string PrimaryTest::restore_wal_until(PostgresServer& backup, Lsn until) {
  // "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)"
  const std::string label = file_text(backup.data_dir() / "backup_label");
  std::smatch match;
  if (!std::regex_search(label, match, std::regex("START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+)"))) {
    return "no START WAL LOCATION in backup_label: " + label;
  }
  const auto start = Lsn::parse(match[1].str());
  if (!start) {
    return "bad START WAL LOCATION " + match[1].str();
  }
  const std::uint64_t last = pgwal::segment_number(Lsn(until.value() - 1), kSegBytes);
  for (std::uint64_t segno = pgwal::segment_number(*start, kSegBytes); segno <= last; ++segno) {
    const std::string name = pgwal::segment_file_name(1, segno, kSegBytes);
    std::string why = "no safekeeper serves " + name;
    bool fetched = false;
    const Lsn needed = std::min(until, pgwal::segment_start(segno + 1, kSegBytes));
    for (int i = 0; i < cluster_->size() && !fetched; ++i) {
      if (commit_lsn(i) < needed) {
        continue;  // Down, or does not know that far is committed: it would serve zeros.
      }
      auto reply =
          http::http_request("127.0.0.1:" + std::to_string(cluster_->node(i).http_port), "GET",
                             timeline_path() + "/wal/" + name, "", std::chrono::seconds(30));
      if (!reply || reply->status != 200 || reply->body.size() != kSegBytes) {
        continue;
      }
      if (!backup.write_file("pg_wal/" + name, reply->body)) {
        return "cannot write pg_wal/" + name;
      }
      fetched = true;
    }
    if (!fetched) {
      return why;
    }
  }
  return "";
}

std::string PrimaryTest::primary_digest(Lsn from, Lsn until) {
  storage::WalDigest digest;
  for (Lsn at = from; at < until;) {
    const std::uint64_t segno = pgwal::segment_number(at, kSegBytes);
    const Lsn seg_end = pgwal::segment_start(segno + 1, kSegBytes);
    const Lsn piece_end = std::min(until, seg_end);
    std::ifstream file(
        postgres_->data_dir() / "pg_wal" / pgwal::segment_file_name(1, segno, kSegBytes),
        std::ios::binary);
    file.seekg(static_cast<std::streamoff>(at.value() % kSegBytes));
    std::vector<char> bytes(piece_end.bytes_since(at));
    file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file) {
      return "";
    }
    digest.update({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    at = piece_end;
  }
  return digest.hex();
}

int PrimaryTest::nodes_holding(Lsn lsn) {
  int holding = 0;
  for (int i = 0; i < cluster_->size(); ++i) {
    holding += flush_lsn(i) >= lsn ? 1 : 0;
  }
  return holding;
}

std::string PrimaryTest::reader_conninfo(int i) const {
  return "host=127.0.0.1 port=" + std::to_string(cluster_->node(i).pg_port) +
         " user=postgres options='-c tenant_id=" + kTenant + " -c timeline_id=" + kTimeline + "'";
}

Lsn PrimaryTest::primary_insert_lsn(PgSession& session) {
  return Lsn::parse(session.query("SELECT pg_current_wal_insert_lsn()").value_or(""))
      .value_or(Lsn(0));
}

}  // namespace sk::testing
