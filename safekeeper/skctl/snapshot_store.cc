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

bool is_inside(const fs::path& path, const fs::path& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  const fs::path d = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) {
    return false;
  }
  const fs::path relative = p.lexically_relative(d);
  return !relative.empty() && relative != "." && *relative.begin() != "..";
}

Result<TakenSnapshot> SnapshotStore::take(const std::string& tenant_id, const fs::path& pg_bindir,
                                          const std::string& host, int port) const {
  TakenSnapshot taken;
  taken.snapshot_id = random_hex_id();
  taken.location = fs::absolute(root_ / tenant_id / taken.snapshot_id).lexically_normal();
  const fs::path partial = taken.location.string() + ".partial";
  std::error_code ec;
  fs::create_directories(partial.parent_path(), ec);
  if (ec) {
    return Error(ErrorCode::kIoError,
                 "cannot create " + partial.parent_path().string() + ": " + ec.message());
  }
  // Plain format: the data directory itself, to be cloned file by file. No WAL (-X none): the
  // safekeepers hold it. pg_basebackup fsyncs what it wrote before it exits.
  if (Status s = run_checked({(pg_bindir / "pg_basebackup").string(), "-h", host, "-p",
                              std::to_string(port), "-U", "postgres", "-D", partial.string(), "-F",
                              "plain", "-X", "none", "--checkpoint=fast"});
      !s) {
    fs::remove_all(partial, ec);
    return s.error();
  }
  auto range = manifest_wal_range(read_text(partial / "backup_manifest"));
  auto checksum = file_checksum(partial / "backup_manifest");
  if (!range || !checksum) {
    fs::remove_all(partial, ec);
    return !range ? range.error() : checksum.error();
  }
  // Restores read it as the postgres user (restore).
  if (Status s = hand_to_postgres(partial); !s) {
    fs::remove_all(partial, ec);
    return s.error();
  }
  taken.start_lsn = range->first;
  taken.end_lsn = range->second;
  taken.checksum = *checksum;
  for (const auto& entry : fs::recursive_directory_iterator(partial, ec)) {
    taken.size_bytes += entry.is_regular_file() ? entry.file_size() : 0;
  }
  fs::rename(partial, taken.location, ec);
  if (ec) {
    return Error(ErrorCode::kIoError,
                 "cannot move the backup to " + taken.location.string() + ": " + ec.message());
  }
  return taken;
}

Result<CloneReport> SnapshotStore::restore(const fs::path& location, const std::string& checksum,
                                           const fs::path& pg_bindir,
                                           const fs::path& pgdata) const {
  // Refused, not passed over: every snapshot of a store mounted elsewhere is outside this one,
  // and nothing here may read a path the branch log names outside the store.
  if (!is_inside(location, root_)) {
    return Error(ErrorCode::kFailedPrecondition,
                 "snapshot location " + location.string() + " is outside the snapshot store " +
                     root_.string() +
                     ": every host that starts computes must mount the same snapshot store at "
                     "the same path (NFS, CephFS; --snapshot-store)");
  }
  if (checksum.empty()) {
    return Error(ErrorCode::kCorruption,
                 "snapshot " + location.string() + " was registered without a checksum: not used");
  }
  // Nothing of the tenant here at all: this host does not see the store the snapshot was
  // taken into (a shared mount missing), which is not damage, and no older snapshot would be
  // seen either.
  std::error_code ec;
  if (!fs::exists(location.parent_path(), ec)) {
    return Error(ErrorCode::kFailedPrecondition,
                 "the snapshot store " + root_.string() + " on this host does not hold " +
                     location.string() +
                     ": every host that starts computes must mount the same snapshot store "
                     "(NFS, CephFS; --snapshot-store)");
  }
  const fs::path manifest = location / "backup_manifest";
  auto actual = file_checksum(manifest);
  if (!actual) {
    return Error(ErrorCode::kCorruption,
                 "snapshot " + location.string() + " is damaged: " + actual.error().message());
  }
  if (*actual != checksum) {
    return Error(ErrorCode::kCorruption, "snapshot " + location.string() +
                                             " is damaged: its manifest's checksum is " + *actual +
                                             ", registered " + checksum);
  }
  const fs::path verified = location.string() + ".verified";
  if (!fs::exists(verified, ec)) {
    // A snapshot taken as root by an older skctl becomes the postgres user's, like new ones.
    if (Status s = hand_to_postgres(location); !s) {
      return s.error();
    }
    // -n: no WAL to parse, the safekeepers hold it. Reads every byte once, at first use only.
    auto result = run_program(as_postgres(
        {(pg_bindir / "pg_verifybackup").string(), "-n", "-q", "-e", location.string()}));
    if (!result) {
      return result.error();
    }
    if (result->exit_code != 0) {
      std::string why = result->output;
      while (!why.empty() && why.back() == '\n') {
        why.pop_back();
      }
      return Error(ErrorCode::kCorruption, "snapshot " + location.string() +
                                               " is damaged: " + why.substr(why.rfind('\n') + 1));
    }
    std::ofstream(verified).flush();
  }
  // The tree is extracted as the postgres user, not root: whatever a snapshot holds, its copy
  // can do no more than PostgreSQL itself could.
  fs::create_directories(pgdata, ec);
  if (Status s = hand_to_postgres(pgdata); !s) {
    return s.error();
  }
  auto report = run_as_postgres([&]() -> Result<std::string> {
    auto done = clone_tree(location, pgdata);
    if (!done) {
      return done.error();
    }
    return std::to_string(done->files) + " " + std::to_string(done->cloned_files) + " " +
           std::to_string(done->copied_bytes);
  });
  if (!report) {
    return report.error();
  }
  CloneReport counted;
  std::istringstream(*report) >> counted.files >> counted.cloned_files >> counted.copied_bytes;
  fs::remove(pgdata / "backup_manifest", ec);
  return counted;
}

Result<SnapshotStore::Removal> SnapshotStore::remove(const std::string& snapshot_id,
                                                     const fs::path& location) const {
  std::error_code ec;
  const fs::path own = fs::weakly_canonical(fs::absolute(location), ec);
  const fs::path root = fs::weakly_canonical(fs::absolute(root_), ec);
  if (ec || !is_inside(location, root_)) {
    return Removal::kLeftInPlace;
  }
  // Exactly TENANT/SNAPSHOT_ID below the store: never the store, a tenant's directory, or
  // anything deeper or named otherwise.
  const fs::path relative = own.lexically_relative(root);
  const std::vector<fs::path> parts(relative.begin(), relative.end());
  if (parts.size() != 2 || parts[1] != snapshot_id) {
    return Removal::kLeftInPlace;
  }
  const fs::path verified = own.string() + ".verified";
  fs::remove(verified, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot remove " + verified.string() + ": " + ec.message());
  }
  fs::remove_all(own, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot remove " + own.string() + ": " + ec.message());
  }
  return Removal::kRemoved;
}

bool SnapshotStore::clones() const {
  std::error_code ec;
  fs::create_directories(root_, ec);
  return !ec && can_clone_within(root_);
}

}  // namespace sk::skctl
