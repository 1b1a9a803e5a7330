// FaultProxy: a TCP proxy for one link (127.0.0.1:port() -> 127.0.0.1:target) with faults the
// test switches on command, so integration tests can partition a real cluster:
//   delay(d)  every chunk is forwarded d after it arrived (both directions, order kept);
//   drop()    a black hole: connections stay open, bytes in both directions are discarded, as
//             on a network that silently loses packets (peers notice only by timeouts). A
//             connection that lost bytes stays silent after heal() (its stream has a hole),
//             as a TCP connection whose retransmissions failed; new ones are forwarded;
//   cut()     every connection is reset and new ones are reset at once, as a refused route;
//   heal()    plain forwarding again.
// Each call returns once the proxy applies it: after cut() no byte crosses the link.
//
// Threads: the proxy runs its own io_context thread; the methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

namespace sk::testing {

class FaultProxy {
 public:
  explicit FaultProxy(std::uint16_t target_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Where clients connect instead of the target.
  std::uint16_t port() const;

  void delay(std::chrono::milliseconds delay);
  void drop();
  void cut();
  void heal();

  struct Stats {
    std::uint64_t connections = 0;      // Accepted while forwarding (not cut).
    std::uint64_t bytes_forwarded = 0;  // Both directions.
    std::uint64_t bytes_dropped = 0;
  };
  Stats stats() const;

  struct Impl;  // Defined in the .cc; public only so that its helpers can name it.

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sk::testing
