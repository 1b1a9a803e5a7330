// Length-prefixed framing; see framing.h.
#include "proto/framing.h"

#include <algorithm>

#include "consensus/check.h"
#include "proto/codec.h"

namespace sk::proto {

std::string length_prefixed(std::string_view frame) {
  SK_CHECK(!frame.empty() && frame.size() <= kMaxFrameBytes);
  std::string out;
  out.reserve(kFrameLengthBytes + frame.size());
  const auto size = static_cast<std::uint32_t>(frame.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xffu));
  }
  out.append(frame);
  return out;
}

void FrameReader::feed(std::string_view bytes) {
  std::span<char> room = prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), room.begin());
  commit(bytes.size());
}

std::span<char> FrameReader::prepare(std::size_t n) {
  // Drop what was returned already once it is most of the buffer: memory is held only for bytes
  // not yet returned (the caller bounds those by reading no more until it has consumed frames).
  if (consumed_ > 0 && consumed_ >= filled_ / 2) {
    std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_),
              buffer_.begin() + static_cast<std::ptrdiff_t>(filled_), buffer_.begin());
    filled_ -= consumed_;
    consumed_ = 0;
  }
  if (buffer_.size() - filled_ < n) {
    buffer_.resize(filled_ + n);
  }
  return std::span<char>(buffer_.data() + filled_, buffer_.size() - filled_);
}

void FrameReader::commit(std::size_t n) {
  SK_CHECK(n <= buffer_.size() - filled_);
  filled_ += n;
}

Result<std::optional<std::string_view>> FrameReader::next() {
  if (error_) {
    return *error_;
  }
  if (buffered_bytes() < kFrameLengthBytes) {
    return std::optional<std::string_view>();
  }
  std::uint32_t length = 0;
  for (std::size_t i = 0; i < kFrameLengthBytes; ++i) {
    length = (length << 8) | static_cast<unsigned char>(buffer_[consumed_ + i]);
  }
  if (length == 0 || length > kMaxFrameBytes) {
    error_ = Error(ErrorCode::kMalformedMessage, "frame length " + std::to_string(length) +
                                                     ": expected 1 to " +
                                                     std::to_string(kMaxFrameBytes) + " bytes");
    return *error_;
  }
  if (buffered_bytes() < kFrameLengthBytes + length) {
    return std::optional<std::string_view>();
  }
  const std::string_view frame(buffer_.data() + consumed_ + kFrameLengthBytes, length);
  consumed_ += kFrameLengthBytes + length;
  return std::optional<std::string_view>(frame);
}

}  // namespace sk::proto
