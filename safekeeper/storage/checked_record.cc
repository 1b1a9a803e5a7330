// Checked record framing; see checked_record.h.
#include "safekeeper/storage/checked_record.h"

#include <cstring>
#include <span>

#include "safekeeper/pgwal/crc32c.h"
#include "safekeeper/pgwal/wal_format.h"

namespace sk::storage {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
  std::uint8_t bytes[4];
  pgwal::store_u32(bytes, value);
  out.append(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

std::uint32_t get_u32(std::string_view bytes, std::size_t offset) {
  return pgwal::load_u32(reinterpret_cast<const std::uint8_t*>(bytes.data()) + offset);
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

}  // namespace

std::string frame_record(const RecordMagic& magic, std::uint32_t version,
                         std::string_view payload) {
  std::string record(magic.begin(), magic.end());
  put_u32(record, version);
  put_u32(record, static_cast<std::uint32_t>(payload.size()));
  put_u32(record, record_crc(record, payload));
  record += payload;
  return record;
}

Result<std::string_view> unframe_record(const RecordMagic& magic, std::uint32_t version,
                                        std::string_view bytes, const std::string& what) {
  auto corrupt = [&](const std::string& why) {
    return Error(ErrorCode::kCorruption, what + ": " + why);
  };
  if (bytes.size() < kCheckedRecordHeaderBytes) {
    return corrupt(std::to_string(bytes.size()) + " bytes, shorter than the " +
                   std::to_string(kCheckedRecordHeaderBytes) + "-byte header");
  }
  if (std::memcmp(bytes.data(), magic.data(), magic.size()) != 0) {
    return corrupt("bad magic (expected \"" + std::string(magic.begin(), magic.end()) + "\")");
  }
  // The checksum covers the version too, so a flipped bit there is corruption, while a record
  // that checks out under another version was written by another build.
  const std::uint32_t stored_version = get_u32(bytes, 4);
  const std::uint32_t length = get_u32(bytes, 8);
  const std::string_view payload = bytes.substr(kCheckedRecordHeaderBytes);
  const std::uint32_t stored = get_u32(bytes, 12);
  const std::uint32_t computed = record_crc(bytes.substr(0, 12), payload);
  if (payload.size() != length) {
    return corrupt("header says " + std::to_string(length) + " payload bytes, found " +
                   std::to_string(payload.size()));
  }
  if (stored != computed) {
    return corrupt("checksum mismatch (stored " + std::to_string(stored) + ", computed " +
                   std::to_string(computed) + ")");
  }
  if (stored_version != version) {
    return Error(ErrorCode::kFailedPrecondition,
                 what + " has version " + std::to_string(stored_version) +
                     ", this build reads version " + std::to_string(version) +
                     " (written by a newer build?)");
  }
  return payload;
}

}  // namespace sk::storage
