// GeneratedWal; see generated_wal.h.
#include "safekeeper/loadgen/generated_wal.h"

#include <algorithm>

#include "consensus/check.h"

namespace sk::loadgen {

Status GeneratedWal::begin(consensus::Lsn start) {
  auto generator = pgwal::WalGenerator::create(start, {.seg_size_bytes = options_.seg_size_bytes,
                                                       .system_id = 7300000000000000001ull,
                                                       .pg_timeline_id = 1,
                                                       .prev_record_lsn = consensus::Lsn(),
                                                       .bkp_removable = true});
  if (!generator) {
    return generator.error();
  }
  generator_.emplace(std::move(*generator));
  start_ = start;
  committed_ = start;
  return {};
}

void GeneratedWal::refill(Clock::time_point now) {
  if (last_refill_ && options_.rate_bytes_per_second > 0) {
    const double seconds = std::chrono::duration<double>(now - *last_refill_).count();
    // At most a second of budget banked, so a pause does not turn into a burst.
    budget_bytes_ = std::min(budget_bytes_ + seconds * options_.rate_bytes_per_second,
                             options_.rate_bytes_per_second);
  }
  last_refill_ = now;
}

bool GeneratedWal::generate_one() {
  if (finished_ || (options_.total_bytes > 0 && generated_bytes_ >= options_.total_bytes)) {
    return false;
  }
  if (options_.rate_bytes_per_second > 0 &&
      budget_bytes_ < static_cast<double>(options_.record_bytes)) {
    return false;
  }
  generator_->append_noop(options_.record_bytes);
  std::vector<std::uint8_t> bytes = generator_->take_bytes();
  generated_bytes_ += bytes.size();
  if (options_.rate_bytes_per_second > 0) {
    budget_bytes_ -= static_cast<double>(bytes.size());
  }
  digest_.update(bytes);
  ready_.push_back({std::move(bytes), digest_});
  return true;
}

void GeneratedWal::generate_ahead() {
  if (!generator_) {
    return;
  }
  const std::size_t target =
      options_.max_outstanding > 0 ? options_.max_outstanding : kAheadRecords;
  while (ready_.size() < target && generate_one()) {
  }
}

std::vector<std::uint8_t> GeneratedWal::take(consensus::Lsn from, std::size_t max_bytes,
                                             Clock::time_point now) {
  std::vector<std::uint8_t> out;
  if (!generator_) {
    return out;
  }
  SK_CHECK_MSG(from == taken_end(), "WAL taken at " + from.to_string() + ", handed over up to " +
                                        taken_end().to_string());
  for (;;) {
    if (options_.max_outstanding > 0 && in_flight_.size() >= options_.max_outstanding) {
      break;
    }
    if (ready_.empty() && !generate_one()) {
      break;
    }
    const Record& record = ready_.front();
    if (out.size() + record.bytes.size() > max_bytes) {
      break;
    }
    out.insert(out.end(), record.bytes.begin(), record.bytes.end());
    in_flight_.push_back({taken_end().plus_bytes(record.bytes.size()), now, record.digest_at_end});
    ready_.pop_front();
  }
  return out;
}

consensus::Lsn GeneratedWal::taken_end() const {
  return in_flight_.empty() ? committed_ : in_flight_.back().end;
}

void GeneratedWal::committed(consensus::Lsn commit, Clock::time_point now) {
  while (!in_flight_.empty() && in_flight_.front().end <= commit) {
    const InFlight& done = in_flight_.front();
    latencies_us_.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - done.taken).count()));
    committed_ = done.end;
    committed_digest_ = done.digest_at_end;
    in_flight_.pop_front();
  }
}

void GeneratedWal::finish() {
  finished_ = true;
  ready_.clear();
}

bool GeneratedWal::done() const {
  return (finished_ || (options_.total_bytes > 0 && generated_bytes_ >= options_.total_bytes)) &&
         ready_.empty() && in_flight_.empty();
}

}  // namespace sk::loadgen
