// wait_until's template body; see child_process.h.
#pragma once

#include <thread>

namespace sk::testing {

template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    // Polling a condition on other processes (HTTP, exit status): there is nothing to block on.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace sk::testing
