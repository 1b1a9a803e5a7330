// CRC-32C (Castagnoli) exactly as PostgreSQL computes it for WAL records and control files:
// initial value 0xFFFFFFFF, reflected polynomial 0x82F63B78, final XOR with 0xFFFFFFFF. Uses the
// SSE4.2 crc32 instruction when the CPU has it, a slice-by-8 table otherwise.
#pragma once

#include <cstdint>
#include <span>

namespace sk::pgwal {

// Incremental form, for data that arrives in pieces (PostgreSQL's INIT/COMP/FIN_CRC32C).
// Updating with A then B gives the same value as updating once with A followed by B.
class Crc32c {
 public:
  void update(std::span<const std::uint8_t> bytes);
  // The CRC of everything passed to update() so far; the accumulator stays usable.
  std::uint32_t finish() const { return state_ ^ 0xFFFFFFFFu; }

 private:
  std::uint32_t state_ = 0xFFFFFFFFu;
};

std::uint32_t crc32c(std::span<const std::uint8_t> bytes);

// The two implementations behind Crc32c, exposed so tests and benchmarks can compare them. Both
// take and return the raw register (before the final XOR).
std::uint32_t crc32c_update_software(std::uint32_t state, std::span<const std::uint8_t> bytes);
// Precondition: crc32c_hardware_available().
std::uint32_t crc32c_update_hardware(std::uint32_t state, std::span<const std::uint8_t> bytes);
// True when the CPU has SSE4.2; asked once per process.
bool crc32c_hardware_available();

}  // namespace sk::pgwal
