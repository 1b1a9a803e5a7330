// OutputQueue: what one connection has left to send. Bytes queued while a write is in flight go
// out together in the next one, a single gathered write: under load, one syscall carries many
// replies, in the order they were queued. Counts the bytes not yet written, which the ports use
// for back-pressure (a connection stops reading while too much waits to be sent).
//
// I/O thread only. Included only by the .cc files that already compile Asio.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include "consensus/check.h"

namespace sk::safekeeper {

template <class Bytes>
class OutputQueue {
 public:
  void push(Bytes bytes) {
    unsent_bytes_ += bytes.size();
    queued_.push_back(std::move(bytes));
  }

  // Nothing is queued (a write may still be in flight).
  bool empty() const { return queued_.empty(); }
  bool writing() const { return writing_; }
  std::size_t unsent_bytes() const { return unsent_bytes_; }

  // Writes everything queued in one gathered write; `done(error_code, bytes_written)` runs once
  // it ends, with the queue ready for the next write. `done` must keep the owner of the queue
  // (and of `stream`) alive. Precondition: nothing in flight, something queued.
  template <class Stream, class Done>
  void write(Stream& stream, Done done) {
    SK_CHECK(!writing_ && !queued_.empty());
    writing_ = true;
    in_write_.clear();
    std::swap(in_write_, queued_);
    std::vector<boost::asio::const_buffer> buffers;
    buffers.reserve(in_write_.size());
    for (const Bytes& bytes : in_write_) {
      buffers.emplace_back(boost::asio::buffer(bytes));
    }
    boost::asio::async_write(
        stream, buffers,
        [this, done = std::move(done)](boost::system::error_code ec, std::size_t n) mutable {
          writing_ = false;
          unsent_bytes_ -= n;
          done(ec, n);
        });
  }

 private:
  std::vector<Bytes> queued_;    // Waiting for the next write.
  std::vector<Bytes> in_write_;  // Being written.
  std::size_t unsent_bytes_ = 0;
  bool writing_ = false;
};

}  // namespace sk::safekeeper
