// GeneratedWal: sk-loadgen's WAL source. Writes valid PostgreSQL-format records (XLOG NOOPs of a
// chosen size, pgwal::WalGenerator) from the proposer's term start on, as fast as allowed by a
// byte rate and a bound on records not yet committed, and remembers, for each record handed to
// the proposer, when it was handed over and the digest of all WAL up to its end, so that a commit
// LSN gives both a latency and the digest of everything acknowledged.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "consensus/types.h"
#include "safekeeper/pgwal/wal_generator.h"
#include "safekeeper/storage/wal_digest.h"

namespace sk::loadgen {

struct GeneratedWalOptions {
  std::size_t record_bytes = 8192;   // NOOP payload per record.
  double rate_bytes_per_second = 0;  // 0: as fast as the proposer takes them.
  std::size_t max_outstanding = 0;   // Records handed over and not committed; 0: no bound.
  std::uint64_t total_bytes = 0;     // Stop generating after this much WAL; 0: no bound.
  std::uint64_t seg_size_bytes = 16 * 1024 * 1024;
};

class GeneratedWal {
 public:
  using Clock = std::chrono::steady_clock;

  explicit GeneratedWal(GeneratedWalOptions options) : options_(options) {}

  // The proposer was elected: WAL continues at `start` (a record boundary).
  Status begin(consensus::Lsn start);
  // Whole records from `from` (the end of what was taken), at most `max_bytes`.
  std::vector<std::uint8_t> take(consensus::Lsn from, std::size_t max_bytes, Clock::time_point now);
  // Generates, within the rate budget, the records the next take() may hand over (up to the
  // outstanding bound, or kAheadRecords without one), so that generating and digesting them is
  // not on the path from a commit to the next append. As a primary's WAL is written before the
  // walproposer reads it; the latency clock still starts at take().
  void generate_ahead();
  // Everything up to `commit` is acknowledged: records latencies and the digest.
  void committed(consensus::Lsn commit, Clock::time_point now);
  // Adds rate budget for the time since the last call.
  void refill(Clock::time_point now);

  // No more records from now on (the run's time is up); those not taken yet are dropped.
  void finish();
  bool done() const;  // total_bytes generated (or finish() called) and all of it committed.
  consensus::Lsn start_lsn() const { return start_; }
  consensus::Lsn committed_lsn() const { return committed_; }
  const storage::WalDigest& committed_digest() const { return committed_digest_; }
  // Append-to-commit latency of each committed record, in microseconds.
  const std::vector<std::uint32_t>& latencies_us() const { return latencies_us_; }

 private:
  struct Record {
    std::vector<std::uint8_t> bytes;
    storage::WalDigest digest_at_end;  // Of all WAL generated up to this record's end.
  };
  struct InFlight {
    consensus::Lsn end;
    Clock::time_point taken;
    storage::WalDigest digest_at_end;
  };
  static constexpr std::size_t kAheadRecords = 16;
  // One more record in ready_, if the total and the rate budget allow; false if not.
  bool generate_one();
  // The end of everything handed to the proposer (committed or in flight).
  consensus::Lsn taken_end() const;

  GeneratedWalOptions options_;
  std::optional<pgwal::WalGenerator> generator_;
  consensus::Lsn start_;
  consensus::Lsn committed_;
  std::uint64_t generated_bytes_ = 0;
  bool finished_ = false;
  std::deque<Record> ready_;  // Generated, not taken yet.
  std::deque<InFlight> in_flight_;
  storage::WalDigest digest_;  // Of everything generated.
  storage::WalDigest committed_digest_;
  double budget_bytes_ = 0;
  std::optional<Clock::time_point> last_refill_;
  std::vector<std::uint32_t> latencies_us_;
};

}  // namespace sk::loadgen
