// Integration tests of damaged and full disks under a real cluster: a corrupt WAL tail and a
// corrupt control record found at start-up, one node's data directory running out of space, and
// one node keeping a free-space reserve (--disk-reserve) that stops it before the disk is full.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include "safekeeper/http/http_client.h"
#include "safekeeper/storage/wal_digest.h"
#include "tests/integration/cluster_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;
using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1 << 20;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

fs::path timeline_dir(const SafekeeperCluster::Node& node) {
  return node.data_dir / "timelines" / kTenant / kTimeline;
}

// A digest of every file under `dir`, names and bytes, to show a start-up changed nothing.
std::string digest_of_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  storage::WalDigest digest;
  for (const fs::path& file : files) {
    const std::string name = file.lexically_relative(dir).string();
    const std::string bytes = read_bytes(file);
    digest.update({reinterpret_cast<const std::uint8_t*>(name.data()), name.size()});
    digest.update({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
  return digest.hex();
}

// Flips one byte of the last frame in the last segment file that has any: after a run that
// ended with --wait-all, the positions frame carrying the final commit LSN. (A flip inside the
// last data frame could cut the WAL below the control record's copy of the commit LSN, and the
// timeline would then be kept aside instead: a different test.)
bool corrupt_wal_tail(const fs::path& dir) {
  std::vector<fs::path> segments;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".frames") {
      segments.push_back(entry.path());
    }
  }
  std::sort(segments.rbegin(), segments.rend());
  for (const fs::path& segment : segments) {
    std::string bytes = read_bytes(segment);
    const auto last = bytes.find_last_not_of('\0');
    if (last == std::string::npos || last < 8192) {
      continue;
    }
    bytes[last - 8] = static_cast<char>(bytes[last - 8] ^ 0x5a);
    write_bytes(segment, bytes);
    return true;
  }
  return false;
}

// Flips a payload byte of every control record in the LMDB file (old copies included, as
// LMDB keeps earlier pages): the current one fails its checksum.
int corrupt_control_records(const fs::path& data_mdb) {
  std::string bytes = read_bytes(data_mdb);
  int flipped = 0;
  for (auto at = bytes.find("SKCS"); at != std::string::npos; at = bytes.find("SKCS", at + 1)) {
    if (at + 24 <= bytes.size()) {
      bytes[at + 20] = static_cast<char>(bytes[at + 20] ^ 0x01);
      ++flipped;
    }
  }
  write_bytes(data_mdb, bytes);
  return flipped;
}

TEST_F(ClusterTest, CorruptWalTailAndControlRecord_ReportedAtStartupNothingAcknowledgedLost) {
  ChildProcess first =
      start_loadgen({"--bytes", std::to_string(24 * kMiB), "--wait-all", "1"}, "first.log");
  ASSERT_EQ(first.wait_exit(120s), std::optional<int>(0)) << file_text(dir_.path() / "first.log");
  auto first_run = expect_run_held_by("first.log", {0, 1, 2});
  ASSERT_TRUE(first_run.has_value());
  const Lsn acknowledged = lsn_field(*first_run, "committed_lsn");

  cluster_->kill(1);
  cluster_->kill(2);
  ASSERT_TRUE(corrupt_wal_tail(timeline_dir(cluster_->node(1))));
  ASSERT_GT(corrupt_control_records(cluster_->node(2).data_dir / "control" / "data.mdb"), 0);
  // Its WAL and LMDB data file (lock.mdb changes with every start, by design).
  auto node3_files_digest = [&] {
    const std::string lmdb = read_bytes(cluster_->node(2).data_dir / "control" / "data.mdb");
    storage::WalDigest lmdb_digest;
    lmdb_digest.update({reinterpret_cast<const std::uint8_t*>(lmdb.data()), lmdb.size()});
    return digest_of_files(timeline_dir(cluster_->node(2))) + "/" + lmdb_digest.hex();
  };
  const std::string node3_files = node3_files_digest();
  ASSERT_TRUE(cluster_->start(1)) << cluster_->logs();
  ASSERT_TRUE(cluster_->start(2)) << cluster_->logs();

  // Node 2 found the bad frame, cut its log back before it and said so; the WAL bytes before
  // the frame are whole.
  const std::string node2_log = file_text(cluster_->node(1).log);
  EXPECT_NE(node2_log.find("WAL cut back at"), std::string::npos) << node2_log;
  EXPECT_EQ(flush_lsn(1), acknowledged);
  // Node 3 keeps the timeline aside, reports why, and does not serve it.
  const std::string node3_log = file_text(cluster_->node(2).log);
  EXPECT_NE(node3_log.find("kept aside"), std::string::npos) << node3_log;
  auto status = cluster_->http(2, "GET", "/v1/status");
  ASSERT_TRUE(status.has_value());
  const auto& broken = status->body.at("broken_timelines").as_array();
  ASSERT_EQ(broken.size(), 1u) << boost::json::serialize(status->body);
  EXPECT_EQ(broken[0].at("timeline_id").as_string(), kTimeline);
  EXPECT_NE(boost::json::serialize(broken[0]).find("CORRUPTION"), std::string::npos)
      << boost::json::serialize(broken[0]);
  auto refused = cluster_->http(2, "GET", timeline_path());
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 500) << boost::json::serialize(refused->body);

  // A new proposer commits with nodes 1 and 2; node 2 is brought back up to date.
  ChildProcess second = start_loadgen({"--bytes", std::to_string(8 * kMiB)}, "second.log", "2000");
  ASSERT_EQ(second.wait_exit(120s), std::optional<int>(0))
      << file_text(dir_.path() / "second.log") << cluster_->logs();
  auto second_run = expect_run_held_by("second.log", {0, 1});
  ASSERT_TRUE(second_run.has_value());
  EXPECT_GE(lsn_field(*second_run, "start_lsn"), acknowledged);
  ASSERT_TRUE(expect_run_held_by("first.log", {0, 1}).has_value());
  // The refused timeline's files are as they were: nothing was repaired over them.
  cluster_->kill(2);
  EXPECT_EQ(node3_files_digest(), node3_files);
}

// Node 3's data directory on a small tmpfs, unmounted (after node 3 is killed) at scope exit.
class SmallTmpfs {
 public:
  SmallTmpfs(fs::path dir, int mib) : dir_(std::move(dir)) {
    const std::string options = "size=" + std::to_string(mib) + "m";
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) {
      ::umount2(dir_.c_str(), MNT_DETACH);
    }
  }
  bool mounted() const { return mounted_; }
  bool resize(int mib) {
    const std::string options = "size=" + std::to_string(mib) + "m";
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

// Node 3 on a small tmpfs, run out of space by the load.
class SmallDiskTest : public ClusterTest {
 protected:
  // Node 3 started again, empty, on a tmpfs of `mib` MiB, with `flags`.
  void node3_on_tmpfs(int mib, std::vector<std::string> flags = {}) {
    cluster_->kill(2);
    tmpfs_ = std::make_unique<SmallTmpfs>(cluster_->node(2).data_dir, mib);
    ASSERT_TRUE(tmpfs_->mounted());
    cluster_->node(2).extra_flags = std::move(flags);
    ASSERT_TRUE(cluster_->start(2)) << cluster_->logs();
  }
  // The mount goes only after node 3 is stopped.
  void TearDown() override {
    if (tmpfs_) {
      cluster_->kill(2);
      tmpfs_.reset();
    }
  }

  // Nodes 1 and 2 commit 64 MiB at 32 MB/s; then, unless node 3 has stopped by then, a session
  // that waits for every acceptor to hold its WAL (--wait-all) carries node 3's log on until it
  // stops: it is fed only by a proposer, and a run ends once the other two hold its WAL, so node
  // 3 may lag when the run ends, or have been reopened (each new greeting is a reopen attempt).
  // The run's start and committed LSN, and node 3's timeline as it was when seen stopped (a
  // proposer's next greeting may reopen it).
  void load_until_node3_stops(Lsn& start, Lsn& committed, boost::json::value& stopped) {
    ChildProcess first = start_loadgen(
        {"--bytes", std::to_string(64 * kMiB), "--rate-mbps", "32", "--timeout-s", "120"},
        "first.log");
    ASSERT_EQ(first.wait_exit(150s), std::optional<int>(0))
        << file_text(dir_.path() / "first.log") << cluster_->logs();
    auto first_run = expect_run_held_by("first.log", {0, 1});
    ASSERT_TRUE(first_run.has_value());
    start = lsn_field(*first_run, "start_lsn");
    committed = lsn_field(*first_run, "committed_lsn");
    std::optional<boost::json::value> seen;
    const auto node3_stopped = [&] {
      auto s = timeline(2);
      if (s.has_value() && s->at("status").as_string() == "failed") {
        seen = *s;
      }
      return seen.has_value();
    };
    if (!node3_stopped()) {
      ChildProcess top_up =
          start_loadgen({"--bytes", std::to_string(kMiB), "--wait-all", "1", "--timeout-s", "90"},
                        "top-up.log", "1001");
      EXPECT_TRUE(poll_until(top_up, node3_stopped, 60s))
          << file_text(dir_.path() / "top-up.log") << cluster_->logs();
      top_up.kill_and_wait();
    }
    ASSERT_TRUE(seen.has_value()) << states();
    stopped = *seen;
  }

  std::unique_ptr<SmallTmpfs> tmpfs_;
};

TEST_F(SmallDiskTest, NoSpaceOnOneNode_ItRefusesAppendsServesReadsAndRecoversWhenSpaceReturns) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "mounting a tmpfs needs root";
  }
  // Node 3 starts again, empty, on 40 MiB: two 16 MiB segments fit, the third does not.
  ASSERT_NO_FATAL_FAILURE(node3_on_tmpfs(40));

  Lsn start;
  Lsn committed;
  boost::json::value stopped;
  ASSERT_NO_FATAL_FAILURE(load_until_node3_stops(start, committed, stopped));

  // Node 3 stopped short, says why, and still serves what it holds.
  const boost::json::value* state = &stopped;
  const Lsn node3_flush = lsn_field(*state, "flush_lsn");
  EXPECT_LT(node3_flush, committed);
  EXPECT_GE(node3_flush, start.plus_bytes(16 * kMiB));
  ASSERT_EQ(state->at("status").as_string(), "failed")
      << boost::json::serialize(*state) << cluster_->logs();
  EXPECT_EQ(state->at("error").at("code").as_string(), "NO_SPACE");
  EXPECT_EQ(digest(2, start, node3_flush), digest(0, start, node3_flush));
  EXPECT_NE(file_text(cluster_->node(2).log).find("No space left on device"), std::string::npos)
      << file_text(cluster_->node(2).log);

  // Space returns: the next proposer session reopens node 3's timeline from disk and brings it
  // up to date; nothing on it is corrupt.
  ASSERT_TRUE(tmpfs_->resize(256));
  ChildProcess second =
      start_loadgen({"--bytes", std::to_string(4 * kMiB), "--wait-all", "1"}, "second.log", "2000");
  ASSERT_EQ(second.wait_exit(120s), std::optional<int>(0))
      << file_text(dir_.path() / "second.log") << cluster_->logs();
  ASSERT_TRUE(expect_run_held_by("first.log", {0, 1, 2}).has_value());
  ASSERT_TRUE(expect_run_held_by("second.log", {0, 1, 2}).has_value());
  const std::string node3_log = file_text(cluster_->node(2).log);
  EXPECT_NE(node3_log.find("reopening after"), std::string::npos) << node3_log;
  EXPECT_EQ(node3_log.find("cut back"), std::string::npos) << node3_log;

  // And a restart finds it whole.
  const Lsn before_restart = flush_lsn(2);
  ASSERT_EQ(cluster_->terminate(2), std::optional<int>(0));
  ASSERT_TRUE(cluster_->start(2)) << cluster_->logs();
  EXPECT_EQ(flush_lsn(2), before_restart);
  auto status = cluster_->http(2, "GET", "/v1/status");
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->body.at("broken_timelines").as_array().empty());
  EXPECT_EQ(file_text(cluster_->node(2).log).find("cut back"), std::string::npos);
}

// The value of an unlabelled sample in Prometheus text, or -1 if absent.
double metric_value(const std::string& text, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const auto at = text.find(prefix);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + prefix.size()));
}

TEST_F(SmallDiskTest, DiskReserveOnOneNode_RefusesBeforeTheDiskIsFullAndResumesWhenSpaceReturns) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "mounting a tmpfs needs root";
  }
  // Node 3 starts again, empty, on 64 MiB with 28 MiB in reserve: its first two 16 MiB
  // segments leave about 31 MiB free, the third leaves about 15 MiB, below the reserve, so its
  // appends stop there with the disk far from full.
  constexpr std::uint64_t kReserve = 28 * kMiB;
  ASSERT_NO_FATAL_FAILURE(node3_on_tmpfs(64, {"--disk-reserve", "28MiB"}));

  Lsn start;
  Lsn committed;
  boost::json::value stopped;
  ASSERT_NO_FATAL_FAILURE(load_until_node3_stops(start, committed, stopped));

  // Node 3 refused for the reserve, with space still free; it says so and serves what it holds.
  const boost::json::value* state = &stopped;
  ASSERT_EQ(state->at("status").as_string(), "failed")
      << boost::json::serialize(*state) << cluster_->logs();
  EXPECT_EQ(state->at("error").at("code").as_string(), "NO_SPACE");
  const std::string message(state->at("error").at("message").as_string());
  EXPECT_NE(message.find("is below the reserve of 28.0 MiB; appends resume when space returns"),
            std::string::npos)
      << message;
  // Whole 16 MiB segments: two or three, as LMDB's own size on the tmpfs decides.
  const auto wal_on_disk = state->at("wal_bytes_on_disk").to_number<std::uint64_t>();
  EXPECT_GE(wal_on_disk, 32 * kMiB);
  EXPECT_LE(wal_on_disk, 48 * kMiB);
  EXPECT_EQ(wal_on_disk % (16 * kMiB), 0U) << wal_on_disk;
  const Lsn node3_flush = lsn_field(*state, "flush_lsn");
  EXPECT_LT(node3_flush, committed);
  EXPECT_GE(node3_flush, start.plus_bytes(16 * kMiB));
  EXPECT_EQ(digest(2, start, node3_flush), digest(0, start, node3_flush));
  auto status = cluster_->http(2, "GET", "/v1/status");
  ASSERT_TRUE(status.has_value());
  const boost::json::value& disk = status->body.at("disk");
  EXPECT_TRUE(disk.at("refusing_appends").as_bool()) << boost::json::serialize(disk);
  EXPECT_EQ(disk.at("reserve_bytes").to_number<std::uint64_t>(), kReserve);
  EXPECT_GT(disk.at("free_bytes").to_number<std::uint64_t>(), 4 * kMiB);
  EXPECT_LT(disk.at("free_bytes").to_number<std::uint64_t>(), kReserve);
  auto metrics = sk::http::http_request("127.0.0.1:" + std::to_string(cluster_->node(2).http_port),
                                        "GET", "/metrics", "", std::chrono::seconds(10));
  ASSERT_TRUE(metrics.has_value());
  EXPECT_GE(metric_value(metrics->body, "safekeeper_disk_reserve_refused_appends_total"), 1);
  EXPECT_EQ(metric_value(metrics->body, "safekeeper_disk_reserve_bytes"),
            static_cast<double>(kReserve));
  EXPECT_GT(metric_value(metrics->body, "safekeeper_disk_free_bytes"), 4.0 * kMiB);
  const std::string refusing_log = file_text(cluster_->node(2).log);
  EXPECT_EQ(refusing_log.find("No space left on device"), std::string::npos) << refusing_log;
  // Greeted again while below the reserve, it did not reopen (and fail again) each time.
  EXPECT_EQ(refusing_log.find("reopening after"), std::string::npos) << refusing_log;

  // Space returns: the next proposer session reopens node 3's timeline and brings it up to
  // date, nothing lost.
  ASSERT_TRUE(tmpfs_->resize(256));
  ChildProcess second =
      start_loadgen({"--bytes", std::to_string(4 * kMiB), "--wait-all", "1"}, "second.log", "2000");
  ASSERT_EQ(second.wait_exit(120s), std::optional<int>(0))
      << file_text(dir_.path() / "second.log") << cluster_->logs();
  ASSERT_TRUE(expect_run_held_by("first.log", {0, 1, 2}).has_value());
  ASSERT_TRUE(expect_run_held_by("second.log", {0, 1, 2}).has_value());
  EXPECT_GT(flush_lsn(2), committed);
  const std::string node3_log = file_text(cluster_->node(2).log);
  EXPECT_NE(node3_log.find("reopening after"), std::string::npos) << node3_log;
  EXPECT_EQ(node3_log.find("cut back"), std::string::npos) << node3_log;
  auto after = cluster_->http(2, "GET", "/v1/status");
  ASSERT_TRUE(after.has_value());
  EXPECT_FALSE(after->body.at("disk").at("refusing_appends").as_bool())
      << boost::json::serialize(after->body);
}

}  // namespace
}  // namespace sk::testing
