// Branch log records; see log_records.h.
#include "branchmgr/log_records.h"

#include <string>
#include <string_view>

namespace sk::branchmgr {

namespace {
constexpr std::size_t kLengthBytes = 4;
}  // namespace

std::vector<std::uint8_t> encode_record(const proto::BranchLogEntry& entry) {
  const std::string payload = proto::encode_branch_log_entry(entry);
  std::vector<std::uint8_t> record(kLengthBytes + payload.size());
  const auto length = static_cast<std::uint32_t>(payload.size());
  for (std::size_t i = 0; i < kLengthBytes; ++i) {
    record[i] = static_cast<std::uint8_t>(length >> (8 * i));
  }
  std::copy(payload.begin(), payload.end(), record.begin() + kLengthBytes);
  return record;
}

Result<DecodedRecords> decode_records(std::span<const std::uint8_t> bytes,
                                      consensus::Lsn begin_lsn) {
  DecodedRecords decoded;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const consensus::Lsn lsn = begin_lsn.plus_bytes(at);
    if (bytes.size() - at < kLengthBytes) {
      decoded.torn_tail_bytes = bytes.size() - at;
      break;
    }
    std::uint32_t length = 0;
    for (std::size_t i = 0; i < kLengthBytes; ++i) {
      length |= std::uint32_t{bytes[at + i]} << (8 * i);
    }
    if (bytes.size() - at - kLengthBytes < length) {
      decoded.torn_tail_bytes = bytes.size() - at;
      break;
    }
    at += kLengthBytes;
    auto entry = proto::decode_branch_log_entry(
        std::string_view(reinterpret_cast<const char*>(bytes.data() + at), length));
    if (!entry) {
      return Error(entry.error().code(),
                   "branch log record at " + lsn.to_string() + ": " + entry.error().message());
    }
    at += length;
    decoded.records.push_back({std::move(*entry), begin_lsn.plus_bytes(at)});
  }
  return decoded;
}

}  // namespace sk::branchmgr
