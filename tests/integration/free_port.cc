// free_port(); see free_port.h.
#include "tests/integration/free_port.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sk::testing {
namespace {

// Below Linux's default ephemeral range (32768-60999), above the well-known services.
constexpr std::uint16_t kFirstPort = 15000;
constexpr std::uint16_t kLastPort = 32767;

bool can_listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  const int on = 1;
  // As the servers under test set it: a port left in TIME_WAIT by an earlier test is usable.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

// Claims `port` for this process: the lock file's descriptor stays open (and locked) until exit.
bool claim(const std::filesystem::path& directory, std::uint16_t port) {
  const std::string path = (directory / (std::to_string(port) + ".lock")).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  return true;  // The descriptor is kept on purpose.
}

}  // namespace

std::uint16_t free_port() {
  static std::mutex mutex;
  static std::mt19937 random{std::random_device{}()};
  const std::lock_guard lock(mutex);

  const std::filesystem::path directory = std::filesystem::temp_directory_path() / "sk-test-ports";
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  std::filesystem::permissions(directory, std::filesystem::perms::all, ec);

  const int span = kLastPort - kFirstPort + 1;
  const int start = static_cast<int>(random() % span);
  for (int i = 0; i < span; ++i) {
    const auto port = static_cast<std::uint16_t>(kFirstPort + (start + i) % span);
    // A port claimed earlier by this process stays locked by its own descriptor, and flock on a
    // second descriptor of the same file conflicts with it, so it is never handed out twice.
    if (claim(directory, port)) {
      if (can_listen_on(port)) {
        return port;
      }
      // Taken by something outside the tests: keep the claim so it is not tried again.
    }
  }
  std::fprintf(stderr, "free_port: no free port in %u-%u\n", kFirstPort, kLastPort);
  std::abort();
}

}  // namespace sk::testing
