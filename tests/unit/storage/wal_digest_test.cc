// WalDigest: independent of how the bytes are split, and the documented layout (CRC-32C above,
// length below), so that digests from the HTTP route and from sk-loadgen can be compared.
#include "safekeeper/storage/wal_digest.h"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace sk::storage {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(WalDigestTest, IsTheCrc32cAboveTheLength) {
  WalDigest digest;
  digest.update(as_bytes("123456789"));
  // 0xE3069283 is CRC-32C's published check value for "123456789".
  EXPECT_EQ(digest.value(), (std::uint64_t{0xE3069283u} << 32) | 9u);
  EXPECT_EQ(digest.hex(), "e306928300000009");
}

TEST(WalDigestTest, DoesNotDependOnHowTheBytesAreSplit) {
  std::vector<std::uint8_t> bytes(100'000);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>((i * 7919) >> 3);
  }
  WalDigest whole;
  whole.update(bytes);
  for (std::size_t piece : {1u, 7u, 4096u, 65'537u}) {
    WalDigest split;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      split.update(std::span(bytes).subspan(at, std::min(piece, bytes.size() - at)));
    }
    EXPECT_EQ(split.value(), whole.value()) << "pieces of " << piece;
  }
}

TEST(WalDigestTest, TellsApartOneFlippedBitAndExtraZeros) {
  std::vector<std::uint8_t> bytes(8192, 0);
  WalDigest original;
  original.update(bytes);
  bytes[5000] ^= 0x10;
  WalDigest flipped;
  flipped.update(bytes);
  EXPECT_NE(flipped.value(), original.value());

  bytes[5000] ^= 0x10;
  bytes.push_back(0);
  WalDigest longer;
  longer.update(bytes);
  EXPECT_NE(longer.value(), original.value());
  EXPECT_EQ(WalDigest().value(), 0u);  // Nothing digested: CRC 0, length 0.
}

}  // namespace
}  // namespace sk::storage
