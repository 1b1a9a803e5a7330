// sk-bench-commit-index: what the commit-time index costs with much WAL retained. Writes --gib
// GiB of PostgreSQL WAL (sk_pgwal's generator: records of --record-bytes, each followed by a
// commit one millisecond after the last) into a timeline of a node in --dir, through the
// acceptor as a proposer would, then measures:
//   * the index built from all of that WAL, as a start without saved pieces does: seconds, the
//     index's memory, and that memory per million commits;
//   * a restart with the pieces saved in LMDB: seconds from opening the node until "as of T"
//     answers, T in the middle of the WAL.
// Prints one JSON line. Figures are for people; nothing asserts on them.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "branchmgr/rfc3339.h"
#include "safekeeper/branchlog/commit_time_indexer.h"
#include "safekeeper/cli/command_line.h"
#include "safekeeper/pgwal/wal_generator.h"

namespace {

namespace fs = std::filesystem;
using namespace sk::consensus;
using Clock = std::chrono::steady_clock;

constexpr Lsn kStart{0x1000000};
constexpr std::int64_t kFirstCommitPgUs = 800'000'000'000'000;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "sk-bench-commit-index: %s\n", what.c_str());
  std::exit(1);
}

TimelineIdentity identity() {
  TimelineIdentity id;
  id.tenant_id = *TenantId::parse_hex("0123456789abcdef0123456789abcdef");
  id.timeline_id = *TimelineId::parse_hex("fedcba9876543210fedcba9876543210");
  id.system_id = 7250000000000000001ULL;
  id.pg_version = 150004;
  id.wal_seg_size_bytes = 16u << 20;
  id.timeline_start_lsn = kStart;
  return id;
}

std::unique_ptr<sk::safekeeper::Node> open_node(const fs::path& dir) {
  sk::safekeeper::NodeOptions options;
  options.node_id = NodeId(1);
  options.data_dir = dir;
  sk::safekeeper::Node::Report report;
  auto node = sk::safekeeper::Node::open(options, report);
  if (!node) {
    fail("opening the node: " + node.error().to_string());
  }
  return std::move(*node);
}

void submit(sk::safekeeper::Timeline& timeline, Message message) {
  if (auto s = timeline.submit(NodeId(101), message); !s) {
    fail(s.error().to_string());
  }
  if (auto r = timeline.commit_batch(); !r) {
    fail(r.error().to_string());
  }
}

// Writes the WAL; returns the number of commits.
std::uint64_t write_wal(sk::safekeeper::Node& node, std::uint64_t bytes, std::size_t record_bytes) {
  auto created = node.create_timeline(identity());
  if (!created) {
    fail(created.error().to_string());
  }
  sk::pgwal::WalGeneratorOptions options;
  options.system_id = identity().system_id;
  auto generator = sk::pgwal::WalGenerator::create(kStart, options);
  const TermHistory history({{Term(0), kStart}, {Term(1), kStart}});
  submit(**created, VoteRequest{Term(1)});
  submit(**created, ProposerElected{Term(1), kStart, history});
  std::uint64_t commits = 0;
  Lsn end = kStart;
  while (end.bytes_since(kStart) < bytes) {
    while (generator->bytes().size() < (std::size_t{4} << 20)) {
      generator->append_noop(record_bytes);
      generator->append_commit(static_cast<std::uint32_t>(commits),
                               kFirstCommitPgUs + static_cast<std::int64_t>(commits) * 1000);
      ++commits;
    }
    const Lsn begin = end;
    end = generator->position();
    submit(**created, AppendRequest{Term(1), begin, end, end, kStart, generator->take_bytes()});
  }
  return commits;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  sk::cli::CommandLine command_line("sk-bench-commit-index", "--dir DIR [options]");
  command_line.value("dir", "DIR", "where the node's data directory is made (removed after)");
  command_line.value("gib", "N", "GiB of WAL to write (default 10)");
  command_line.value("record-bytes", "N", "filler record size between commits (default 400)");
  command_line.parse(argc, argv);
  const fs::path dir = fs::path(command_line.get("dir").value_or("/var/tmp")) /
                       ("sk-bench-commit-index." + std::to_string(::getpid()));
  const std::uint64_t bytes = std::stoull(command_line.get("gib").value_or("10")) << 30;
  const std::size_t record_bytes = std::stoul(command_line.get("record-bytes").value_or("400"));
  const sk::storage::TimelineKey key{identity().tenant_id, identity().timeline_id};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    fail("creating " + dir.string() + ": " + ec.message());
  }

  std::uint64_t commits = 0;
  double build_s = 0;
  std::uint64_t memory = 0;
  std::uint64_t pieces = 0;
  {
    auto node = open_node(dir);
    const auto written = Clock::now();
    commits = write_wal(*node, bytes, record_bytes);
    std::fprintf(stderr, "wrote %llu GiB of WAL, %llu commits, in %.1f s\n",
                 static_cast<unsigned long long>(bytes >> 30),
                 static_cast<unsigned long long>(commits), seconds_since(written));
    const auto started = Clock::now();
    sk::safekeeper::CommitTimeIndexer indexer(*node);
    while (indexer.catch_up()) {
    }
    build_s = seconds_since(started);
    const auto* indexed = indexer.indexed(key);
    if (indexed == nullptr || !indexed->commits || indexed->failure) {
      fail("the index was not built");
    }
    memory = indexed->commits->memory_bytes();
    pieces = indexed->commits->closed().size();
  }
  // A restart: the saved pieces, then what came after them, then one question.
  const auto restarted = Clock::now();
  auto node = open_node(dir);
  const double open_s = seconds_since(restarted);
  sk::safekeeper::CommitTimeIndexer indexer(*node);
  while (indexer.catch_up()) {
  }
  const auto* indexed = indexer.indexed(key);
  if (indexed == nullptr || !indexed->commits) {
    fail("the index was not resumed");
  }
  const std::int64_t middle = sk::branchmgr::kPostgresEpochUnixUs + kFirstCommitPgUs +
                              static_cast<std::int64_t>(commits / 2) * 1000 + 500;
  const sk::branchmgr::AncestryLevel level{&*indexed->commits, kMaxLsn, indexer.reader(key)};
  auto as_of = sk::branchmgr::lsn_for_timestamp(std::span(&level, 1), middle, middle + 1);
  if (!as_of || !as_of->lsn) {
    fail("as of the middle: no answer");
  }
  const double restart_s = seconds_since(restarted);
  fs::remove_all(dir, ec);
  std::printf(
      "{\"wal_gib\":%llu,\"commits\":%llu,\"pieces\":%llu,\"index_build_s\":%.2f,"
      "\"index_bytes\":%llu,\"index_bytes_per_million_commits\":%.0f,"
      "\"restart_node_open_s\":%.2f,\"restart_to_as_of_s\":%.2f}\n",
      static_cast<unsigned long long>(bytes >> 30), static_cast<unsigned long long>(commits),
      static_cast<unsigned long long>(pieces), build_s, static_cast<unsigned long long>(memory),
      static_cast<double>(memory) * 1e6 / static_cast<double>(commits), open_s, restart_s);
  return 0;
}
