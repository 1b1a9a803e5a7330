// ReadinessSocket: the test's end of systemd's readiness protocol. A Unix datagram socket the
// child is told about through NOTIFY_SOCKET; wait_for() blocks (poll with a deadline) until the
// child sends the awaited state, such as "READY=1" once every port of a safekeeper listens.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace sk::testing {

class ReadinessSocket {
 public:
  explicit ReadinessSocket(std::filesystem::path path);
  ~ReadinessSocket();
  ReadinessSocket(const ReadinessSocket&) = delete;
  ReadinessSocket& operator=(const ReadinessSocket&) = delete;

  // "NOTIFY_SOCKET=<path>", for the child's environment.
  std::string environment() const { return "NOTIFY_SOCKET=" + path_.string(); }
  // Drops whatever earlier children sent.
  void discard_pending();
  // True once a datagram containing `state` arrived before `timeout`; other states are skipped.
  bool wait_for(std::string_view state, std::chrono::milliseconds timeout);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace sk::testing
