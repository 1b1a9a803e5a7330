// CommittedWalReader; see committed_wal_reader.h.
#include "safekeeper/server/committed_wal_reader.h"

#include <algorithm>

namespace sk::safekeeper {
namespace {

Error not_hosted(const storage::TimelineKey& key) {
  return Error(ErrorCode::kNotFound,
               "timeline " + storage::timeline_name(key) + " is not hosted on this safekeeper");
}

// What readers may have: committed, and durable here.
consensus::Lsn committed_end(const Timeline& timeline) {
  return std::min(timeline.durable_state().commit_lsn, timeline.flush_lsn());
}

}  // namespace

Result<walsender::TimelineInfo> CommittedWalReader::describe(
    const storage::TimelineKey& key) const {
  const Timeline* timeline = lookup_(key);
  if (timeline == nullptr) {
    return not_hosted(key);
  }
  return walsender::TimelineInfo{timeline->acceptor().state().identity, committed_end(*timeline)};
}

void CommittedWalReader::read(std::uint64_t reader, const storage::TimelineKey& key,
                              consensus::Lsn from, std::size_t max_bytes, Done done) {
  Parked request{key, from, max_bytes, std::move(done)};
  parked_.erase(reader);
  if (!try_answer(request)) {
    parked_.emplace(reader, std::move(request));
  }
}

void CommittedWalReader::cancel(std::uint64_t reader) {
  parked_.erase(reader);
}

void CommittedWalReader::after_round() {
  std::erase_if(parked_, [this](const auto& entry) { return try_answer(entry.second); });
}

bool CommittedWalReader::try_answer(const Parked& request) const {
  const Timeline* timeline = lookup_(request.key);
  if (timeline == nullptr) {
    request.done(not_hosted(request.key));
    return true;
  }
  const consensus::Lsn end = committed_end(*timeline);
  if (end <= request.from) {
    return false;
  }
  const consensus::Lsn until =
      std::min(end, request.from.plus_bytes(std::max<std::size_t>(request.max_bytes, 1)));
  auto bytes = timeline->read_wal(request.from, until);
  if (!bytes) {
    request.done(bytes.error());
    return true;
  }
  request.done(walsender::WalChunk{request.from, std::move(*bytes), end});
  return true;
}

}  // namespace sk::safekeeper
