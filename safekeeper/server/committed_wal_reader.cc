// CommittedWalReader; see committed_wal_reader.h.
#include "safekeeper/server/committed_wal_reader.h"

#include <algorithm>

namespace sk::safekeeper {

Result<walsender::TimelineInfo> CommittedWalReader::describe(
    const storage::TimelineKey& key) const {
  auto composition = wal_.compose(key);
  if (!composition) {
    return composition.error();
  }
  return walsender::TimelineInfo{composition->identity, composition->committed};
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
  auto composition = wal_.compose(request.key);
  if (!composition) {
    request.done(composition.error());
    return true;
  }
  const consensus::Lsn end = composition->committed;
  if (end <= request.from) {
    return false;
  }
  const consensus::Lsn from = request.from;
  const consensus::Lsn until =
      std::min(end, from.plus_bytes(std::max<std::size_t>(request.max_bytes, 1)));
  // The bytes are read on the pool: below `end`, which is committed, they never change.
  Status submitted = pool_.submit(
      [composition = std::move(*composition), from, until, end, done = request.done]() mutable {
        auto bytes = ComposedWal::read(composition, from, until);
        if (!bytes) {
          done(bytes.error());
          return;
        }
        done(walsender::WalChunk{from, std::move(*bytes), end});
      });
  if (!submitted) {
    request.done(submitted.error());
  }
  return true;
}

}  // namespace sk::safekeeper
