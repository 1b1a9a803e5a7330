// Local data directories of computes; see data_dir.h.
#include "safekeeper/skctl/data_dir.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/pgwal/wal_decoder.h"
#include "safekeeper/skctl/local_process.h"

namespace sk::skctl {
namespace fs = std::filesystem;
using consensus::Lsn;

namespace {

constexpr const char* kCleanStopMarker = "skctl.clean-stop";

std::string field_value(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + ":", 0) == 0) {
      const auto value = line.find_first_not_of(' ', name.size() + 1);
      return value == std::string::npos ? std::string() : line.substr(value);
    }
  }
  return {};
}

Status sync_path(const fs::path& path, bool whole_file_system) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error(ErrorCode::kIoError, "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  const int rc = whole_file_system ? ::syncfs(fd) : ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) {
    return Error(ErrorCode::kIoError, "cannot sync " + path.string() + ": " + std::strerror(error));
  }
  return {};
}

}  // namespace

Result<ControlData> parse_controldata(const std::string& text) {
  ControlData data;
  data.cluster_state = field_value(text, "Database cluster state");
  const auto checkpoint = Lsn::parse(field_value(text, "Latest checkpoint location"));
  const std::string seg_size = field_value(text, "Bytes per WAL segment");
  data.seg_size_bytes = seg_size.empty() ? 0 : std::strtoull(seg_size.c_str(), nullptr, 10);
  if (data.cluster_state.empty() || !checkpoint ||
      !pgwal::is_valid_segment_size(data.seg_size_bytes)) {
    return Error(ErrorCode::kCorruption,
                 "pg_controldata's output lacks the cluster state, the "
                 "latest checkpoint or the segment size");
  }
  data.checkpoint_lsn = *checkpoint;
  return data;
}

Result<ControlData> read_controldata(const fs::path& pgdata, const fs::path& pg_bindir) {
  auto output = run_program(
      {"env", "LC_ALL=C", (pg_bindir / "pg_controldata").string(), "-D", pgdata.string()});
  if (!output) {
    return output.error();
  }
  if (output->exit_code != 0) {
    return Error(ErrorCode::kCorruption, "pg_controldata cannot read " + pgdata.string());
  }
  return parse_controldata(output->output);
}

bool shut_down_cleanly(const ControlData& control) {
  return control.cluster_state == "shut down" || control.cluster_state == "shut down in recovery";
}

Result<Lsn> local_wal_end(const fs::path& pgdata, Lsn from, std::uint64_t seg_size_bytes) {
  pgwal::WalDecoderOptions options;
  options.seg_size_bytes = seg_size_bytes;
  options.pg_timeline_id = 1;
  auto decoder = pgwal::WalDecoder::create(from, options);
  if (!decoder) {
    return decoder.error();
  }
  std::vector<std::uint8_t> buffer(1 << 20);
  for (std::uint64_t segno = pgwal::segment_number(from, seg_size_bytes);
       decoder->state() == pgwal::WalDecoder::State::kDecoding; ++segno) {
    const fs::path file = pgdata / "pg_wal" / pgwal::segment_file_name(1, segno, seg_size_bytes);
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      break;  // The WAL ends with the last segment file.
    }
    const std::uint64_t offset = decoder->position().value() - segno * seg_size_bytes;
    in.seekg(static_cast<std::streamoff>(offset));
    while (in && decoder->state() == pgwal::WalDecoder::State::kDecoding) {
      in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
      decoder->feed({buffer.data(), static_cast<std::size_t>(in.gcount())},
                    [](const pgwal::WalRecord&) {});
    }
  }
  return decoder->end_of_valid_wal();
}

DataDirInspection inspect_data_dir(const fs::path& pgdata, const fs::path& pg_bindir) {
  std::error_code ec;
  if (!fs::exists(pgdata, ec) || fs::is_empty(pgdata, ec)) {
    return {DataDirState::kEmpty, std::nullopt, ""};
  }
  if (!fs::exists(pgdata / kSkctlConfigFile, ec)) {
    return {DataDirState::kForeign, std::nullopt,
            pgdata.string() + " is not empty and skctl did not make it"};
  }
  if (!fs::exists(pgdata / kCleanStopMarker, ec)) {
    return {DataDirState::kUnclean, std::nullopt, "its last stop was not a clean one"};
  }
  if (fs::exists(pgdata / "postmaster.pid", ec)) {
    return {DataDirState::kUnclean, std::nullopt, "postmaster.pid is there"};
  }
  auto control = read_controldata(pgdata, pg_bindir);
  if (!control) {
    return {DataDirState::kUnclean, std::nullopt, control.error().message()};
  }
  if (!shut_down_cleanly(*control)) {
    return {DataDirState::kUnclean, std::nullopt, "its state is " + control->cluster_state};
  }
  auto end = local_wal_end(pgdata, control->checkpoint_lsn, control->seg_size_bytes);
  if (!end) {
    return {DataDirState::kUnclean, std::nullopt, end.error().message()};
  }
  return {DataDirState::kCleanStop, *end, ""};
}

Status mark_clean_stop(const fs::path& pgdata) {
  if (Status s = sync_path(pgdata, true); !s) {
    return s;
  }
  const fs::path marker = pgdata / kCleanStopMarker;
  std::ofstream(marker, std::ios::trunc) << "stopped cleanly by skctl; synced\n";
  if (Status s = sync_path(marker, false); !s) {
    return s;
  }
  return sync_path(pgdata, false);
}

Status forget_clean_stop(const fs::path& pgdata) {
  std::error_code ec;
  fs::remove(pgdata / kCleanStopMarker, ec);
  if (ec) {
    return Error(ErrorCode::kIoError,
                 "cannot remove the clean-stop marker in " + pgdata.string() + ": " + ec.message());
  }
  return sync_path(pgdata, false);
}

Status clear_data_dir(const fs::path& pgdata) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(pgdata, ec)) {
    fs::remove_all(entry.path(), ec);
    if (ec) {
      return Error(ErrorCode::kIoError,
                   "cannot remove " + entry.path().string() + ": " + ec.message());
    }
  }
  return ec ? Status(Error(ErrorCode::kIoError,
                           "cannot empty " + pgdata.string() + ": " + ec.message()))
            : Status{};
}

}  // namespace sk::skctl
