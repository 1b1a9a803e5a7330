// How LMDB keys name a timeline: the tenant id's 16 bytes, then the timeline id's 16 bytes, so
// that keys sort by tenant, then timeline. The control and slot databases both start their keys
// with it.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "proto/codec.h"

namespace sk::storage {

inline constexpr std::size_t kTimelineKeyBytes = 32;

inline std::string timeline_key_bytes(const proto::TimelineKey& key) {
  std::string out;
  out.reserve(kTimelineKeyBytes);
  out.append(key.tenant_id.bytes().begin(), key.tenant_id.bytes().end());
  out.append(key.timeline_id.bytes().begin(), key.timeline_id.bytes().end());
  return out;
}

// Precondition: at least kTimelineKeyBytes bytes.
inline proto::TimelineKey timeline_key_from_bytes(std::string_view bytes) {
  consensus::TenantId::Bytes tenant{};
  consensus::TimelineId::Bytes timeline{};
  std::copy_n(bytes.begin(), tenant.size(), tenant.begin());
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(tenant.size()), timeline.size(),
              timeline.begin());
  return {consensus::TenantId(tenant), consensus::TimelineId(timeline)};
}

}  // namespace sk::storage
