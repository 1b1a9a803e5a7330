// The snapshot store; see snapshot_store.h.
#include "safekeeper/skctl/snapshot_store.h"

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "safekeeper/pgwal/crc32c.h"
#include "safekeeper/skctl/local_process.h"

namespace sk::skctl {
namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

namespace {

std::string random_hex_id() {
  std::random_device random;
  consensus::SnapshotId::Bytes bytes{};
  for (auto& b : bytes) {
    b = static_cast<std::uint8_t>(random());
  }
  return consensus::SnapshotId(bytes).to_hex();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<std::pair<Lsn, Lsn>> manifest_wal_range(const std::string& manifest) {
  boost::system::error_code ec;
  const json::value v = json::parse(manifest, ec);
  const json::value* ranges =
      !ec && v.is_object() ? v.get_object().if_contains("WAL-Ranges") : nullptr;
  if (ranges == nullptr || !ranges->is_array() || ranges->get_array().size() != 1 ||
      !ranges->get_array()[0].is_object()) {
    return Error(ErrorCode::kCorruption, "backup_manifest has no single WAL-Ranges item");
  }
  const json::object& range = ranges->get_array()[0].get_object();
  auto lsn = [&](const char* key) -> std::optional<Lsn> {
    const auto* f = range.if_contains(key);
    return f != nullptr && f->is_string() ? Lsn::parse(std::string(f->get_string())) : std::nullopt;
  };
  const auto* timeline = range.if_contains("Timeline");
  const auto start = lsn("Start-LSN");
  const auto end = lsn("End-LSN");
  if (timeline == nullptr || !timeline->is_int64() || timeline->get_int64() != 1) {
    return Error(ErrorCode::kFailedPrecondition,
                 "the backup is not of PostgreSQL timeline 1, the only one a compute runs on");
  }
  if (!start || !end || *end < *start) {
    return Error(ErrorCode::kCorruption, "backup_manifest's WAL-Ranges has no valid LSNs");
  }
  return std::pair{*start, *end};
}

Result<std::string> file_checksum(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kIoError, "cannot read " + path.string());
  }
  pgwal::Crc32c crc;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    crc.update({reinterpret_cast<const std::uint8_t*>(buffer.data()), n});
  }
  if (in.bad()) {
    return Error(ErrorCode::kIoError, "cannot read " + path.string());
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", crc.finish());
  return std::string("crc32c:") + hex;
}

Result<TakenSnapshot> take_snapshot(const fs::path& store, const std::string& tenant_id,
                                    const fs::path& pg_bindir, const std::string& host, int port) {
  TakenSnapshot taken;
  taken.snapshot_id = random_hex_id();
  taken.location = fs::absolute(store / tenant_id / taken.snapshot_id);
  const fs::path partial = taken.location.string() + ".partial";
  std::error_code ec;
  fs::create_directories(partial.parent_path(), ec);
  if (ec) {
    return Error(ErrorCode::kIoError,
                 "cannot create " + partial.parent_path().string() + ": " + ec.message());
  }
  if (Status s = run_checked({(pg_bindir / "pg_basebackup").string(), "-h", host, "-p",
                              std::to_string(port), "-U", "postgres", "-D", partial.string(), "-F",
                              "tar", "-X", "none", "--checkpoint=fast"});
      !s) {
    fs::remove_all(partial, ec);
    return s.error();
  }
  auto range = manifest_wal_range(read_text(partial / "backup_manifest"));
  auto checksum = file_checksum(partial / "base.tar");
  if (!range || !checksum) {
    fs::remove_all(partial, ec);
    return !range ? range.error() : checksum.error();
  }
  taken.start_lsn = range->first;
  taken.end_lsn = range->second;
  taken.checksum = *checksum;
  taken.size_bytes = fs::file_size(partial / "base.tar", ec);
  fs::rename(partial, taken.location, ec);
  if (ec) {
    return Error(ErrorCode::kIoError,
                 "cannot move the backup to " + taken.location.string() + ": " + ec.message());
  }
  return taken;
}

Status restore_snapshot(const fs::path& location, const std::string& checksum,
                        const fs::path& pgdata) {
  const fs::path tar = location / "base.tar";
  auto actual = file_checksum(tar);
  if (!actual) {
    return actual.error();
  }
  if (!checksum.empty() && *actual != checksum) {
    return Error(ErrorCode::kCorruption, "snapshot " + tar.string() + " is damaged: checksum " +
                                             *actual + ", registered " + checksum);
  }
  std::error_code ec;
  fs::create_directories(pgdata, ec);
  if (ec || !fs::is_empty(pgdata, ec)) {
    return Error(ErrorCode::kFailedPrecondition,
                 "cannot restore into " + pgdata.string() + ": it is not an empty directory");
  }
  fs::permissions(pgdata, fs::perms::owner_all, ec);
  return run_checked({"tar", "-xf", tar.string(), "-C", pgdata.string()});
}

}  // namespace sk::skctl
