// Unit tests for crc32c.h: standard check values, the incremental form, and agreement of the SSE4.2
// and table implementations on random buffers, lengths and alignments.
#include "safekeeper/pgwal/crc32c.h"

#include <cstdint>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/prng.h"

namespace sk::pgwal {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(Crc32cTest, CheckValue_123456789_IsE3069283) {
  EXPECT_EQ(crc32c(as_bytes("123456789")), 0xE3069283u);
}

TEST(Crc32cTest, EmptyInput_IsZero) {
  EXPECT_EQ(crc32c({}), 0u);
}

// RFC 3720 (iSCSI) appendix B.4 test vectors.
TEST(Crc32cTest, Rfc3720Vectors_Match) {
  std::vector<std::uint8_t> zeros(32, 0x00);
  std::vector<std::uint8_t> ones(32, 0xFF);
  std::vector<std::uint8_t> ascending(32);
  std::vector<std::uint8_t> descending(32);
  for (std::size_t i = 0; i < 32; ++i) {
    ascending[i] = static_cast<std::uint8_t>(i);
    descending[i] = static_cast<std::uint8_t>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, Incremental_EqualsOneShotForEverySplit) {
  std::string_view text = "The quick brown fox jumps over the lazy dog, twice over.";
  std::uint32_t whole = crc32c(as_bytes(text));
  for (std::size_t split = 0; split <= text.size(); ++split) {
    SCOPED_TRACE(split);
    Crc32c crc;
    crc.update(as_bytes(text.substr(0, split)));
    crc.update(as_bytes(text.substr(split)));
    EXPECT_EQ(crc.finish(), whole);
  }
}

TEST(Crc32cTest, Finish_LeavesAccumulatorUsable) {
  Crc32c crc;
  crc.update(as_bytes("1234"));
  (void)crc.finish();
  crc.update(as_bytes("56789"));
  EXPECT_EQ(crc.finish(), 0xE3069283u);
}

TEST(Crc32cTest, SoftwareTable_MatchesCheckValue) {
  std::uint32_t state = crc32c_update_software(0xFFFFFFFFu, as_bytes("123456789"));
  EXPECT_EQ(state ^ 0xFFFFFFFFu, 0xE3069283u);
}

TEST(Crc32cTest, HardwareAndSoftware_AgreeOnRandomBuffersLengthsAndAlignments) {
  if (!crc32c_hardware_available()) {
    GTEST_SKIP() << "this CPU has no SSE4.2";
  }
  consensus::Prng prng(42);
  std::vector<std::uint8_t> buffer(70000);
  for (std::uint8_t& b : buffer) {
    b = static_cast<std::uint8_t>(prng.next());
  }
  for (int round = 0; round < 2000; ++round) {
    std::size_t offset = prng.below(64);
    std::size_t length = round % 4 == 0 ? prng.below(buffer.size() - offset) : prng.below(100);
    std::uint32_t seed_state = static_cast<std::uint32_t>(prng.next());
    std::span<const std::uint8_t> piece(buffer.data() + offset, length);
    SCOPED_TRACE(testing::Message() << "offset " << offset << " length " << length);
    ASSERT_EQ(crc32c_update_hardware(seed_state, piece), crc32c_update_software(seed_state, piece));
  }
}

}  // namespace
}  // namespace sk::pgwal
