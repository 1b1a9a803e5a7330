// WalDigest: a streaming 64-bit digest of WAL bytes, to compare ranges of WAL across safekeepers
// and with what a proposer sent (the HTTP digest route, sk-loadgen, the integration tests). A
// check against accidents, not against an adversary.
//
// The value is the CRC-32C of the bytes (PostgreSQL's WAL checksum, with the SSE4.2 instruction)
// in the upper 32 bits and the byte count modulo 2^32 in the lower 32. Feeding the bytes in any
// split gives the same value. It replaced a byte-at-a-time FNV-1a whose ~1 GB/s was on the
// proposer's append path in sk-loadgen (docs/BENCHMARKS.md); CRC-32C runs at about 9 GB/s.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "safekeeper/pgwal/crc32c.h"

namespace sk::storage {

class WalDigest {
 public:
  void update(std::span<const std::uint8_t> bytes) {
    crc_.update(bytes);
    length_ += bytes.size();
  }
  std::uint64_t value() const {
    return (std::uint64_t{crc_.finish()} << 32) | (length_ & 0xFFFFFFFFu);
  }
  // 16 lower-case hex digits.
  std::string hex() const {
    char buffer[17];
    std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(value()));
    return buffer;
  }

 private:
  pgwal::Crc32c crc_;
  std::uint64_t length_ = 0;
};

}  // namespace sk::storage
