// Control record encoding; see control_record.h for the layout.
#include "safekeeper/storage/control_record.h"

#include <array>
#include <cstring>
#include <span>

#include "safekeeper/pgwal/crc32c.h"

namespace sk::storage {
namespace {

constexpr std::array<char, 4> kMagic = {'S', 'K', 'C', 'S'};

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xffu));
  }
}

std::uint32_t get_u32(std::string_view bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// CRC-32C of the header's first 12 bytes and the payload (the CRC field itself excluded).
std::uint32_t record_crc(std::string_view header12, std::string_view payload) {
  pgwal::Crc32c crc;
  crc.update(as_bytes(header12));
  crc.update(as_bytes(payload));
  return crc.finish();
}

Error corrupt(const TimelineKey& key, const std::string& what) {
  return Error(ErrorCode::kCorruption,
               "control record of timeline " + timeline_name(key) + ": " + what);
}

}  // namespace

std::string timeline_name(const TimelineKey& key) {
  return key.tenant_id.to_hex() + "/" + key.timeline_id.to_hex();
}

std::string encode_control_record(const consensus::AcceptorState& state) {
  const std::string payload = proto::encode_acceptor_state(state);
  std::string record(kMagic.begin(), kMagic.end());
  put_u32(record, kControlRecordVersion);
  put_u32(record, static_cast<std::uint32_t>(payload.size()));
  put_u32(record, record_crc(record, payload));
  record += payload;
  return record;
}

Result<consensus::AcceptorState> decode_control_record(const TimelineKey& key,
                                                       std::string_view bytes) {
  if (bytes.size() < kControlRecordHeaderBytes) {
    return corrupt(key, std::to_string(bytes.size()) + " bytes, shorter than the " +
                            std::to_string(kControlRecordHeaderBytes) + "-byte header");
  }
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    return corrupt(key, "bad magic (expected \"SKCS\")");
  }
  // The checksum covers the version too, so a flipped bit there is corruption, while a record
  // that checks out under another version was written by another build.
  const std::uint32_t version = get_u32(bytes, 4);
  const std::uint32_t length = get_u32(bytes, 8);
  const std::string_view payload = bytes.substr(kControlRecordHeaderBytes);
  const std::uint32_t stored = get_u32(bytes, 12);
  const std::uint32_t computed = record_crc(bytes.substr(0, 12), payload);
  if (payload.size() != length) {
    return corrupt(key, "header says " + std::to_string(length) + " payload bytes, found " +
                            std::to_string(payload.size()));
  }
  if (stored != computed) {
    return corrupt(key, "checksum mismatch (stored " + std::to_string(stored) + ", computed " +
                            std::to_string(computed) + ")");
  }
  if (version != kControlRecordVersion) {
    return Error(ErrorCode::kFailedPrecondition,
                 "control record of timeline " + timeline_name(key) + " has version " +
                     std::to_string(version) + ", this build reads version " +
                     std::to_string(kControlRecordVersion) + " (written by a newer build?)");
  }
  Result<consensus::AcceptorState> state = proto::decode_acceptor_state(payload);
  if (!state) {
    return Error(state.error().code(), "control record of timeline " + timeline_name(key) + ": " +
                                           state.error().message());
  }
  if (key_of(*state) != key) {
    return corrupt(key, "it holds the state of timeline " + timeline_name(key_of(*state)));
  }
  return state;
}

}  // namespace sk::storage
