// Simulated WAL content: the byte at each LSN is a function of the term that wrote it, so any
// log can be checked against its own term history (and the term names the one proposer elected
// in it). Shared by the simulator and the explorer.
#pragma once

#include <cstdint>

#include "consensus/types.h"

namespace sk::sim {

inline std::uint8_t wal_byte(consensus::Term term, consensus::Lsn lsn) {
  std::uint64_t z = term.value() * 0x9e3779b97f4a7c15ULL ^ (lsn.value() + 0x632be59bd9b4e019ULL);
  z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 29;
  return static_cast<std::uint8_t>(z);
}

}  // namespace sk::sim
