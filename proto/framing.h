// Stream framing for the proposer protocol: on a TCP connection every frame (codec.h) is sent
// as a 4-byte big-endian length followed by that many bytes. FrameReader splits received bytes
// back into frames and refuses a length of 0 or above kMaxFrameBytes as soon as the prefix has
// arrived, before buffering any of the body, so that a peer cannot make us hold an unbounded
// buffer. No I/O here: the server and the walproposer feed it what their sockets read.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "consensus/result.h"

namespace sk::proto {

inline constexpr std::size_t kFrameLengthBytes = 4;

// `frame` with its length prefix, ready to write to the socket. Precondition: the frame is at
// most kMaxFrameBytes (encode_frame guarantees it).
std::string length_prefixed(std::string_view frame);

class FrameReader {
 public:
  // Adds bytes read from the connection.
  void feed(std::string_view bytes);
  // For reading from a socket straight into the reader, without the copy feed() makes: room
  // for at least `n` more bytes, then commit(k) once k of them were filled. Like feed(), it
  // invalidates the views next() returned.
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);
  // The next complete frame (without its prefix); nullopt when more bytes are needed. The view
  // points into the reader's buffer and is valid until the next feed(): callers decode it
  // before reading more, so a frame is never copied out (an append is up to 128 KiB). After an
  // error (kMalformedMessage: a bad length) the stream cannot be resynchronised: every later
  // call returns the same error and the connection must be closed.
  Result<std::optional<std::string_view>> next();
  // Bytes received and not yet returned as frames.
  std::size_t buffered_bytes() const { return filled_ - consumed_; }

 private:
  // [consumed_, filled_) holds bytes received and not yet returned; the rest is room.
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::size_t filled_ = 0;
  std::optional<Error> error_;
};

}  // namespace sk::proto
