// CRC-32C: table-driven slice-by-8 for any CPU, and the SSE4.2 instruction where the CPU has it.
#include "safekeeper/pgwal/crc32c.h"

#include <array>
#include <cstring>

#include "consensus/check.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace sk::pgwal {
namespace {

constexpr std::uint32_t kReflectedPolynomial = 0x82F63B78u;

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the register contribution of
// byte b followed by k zero bytes, so that eight bytes can be folded in with eight lookups.
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> tables{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) != 0 ? (crc >> 1) ^ kReflectedPolynomial : crc >> 1;
    }
    tables[0][byte] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t byte = 0; byte < 256; ++byte) {
      std::uint32_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xFFu];
    }
  }
  return tables;
}

constexpr std::array<std::array<std::uint32_t, 256>, 8> kTables = make_tables();

std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

}  // namespace

std::uint32_t crc32c_update_software(std::uint32_t state, std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  while (n >= 8) {
    std::uint32_t low = load_le32(p) ^ state;
    std::uint32_t high = load_le32(p + 4);
    state = kTables[7][low & 0xFFu] ^ kTables[6][(low >> 8) & 0xFFu] ^
            kTables[5][(low >> 16) & 0xFFu] ^ kTables[4][low >> 24] ^ kTables[3][high & 0xFFu] ^
            kTables[2][(high >> 8) & 0xFFu] ^ kTables[1][(high >> 16) & 0xFFu] ^
            kTables[0][high >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    state = (state >> 8) ^ kTables[0][(state ^ *p) & 0xFFu];
    ++p;
    --n;
  }
  return state;
}

#if defined(__x86_64__)

__attribute__((target("sse4.2"))) std::uint32_t crc32c_update_hardware(
    std::uint32_t state, std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  // Single bytes until p is 8-aligned, so that the wide loads below never straddle a cache line.
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
    state = _mm_crc32_u8(state, *p);
    ++p;
    --n;
  }
  std::uint64_t wide = state;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    wide = _mm_crc32_u64(wide, word);
    p += 8;
    n -= 8;
  }
  state = static_cast<std::uint32_t>(wide);
  while (n > 0) {
    state = _mm_crc32_u8(state, *p);
    ++p;
    --n;
  }
  return state;
}

bool crc32c_hardware_available() {
  static const bool available = __builtin_cpu_supports("sse4.2") != 0;
  return available;
}

#else

std::uint32_t crc32c_update_hardware(std::uint32_t state, std::span<const std::uint8_t>) {
  SK_CHECK_MSG(false, "no hardware CRC-32C on this architecture");
  return state;
}

bool crc32c_hardware_available() {
  return false;
}

#endif

void Crc32c::update(std::span<const std::uint8_t> bytes) {
  state_ = crc32c_hardware_available() ? crc32c_update_hardware(state_, bytes)
                                       : crc32c_update_software(state_, bytes);
}

std::uint32_t crc32c(std::span<const std::uint8_t> bytes) {
  Crc32c crc;
  crc.update(bytes);
  return crc.finish();
}

}  // namespace sk::pgwal
