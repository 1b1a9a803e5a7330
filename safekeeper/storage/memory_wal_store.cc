// MemoryWalStore; see memory_wal_store.h.
#include "safekeeper/storage/memory_wal_store.h"

#include <algorithm>
#include <utility>

#include "consensus/check.h"

namespace sk::storage {

using consensus::Lsn;

std::size_t MemoryWalBytes::size() const {
  std::lock_guard lock(mutex_);
  return bytes_.size();
}

void MemoryWalBytes::append(std::span<const std::uint8_t> bytes) {
  std::lock_guard lock(mutex_);
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void MemoryWalBytes::resize(std::size_t size) {
  std::lock_guard lock(mutex_);
  bytes_.resize(size);
}

Status MemoryWalBytes::read(Lsn begin, std::span<std::uint8_t> out) const {
  std::lock_guard lock(mutex_);
  if (begin < start_lsn_ || begin.bytes_since(start_lsn_) + out.size() > bytes_.size()) {
    return Error(ErrorCode::kNotFound, "WAL [" + begin.to_string() + ", " +
                                           begin.plus_bytes(out.size()).to_string() +
                                           ") is not held here");
  }
  const auto from = static_cast<std::ptrdiff_t>(begin.bytes_since(start_lsn_));
  std::copy(bytes_.begin() + from, bytes_.begin() + from + static_cast<std::ptrdiff_t>(out.size()),
            out.begin());
  return {};
}

Status MemoryWalStore::refuse_if_failed() const {
  if (failed_) {
    return Error(ErrorCode::kIoError,
                 "in-memory WAL refuses writes after a failed sync; crash() to recover");
  }
  return {};
}

Status MemoryWalStore::append(Lsn begin, std::span<const std::uint8_t> bytes) {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  if (begin != end_lsn()) {
    return Error(
        ErrorCode::kInvalidArgument,
        "append at " + begin.to_string() + ", expected the WAL's end " + end_lsn().to_string());
  }
  if (failing_appends_) {
    return Error(*failing_appends_, "injected fault: append at " + begin.to_string() + " refused");
  }
  bytes_->append(bytes);
  SK_CHECK(end_lsn() == begin.plus_bytes(bytes.size()));
  SK_CHECK(flush_lsn() <= end_lsn());
  return {};
}

Status MemoryWalStore::sync() {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  if (fail_next_sync_) {
    fail_next_sync_ = false;
    failed_ = true;
    return Error(ErrorCode::kIoError, "injected fault: fdatasync failed");
  }
  const std::size_t written = bytes_->size();
  if (synced_ != written || pending_positions_) {
    ++syncs_;
  }
  synced_ = written;
  if (pending_positions_) {
    positions_ = std::exchange(pending_positions_, std::nullopt);
  }
  SK_CHECK(flush_lsn() == end_lsn());
  SK_CHECK(!positions_ || positions_->truncate_lsn <= positions_->commit_lsn);
  return {};
}

Status MemoryWalStore::record_positions(WalPositions positions) {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  if (positions.commit_lsn > end_lsn() || positions.truncate_lsn > positions.commit_lsn) {
    return Error(ErrorCode::kInvalidArgument,
                 "positions commit " + positions.commit_lsn.to_string() + ", truncate " +
                     positions.truncate_lsn.to_string() + " with the WAL ending at " +
                     end_lsn().to_string());
  }
  pending_positions_ = positions;
  return {};
}

Status MemoryWalStore::truncate(Lsn at) {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  if (at < start_lsn_ || at > end_lsn()) {
    return Error(ErrorCode::kInvalidArgument, "truncate at " + at.to_string() +
                                                  ", outside the WAL [" + start_lsn_.to_string() +
                                                  ", " + end_lsn().to_string() + ")");
  }
  if (Status s = sync(); !s) {
    return s;
  }
  bytes_->resize(at.bytes_since(start_lsn_));
  synced_ = at.bytes_since(start_lsn_);
  SK_CHECK(end_lsn() == at);
  SK_CHECK(flush_lsn() == at);
  return {};
}

Result<std::vector<std::uint8_t>> MemoryWalStore::read(Lsn begin, Lsn end) const {
  if (begin < start_lsn_ || end < begin || end > end_lsn()) {
    return Error(ErrorCode::kInvalidArgument,
                 "read of [" + begin.to_string() + ", " + end.to_string() + "), outside the WAL [" +
                     start_lsn_.to_string() + ", " + end_lsn().to_string() + ")");
  }
  std::vector<std::uint8_t> out(end.bytes_since(begin));
  if (Status s = bytes_->read(begin, out); !s) {
    return s.error();
  }
  return out;
}

void MemoryWalStore::crash() {
  bytes_->resize(synced_);
  pending_positions_.reset();
  failed_ = false;
  fail_next_sync_ = false;
  SK_CHECK(flush_lsn() == end_lsn());
}

}  // namespace sk::storage
