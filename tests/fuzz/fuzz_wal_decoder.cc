// PostgreSQL WAL bytes (pages and records), as the walproposer and the commit-time index decode
// them, from a segment start.
#include <cstddef>
#include <cstdint>
#include <span>

#include "safekeeper/pgwal/wal_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const sk::pgwal::WalDecoderOptions options;  // 16 MiB segments, as initdb's default.
  auto decoder = sk::pgwal::WalDecoder::create(sk::consensus::Lsn(0x1000000), options);
  if (!decoder) {
    return 0;
  }
  std::size_t records = 0;
  decoder->feed(std::span<const std::uint8_t>(data, size),
                [&](const sk::pgwal::WalRecord&) { ++records; });
  return 0;
}
