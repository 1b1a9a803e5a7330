// Checks against PostgreSQL 15 itself, skipped when it is not installed: pg_waldump must read a
// segment written by WalGenerator, and WalDecoder must read the WAL a real initdb writes, record
// for record as pg_waldump lists it. The PostgreSQL binaries come from $SK_PG_BINDIR, else from
// `pg_config --bindir` when that is version 15, else from /usr/lib/postgresql/15/bin.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/pgwal/wal_decoder.h"
#include "safekeeper/pgwal/wal_generator.h"
#include "safekeeper/pgwal/wal_record.h"
#include "tests/support/temp_dir.h"

namespace sk::pgwal {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together.
};

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 4096> buffer;
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool is_executable(const fs::path& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::optional<fs::path> postgres15_bindir() {
  if (const char* dir = std::getenv("SK_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    return fs::path(dir);
  }
  CommandResult version = run_command("pg_config --version");
  if (version.exit_code == 0 && version.output.rfind("PostgreSQL 15", 0) == 0) {
    CommandResult bindir = run_command("pg_config --bindir");
    std::string dir = bindir.output.substr(0, bindir.output.find('\n'));
    if (bindir.exit_code == 0 && !dir.empty()) {
      return fs::path(dir);
    }
  }
  if (is_executable("/usr/lib/postgresql/15/bin/pg_waldump")) {
    return fs::path("/usr/lib/postgresql/15/bin");
  }
  return std::nullopt;
}

using sk::testing::TempDir;

std::vector<std::uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The LSNs of the records pg_waldump printed, in order ("... lsn: 0/01000028, prev ...").
std::vector<Lsn> waldump_lsns(const std::string& output) {
  std::vector<Lsn> lsns;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t at = line.find(", lsn: ");
    if (line.rfind("rmgr:", 0) != 0 || at == std::string::npos) {
      continue;
    }
    std::string text = line.substr(at + 7, line.find(',', at + 7) - (at + 7));
    if (std::optional<Lsn> lsn = Lsn::parse(text)) {
      lsns.push_back(*lsn);
    }
  }
  return lsns;
}

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

constexpr std::uint64_t kSegSize = kDefaultSegmentSizeBytes;
constexpr std::int64_t k2021_01_01_Us = 662774400000000;

// A full 16 MiB segment 000000010000000000000001 of records PostgreSQL's tools understand: NOOPs of
// all sizes (some over many pages), commits, full-page-image records with block references, and
// a final XLOG_SWITCH so the records fill the segment.
TEST(PgInteropTest, PgWaldump_ReadsGeneratedSegment) {
  std::optional<fs::path> bindir = postgres15_bindir();
  if (!bindir || !is_executable(*bindir / "pg_waldump")) {
    GTEST_SKIP() << "PostgreSQL 15's pg_waldump is not installed";
  }
  WalGenerator generator = std::move(WalGenerator::create(Lsn(kSegSize), {})).value();
  std::vector<Lsn> starts;
  int commits = 0;
  for (std::uint64_t i = 0; generator.position().value() < 2 * kSegSize - 64 * 1024; ++i) {
    if (i % 10 == 3) {
      starts.push_back(generator
                           .append_commit(static_cast<std::uint32_t>(700 + i),
                                          k2021_01_01_Us + static_cast<std::int64_t>(i) * 1000000)
                           .start_lsn);
      ++commits;
    } else if (i % 10 == 7) {
      // Block 0: a full-page image with a hole, relation 1663/5/16384, block i.
      std::vector<std::uint8_t> body = {0, kBlockHasImage, 0, 0};
      std::uint8_t image_header[5];
      store_u16(image_header, 4000);
      store_u16(image_header + 2, 1000);
      image_header[4] = kImageHasHole | kImageApply;
      body.insert(body.end(), image_header, image_header + 5);
      std::uint8_t rel_and_block[16];
      store_u32(rel_and_block, 1663);
      store_u32(rel_and_block + 4, 5);
      store_u32(rel_and_block + 8, 16384);
      store_u32(rel_and_block + 12, static_cast<std::uint32_t>(i));
      body.insert(body.end(), rel_and_block, rel_and_block + 16);
      body.resize(body.size() + 4000, 0x42);
      starts.push_back(generator.append_record_with_body(kRmgrXlog, kXlogFpi, 0, body).start_lsn);
    } else {
      std::size_t size = (i * 7919) % (i % 13 == 0 ? 40000 : 600);
      starts.push_back(generator.append_noop(size).start_lsn);
    }
  }
  GeneratedRecord last = generator.append_switch();
  starts.push_back(last.start_lsn);
  ASSERT_EQ(last.end_lsn, Lsn(2 * kSegSize));
  ASSERT_EQ(generator.bytes().size(), kSegSize);

  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  fs::path segment = dir.path() / segment_file_name(1, 1, kSegSize);
  {
    std::ofstream out(segment, std::ios::binary);
    out.write(reinterpret_cast<const char*>(generator.bytes().data()),
              static_cast<std::streamsize>(generator.bytes().size()));
    ASSERT_TRUE(out.good());
  }
  CommandResult dump = run_command("TZ=UTC " + quoted(*bindir / "pg_waldump") +
                                   " --end=" + last.end_lsn.to_string() + " " + quoted(segment));
  ASSERT_EQ(dump.exit_code, 0) << dump.output.substr(
      dump.output.size() > 2000 ? dump.output.size() - 2000 : 0);
  EXPECT_EQ(waldump_lsns(dump.output), starts);
  EXPECT_NE(dump.output.find("desc: COMMIT 2021-01-01 00:00:03.000000 UTC"), std::string::npos);
  EXPECT_NE(dump.output.find("blkref #0: rel 1663/5/16384 blk 7 FPW"), std::string::npos);
  EXPECT_NE(dump.output.find("desc: SWITCH"), std::string::npos);
  std::size_t commit_lines = 0;
  for (std::size_t at = 0; (at = dump.output.find("desc: COMMIT ", at)) != std::string::npos;
       ++at) {
    ++commit_lines;
  }
  EXPECT_EQ(commit_lines, static_cast<std::size_t>(commits));
}

// initdb writes a few thousand real records: full-page images, catalog inserts, commits.
TEST(PgInteropTest, RealInitdbWal_DecodesToCleanEndAsPgWaldumpListsIt) {
  std::optional<fs::path> bindir = postgres15_bindir();
  if (!bindir || !is_executable(*bindir / "initdb") || !is_executable(*bindir / "pg_waldump")) {
    GTEST_SKIP() << "PostgreSQL 15's initdb and pg_waldump are not installed";
  }
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string run_as;
  if (::geteuid() == 0) {
    // initdb refuses to run as root.
    struct passwd* postgres = ::getpwnam("postgres");
    if (postgres == nullptr || !is_executable("/usr/sbin/runuser")) {
      GTEST_SKIP() << "running as root without a postgres user and runuser to run initdb as";
    }
    ASSERT_EQ(::chown(dir.path().c_str(), postgres->pw_uid, postgres->pw_gid), 0);
    run_as = "/usr/sbin/runuser -u postgres -- ";
  }
  fs::path data = dir.path() / "data";
  CommandResult initdb =
      run_command(run_as + quoted(*bindir / "initdb") + " --no-sync -D " + quoted(data));
  ASSERT_EQ(initdb.exit_code, 0) << initdb.output;

  std::vector<fs::path> segments;
  for (const fs::directory_entry& entry : fs::directory_iterator(data / "pg_wal")) {
    if (parse_segment_file_name(entry.path().filename().string(), kSegSize)) {
      segments.push_back(entry.path());
    }
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_FALSE(segments.empty());
  std::uint64_t first_segno =
      parse_segment_file_name(segments.front().filename().string(), kSegSize)->segno;
  std::vector<std::uint8_t> first_segment = read_file(segments.front());
  ASSERT_EQ(first_segment.size(), kSegSize);

  WalDecoderOptions options;
  options.system_id = decode_page_header(first_segment).system_id;
  options.pg_timeline_id = 1;
  Result<WalDecoder> created = WalDecoder::create(segment_start(first_segno, kSegSize), options);
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  WalDecoder decoder = std::move(created).value();

  std::vector<Lsn> lsns;
  std::vector<std::int64_t> commit_times;
  std::size_t records_with_blocks = 0;
  WalDecoder::RecordCallback on_record = [&](const WalRecord& record) {
    lsns.push_back(record.start_lsn);
    Result<RecordBody> body = parse_record_body(record);
    ASSERT_TRUE(body.has_value()) << body.error().to_string();
    records_with_blocks += body->blocks.empty() ? 0 : 1;
    if (std::optional<std::int64_t> time = xact_time_of(record)) {
      commit_times.push_back(*time);
    }
  };
  decoder.feed(first_segment, on_record);
  for (std::size_t i = 1; i < segments.size() && decoder.state() == WalDecoder::State::kDecoding;
       ++i) {
    decoder.feed(read_file(segments[i]), on_record);
  }

  ASSERT_EQ(decoder.state(), WalDecoder::State::kEndOfWal)
      << (decoder.stop() ? decoder.stop()->reason : "ran out of segments");
  EXPECT_GT(lsns.size(), 1000u);
  EXPECT_GT(records_with_blocks, 100u);
  ASSERT_GT(commit_times.size(), 10u);
  EXPECT_TRUE(std::is_sorted(commit_times.begin(), commit_times.end()));
  EXPECT_GT(commit_times.front(), 631152000000000);  // After 2020-01-01.
  EXPECT_LT(commit_times.back(), 3155760000000000);  // Before 2100-01-01.

  CommandResult dump = run_command(quoted(*bindir / "pg_waldump") +
                                   " --end=" + decoder.end_of_valid_wal().to_string() + " " +
                                   quoted(segments.front()));
  ASSERT_EQ(dump.exit_code, 0) << dump.output.substr(0, 2000);
  EXPECT_EQ(waldump_lsns(dump.output), lsns);
}

}  // namespace
}  // namespace sk::pgwal
