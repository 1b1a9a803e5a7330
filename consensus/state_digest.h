// StateDigest: a 64-bit running digest of values (FNV-1a style with extra mixing), used to
// recognise states already visited by the exhaustive explorer. One definition for the core's
// Proposer::state_digest() and the test harness's digests of disks, checker and cluster.
#pragma once

#include <cstdint>

namespace sk::consensus {

class StateDigest {
 public:
  void mix(std::uint64_t value) {
    hash_ = (hash_ ^ value) * 0x100000001b3ULL;
    hash_ ^= hash_ >> 29;
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace sk::consensus
