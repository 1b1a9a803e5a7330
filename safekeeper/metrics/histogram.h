// Histogram: a fixed-bucket histogram of durations, safe to observe from one thread while another
// reads it (relaxed atomics: a scrape may see a count one observation ahead of its sum, which
// Prometheus tolerates). Buckets are cumulative upper bounds in seconds, as Prometheus wants them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

namespace sk::metrics {

// Bounds from 50 µs to 5 s: an fdatasync on this machine class takes 0.1-0.3 ms, a stalled one
// seconds; the spread keeps both ends visible.
inline constexpr std::array<double, 16> kLatencyBucketsSeconds = {
    0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01,
    0.02,    0.05,   0.1,    0.2,    0.5,   1.0,   2.0,   5.0};

class Histogram {
 public:
  struct Snapshot {
    std::vector<double> upper_bounds;       // Finite bounds, ascending.
    std::vector<std::uint64_t> cumulative;  // Per bound, then one for +Inf (= count).
    double sum_seconds = 0;
    std::uint64_t count = 0;
  };

  void observe(std::chrono::nanoseconds duration) {
    const double seconds = std::chrono::duration<double>(duration).count();
    std::size_t bucket = 0;
    while (bucket < kLatencyBucketsSeconds.size() && seconds > kLatencyBucketsSeconds[bucket]) {
      ++bucket;
    }
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_nanos_.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
  }

  Snapshot snapshot() const {
    Snapshot s;
    s.upper_bounds.assign(kLatencyBucketsSeconds.begin(), kLatencyBucketsSeconds.end());
    std::uint64_t running = 0;
    for (const auto& c : counts_) {
      running += c.load(std::memory_order_relaxed);
      s.cumulative.push_back(running);
    }
    s.count = running;
    s.sum_seconds = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
    return s;
  }

 private:
  // One per finite bound plus the +Inf bucket; not cumulative (snapshot() sums them).
  std::array<std::atomic<std::uint64_t>, kLatencyBucketsSeconds.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

// The time since construction, on the monotonic clock.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  std::chrono::nanoseconds elapsed() const { return std::chrono::steady_clock::now() - start_; }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sk::metrics
