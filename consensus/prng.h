// A small seeded pseudo-random generator (SplitMix64). Passed in explicitly wherever jitter or
// chance is needed, never global, so that a seed reproduces a run exactly.
#pragma once

#include <cstdint>

namespace sk::consensus {

class Prng {
 public:
  explicit Prng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound); bound > 0. The modulo bias is irrelevant at our bounds.
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }
  // True with probability numerator / denominator.
  bool chance(std::uint64_t numerator, std::uint64_t denominator) {
    return below(denominator) < numerator;
  }
  std::uint64_t state() const { return state_; }

 private:
  std::uint64_t state_;
};

}  // namespace sk::consensus
