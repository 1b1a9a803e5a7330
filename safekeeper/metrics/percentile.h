// Nearest-rank percentile of latency samples, one definition for every program that reports
// p50/p99 (sk-loadgen and the bench programs), so that their figures compare.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace sk::metrics {

// The value at rank floor(p * (n - 1)) of the sorted samples; 0 for no samples.
inline std::uint32_t percentile(std::vector<std::uint32_t> values, double p) {
  if (values.empty()) {
    return 0;
  }
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

}  // namespace sk::metrics
