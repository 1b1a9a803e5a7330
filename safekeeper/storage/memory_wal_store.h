// MemoryWalStore: the in-memory twin of FileWalStore, for tests of the layers above. It keeps
// what was synced apart from what was only written, so a simulated crash (crash()) loses
// exactly the unsynced bytes, and it fails on demand as a disk does: appends with ENOSPC or EIO
// (nothing written), fdatasync with EIO (the store then refuses everything, as the real one).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "safekeeper/storage/wal_store.h"

namespace sk::storage {

// The twin's bytes: changed by the store on its thread, read by durable_reader()'s users on
// theirs, so guarded by a mutex (the file store's page cache plays this part for real files).
class MemoryWalBytes final : public DurableWalReader {
 public:
  explicit MemoryWalBytes(consensus::Lsn start_lsn) : start_lsn_(start_lsn) {}

  std::size_t size() const;
  void append(std::span<const std::uint8_t> bytes);
  void resize(std::size_t size);
  Status read(consensus::Lsn begin, std::span<std::uint8_t> out) const override;

 private:
  const consensus::Lsn start_lsn_;
  mutable std::mutex mutex_;
  std::vector<std::uint8_t> bytes_;  // Guarded by mutex_.
};

class MemoryWalStore final : public WalStore {
 public:
  explicit MemoryWalStore(consensus::Lsn start_lsn) : start_lsn_(start_lsn) {}

  consensus::Lsn start_lsn() const override { return start_lsn_; }
  consensus::Lsn end_lsn() const override { return start_lsn_.plus_bytes(bytes_->size()); }
  consensus::Lsn flush_lsn() const override { return start_lsn_.plus_bytes(synced_); }
  Status append(consensus::Lsn begin, std::span<const std::uint8_t> bytes) override;
  Status sync() override;
  Status record_positions(WalPositions positions) override;
  std::optional<WalPositions> positions() const override { return positions_; }
  Status truncate(consensus::Lsn at) override;
  Result<std::vector<std::uint8_t>> read(consensus::Lsn begin, consensus::Lsn end) const override;
  std::shared_ptr<const DurableWalReader> durable_reader() const override { return bytes_; }

  // Appends fail with `code` (kNoSpace or kIoError) until clear_faults().
  void fail_appends(ErrorCode code) { failing_appends_ = code; }
  // The next sync fails with EIO, and the store refuses everything after it.
  void fail_next_sync() { fail_next_sync_ = true; }
  // Disarms the faults not hit yet; a store that failed a sync stays failed until crash().
  void clear_faults() {
    failing_appends_.reset();
    fail_next_sync_ = false;
  }
  // Power loss and restart: what was not synced is gone, and a failed store works again.
  void crash();
  // Successful sync() calls that had something to make durable (the fdatasyncs a disk would do).
  std::uint64_t syncs() const { return syncs_; }

 private:
  Status refuse_if_failed() const;

  consensus::Lsn start_lsn_;
  std::shared_ptr<MemoryWalBytes> bytes_ = std::make_shared<MemoryWalBytes>(start_lsn_);
  std::size_t synced_ = 0;                         // The first synced_ bytes are durable.
  std::optional<WalPositions> positions_;          // Synced.
  std::optional<WalPositions> pending_positions_;  // Recorded, lost by a crash.
  std::optional<ErrorCode> failing_appends_;
  bool fail_next_sync_ = false;
  bool failed_ = false;
  std::uint64_t syncs_ = 0;
};

}  // namespace sk::storage
