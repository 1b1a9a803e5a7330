// WAL frame encoding and scanning; see wal_frame.h for the layout.
#include "safekeeper/storage/wal_frame.h"

#include <algorithm>

#include "safekeeper/pgwal/crc32c.h"

namespace sk::storage {
namespace {

constexpr std::uint8_t kMagic[4] = {'S', 'K', 'W', 'F'};

void put_le(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<std::uint8_t>((value >> (8 * i)) & 0xffu));
  }
}

std::uint64_t get_le(std::span<const std::uint8_t> bytes, std::size_t offset, int size) {
  std::uint64_t value = 0;
  for (int i = 0; i < size; ++i) {
    value |= static_cast<std::uint64_t>(bytes[offset + static_cast<std::size_t>(i)]) << (8 * i);
  }
  return value;
}

std::uint32_t frame_crc(std::span<const std::uint8_t> header20,
                        std::span<const std::uint8_t> data) {
  pgwal::Crc32c crc;
  crc.update(header20);
  crc.update(data);
  return crc.finish();
}

void append_frame(WalFrameKind kind, consensus::Lsn lsn, std::span<const std::uint8_t> data,
                  std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.insert(out.end(), std::begin(kMagic), std::end(kMagic));
  put_le(out, kWalFrameVersion, 2);
  put_le(out, static_cast<std::uint16_t>(kind), 2);
  put_le(out, lsn.value(), 8);
  put_le(out, data.size(), 4);
  const std::uint32_t crc = frame_crc({out.data() + start, 20}, data);
  put_le(out, crc, 4);
  out.insert(out.end(), data.begin(), data.end());
}

}  // namespace

void append_data_frame(consensus::Lsn begin, std::span<const std::uint8_t> data,
                       std::vector<std::uint8_t>& out) {
  append_frame(WalFrameKind::kData, begin, data, out);
}

void append_truncate_frame(consensus::Lsn end, std::vector<std::uint8_t>& out) {
  append_frame(WalFrameKind::kTruncate, end, {}, out);
}

void append_positions_frame(consensus::Lsn commit_lsn, consensus::Lsn truncate_lsn,
                            std::vector<std::uint8_t>& out) {
  std::vector<std::uint8_t> data;
  put_le(data, truncate_lsn.value(), 8);
  append_frame(WalFrameKind::kPositions, commit_lsn, data, out);
}

WalFrameScan scan_wal_frame(std::span<const std::uint8_t> bytes) {
  using Outcome = WalFrameScan::Outcome;
  const std::size_t look = std::min(bytes.size(), kWalFrameHeaderBytes);
  if (std::all_of(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(look),
                  [](std::uint8_t b) { return b == 0; })) {
    return {Outcome::kEnd, {}, ""};
  }
  if (bytes.size() < kWalFrameHeaderBytes) {
    return {Outcome::kTorn, {}, "a frame header cut short"};
  }
  if (!std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin())) {
    return {Outcome::kTorn, {}, "no frame magic"};
  }
  const auto version = get_le(bytes, 4, 2);
  const auto kind = get_le(bytes, 6, 2);
  const consensus::Lsn lsn(get_le(bytes, 8, 8));
  const std::uint64_t length = get_le(bytes, 16, 4);
  if (bytes.size() - kWalFrameHeaderBytes < length) {
    return {Outcome::kTorn, {}, "a frame of " + std::to_string(length) + " data bytes cut short"};
  }
  const std::span<const std::uint8_t> data = bytes.subspan(kWalFrameHeaderBytes, length);
  if (static_cast<std::uint32_t>(get_le(bytes, 20, 4)) != frame_crc(bytes.first(20), data)) {
    return {Outcome::kTorn, {}, "frame checksum mismatch"};
  }
  // Checked after the checksum, so that a damaged version or kind reads as damage.
  if (version != kWalFrameVersion) {
    return {
        Outcome::kTorn, {}, "frame version " + std::to_string(version) + " (this build reads 1)"};
  }
  consensus::Lsn truncate_lsn;
  switch (kind) {
    case static_cast<std::uint16_t>(WalFrameKind::kData):
      break;
    case static_cast<std::uint16_t>(WalFrameKind::kTruncate):
      if (length != 0) {
        return {Outcome::kTorn, {}, "a truncate frame with data"};
      }
      break;
    case static_cast<std::uint16_t>(WalFrameKind::kPositions):
      if (length != 8) {
        return {Outcome::kTorn, {}, "a positions frame of " + std::to_string(length) + " bytes"};
      }
      truncate_lsn = consensus::Lsn(get_le(data, 0, 8));
      break;
    default:
      return {Outcome::kTorn, {}, "unknown frame kind " + std::to_string(kind)};
  }
  return {Outcome::kFrame,
          WalFrame{static_cast<WalFrameKind>(kind), lsn, truncate_lsn, data,
                   kWalFrameHeaderBytes + length},
          ""};
}

}  // namespace sk::storage
