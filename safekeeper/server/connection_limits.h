// How many connections each port takes (Listeners, tcp_listen.h, enforces them): at most
// `per_port` open at once and `per_address` from one peer address; accepting pauses for
// `accept_backoff` after it failed for want of descriptors or memory.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace sk::safekeeper {

struct ConnectionLimits {
  std::size_t per_port = 4096;
  std::size_t per_address = 1024;
  std::chrono::milliseconds accept_backoff{100};
};

// What a port's Listeners counted.
struct ListenerStats {
  std::atomic<std::uint64_t> open{0};                // Connections open now.
  std::atomic<std::uint64_t> refused_over_limit{0};  // Closed at once: a limit was reached.
  std::atomic<std::uint64_t> accept_failures{0};     // accept() errors (EMFILE, ...).
};

}  // namespace sk::safekeeper
