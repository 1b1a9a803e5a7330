// PrimaryTest; see primary_fixture.h.
#include "tests/integration/primary_fixture.h"

#include <fstream>

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
  return ChildProcess::spawn(
      {walproposer_binary(), "--pgconn", postgres_->conninfo(), "--safekeepers",
       cluster_->safekeepers_flag(), "--http", cluster_->http_flag(), "--tenant", kTenant,
       "--timeline", kTimeline, "--slot", slot},
      dir_.path() / log_name);
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
