// The 16 raw bytes of a consensus::Id128 in a Protobuf `bytes` field, both ways. Shared by the
// codecs (codec.cc, branch_log_codec.cc); not part of any public interface.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "consensus/result.h"

namespace sk::proto {

inline constexpr std::size_t kIdBytes = 16;

template <class Id>
void write_id(const Id& id, std::string* out) {
  out->assign(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size());
}

// `code` for anything but exactly 16 bytes, naming `what`.
template <class Id>
Result<Id> read_id(const std::string& bytes, std::string_view what, ErrorCode code) {
  if (bytes.size() != kIdBytes) {
    return Error(code, std::string(what) + " of " + std::to_string(bytes.size()) +
                           " bytes, expected " + std::to_string(kIdBytes));
  }
  typename Id::Bytes raw{};
  std::memcpy(raw.data(), bytes.data(), raw.size());
  return Id(raw);
}

}  // namespace sk::proto
