// WalDigest: a streaming 64-bit FNV-1a over WAL bytes, to compare ranges of WAL across
// safekeepers and with what a proposer sent (the HTTP digest route, sk-loadgen, the integration
// tests). A check against accidents, not against an adversary.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

namespace sk::storage {

class WalDigest {
 public:
  void update(std::span<const std::uint8_t> bytes) {
    for (std::uint8_t b : bytes) {
      state_ = (state_ ^ b) * kPrime;
    }
  }
  std::uint64_t value() const { return state_; }
  // 16 lower-case hex digits.
  std::string hex() const {
    char buffer[17];
    std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(state_));
    return buffer;
  }

 private:
  static constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
  static constexpr std::uint64_t kPrime = 0x100000001b3ull;
  std::uint64_t state_ = kOffsetBasis;
};

}  // namespace sk::storage
