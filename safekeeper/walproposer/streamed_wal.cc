// StreamedWal; see streamed_wal.h.
#include "safekeeper/walproposer/streamed_wal.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace sk::walproposer {

using consensus::Lsn;

Result<StreamedWal> StreamedWal::create(Lsn start, const pgwal::WalDecoderOptions& options) {
  auto decoder = pgwal::WalDecoder::create(start, options);
  if (!decoder) {
    return decoder.error();
  }
  return StreamedWal(start, std::move(*decoder));
}

StreamedWal::StreamedWal(Lsn start, pgwal::WalDecoder decoder)
    : decoder_(std::move(decoder)), taken_end_(start), received_end_(start) {}

Status StreamedWal::add(Lsn at, std::span<const std::uint8_t> bytes) {
  if (at > received_end_) {
    return Error(ErrorCode::kInvalidArgument, "WAL from " + at.to_string() +
                                                  " leaves a gap: received up to " +
                                                  received_end_.to_string());
  }
  const std::uint64_t overlap =
      std::min<std::uint64_t>(received_end_.bytes_since(at), bytes.size());
  bytes = bytes.subspan(static_cast<std::size_t>(overlap));
  if (bytes.empty()) {
    return {};
  }
  decoder_.feed(bytes,
                [this](const pgwal::WalRecord& record) { record_ends_.push_back(record.end_lsn); });
  if (decoder_.state() != pgwal::WalDecoder::State::kDecoding) {
    const pgwal::WalDecoder::Stop& stop = *decoder_.stop();
    return Error(ErrorCode::kCorruption, "the primary's WAL does not decode at " +
                                             stop.lsn.to_string() + ": " + stop.reason);
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  received_end_ = received_end_.plus_bytes(bytes.size());
  return {};
}

std::vector<std::uint8_t> StreamedWal::take(Lsn from, std::size_t max_bytes) {
  if (from != taken_end_ || record_ends_.empty() || record_ends_.front() > received_end_) {
    return {};
  }
  Lsn end = record_ends_.front();
  for (Lsn next : record_ends_) {
    if (next > received_end_ || next.bytes_since(taken_end_) > max_bytes) {
      break;
    }
    end = next;
  }
  while (!record_ends_.empty() && record_ends_.front() <= end) {
    record_ends_.pop_front();
  }
  const auto n = static_cast<std::ptrdiff_t>(end.bytes_since(taken_end_));
  std::vector<std::uint8_t> out(buffer_.begin(), buffer_.begin() + n);
  buffer_.erase(buffer_.begin(), buffer_.begin() + n);
  taken_end_ = end;
  return out;
}

}  // namespace sk::walproposer
