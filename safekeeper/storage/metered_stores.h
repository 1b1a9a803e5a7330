// Decorators that count and time what a WalStore or ControlStore does into IoMetrics, so the
// stores themselves stay free of metrics and every store (file, memory twin) can be metered.
#pragma once

#include "safekeeper/storage/control_store.h"
#include "safekeeper/storage/io_metrics.h"
#include "safekeeper/storage/wal_store.h"

namespace sk::storage {

class MeteredWalStore final : public WalStore {
 public:
  MeteredWalStore(WalStore& inner, IoMetrics& metrics) : inner_(inner), metrics_(metrics) {}

  consensus::Lsn start_lsn() const override { return inner_.start_lsn(); }
  consensus::Lsn end_lsn() const override { return inner_.end_lsn(); }
  consensus::Lsn flush_lsn() const override { return inner_.flush_lsn(); }
  Status append(consensus::Lsn begin, std::span<const std::uint8_t> bytes) override;
  Status sync() override;
  Status record_positions(WalPositions positions) override;
  std::optional<WalPositions> positions() const override { return inner_.positions(); }
  Status truncate(consensus::Lsn at) override;
  Result<std::vector<std::uint8_t>> read(consensus::Lsn begin, consensus::Lsn end) const override {
    return inner_.read(begin, end);
  }
  std::shared_ptr<const DurableWalReader> durable_reader() const override {
    return inner_.durable_reader();
  }

 private:
  Status count_error(Status status);
  WalStore& inner_;
  IoMetrics& metrics_;
};

class MeteredControlStore final : public ControlStore {
 public:
  MeteredControlStore(ControlStore& inner, IoMetrics& metrics) : inner_(inner), metrics_(metrics) {}

  Status save(const consensus::AcceptorState& state) override;
  Result<std::optional<consensus::AcceptorState>> load(const TimelineKey& key) override {
    return inner_.load(key);
  }
  Result<std::vector<TimelineKey>> list() override { return inner_.list(); }
  Status erase(const TimelineKey& key) override { return inner_.erase(key); }

 private:
  ControlStore& inner_;
  IoMetrics& metrics_;
};

}  // namespace sk::storage
