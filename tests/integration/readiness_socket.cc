// ReadinessSocket; see readiness_socket.h.
#include "tests/integration/readiness_socket.h"

#include <array>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace sk::testing {

ReadinessSocket::ReadinessSocket(std::filesystem::path path) : path_(std::move(path)) {
  std::filesystem::remove(path_);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
  if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd_);
    fd_ = -1;  // wait_for() then reports false: the test fails saying the child never got ready.
  }
}

ReadinessSocket::~ReadinessSocket() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

void ReadinessSocket::discard_pending() {
  std::array<char, 512> buffer{};
  while (fd_ >= 0 && ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT) > 0) {
  }
}

bool ReadinessSocket::wait_for(std::string_view state, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 512> buffer{};
  while (fd_ >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd readable{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    const auto n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n > 0 && std::string_view(buffer.data(), static_cast<std::size_t>(n)).find(state) !=
                     std::string_view::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace sk::testing
