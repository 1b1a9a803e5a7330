// The timeline every consensus unit test uses, and LSNs relative to its start.
#pragma once

#include <cstdint>

#include "consensus/types.h"

namespace sk::consensus::test_support {

inline constexpr Lsn kStart{0x1000000};  // 0/1000000, the timeline's first byte.

inline Lsn at(std::uint64_t offset) {
  return kStart.plus_bytes(offset);
}

inline TimelineIdentity test_identity() {
  TimelineIdentity identity;
  identity.tenant_id = *TenantId::parse_hex("0123456789abcdef0123456789abcdef");
  identity.timeline_id = *TimelineId::parse_hex("fedcba9876543210fedcba9876543210");
  identity.system_id = 7250000000000000001ULL;
  identity.pg_version = 150004;
  identity.wal_seg_size_bytes = 16u << 20;
  identity.timeline_start_lsn = kStart;
  return identity;
}

}  // namespace sk::consensus::test_support
