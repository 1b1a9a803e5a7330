// sk-bench-loopback: the round trip of one small request and its reply between two processes
// over TCP on 127.0.0.1, with TCP_NODELAY, as a proposer and a safekeeper exchange them. The
// cluster harness (cluster_bench.sh) adds it to the disk's fdatasync time to show the floor of
// a quorum commit on this machine. A child process echoes a 64-byte reply to each --bytes
// request; the parent times --round-trips of them, one at a time, and prints one JSON line:
//
//   {"bytes":8192,"round_trips":...,"p50_us":...,"p99_us":...}
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safekeeper/cli/command_line.h"
#include "safekeeper/metrics/percentile.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReplyBytes = 64;  // About an AppendResponse frame.

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "sk-bench-loopback: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// Moves all `size` bytes with `io` (::read or ::write), however many calls that takes; false
// on an error or at end of file.
template <class Data, class Io>
bool transfer_all(int fd, Data* data, std::size_t size, Io io) {
  while (size > 0) {
    const ssize_t n = io(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, const char* data, std::size_t size) {
  return transfer_all(fd, data, size, ::write);
}

bool read_exactly(int fd, char* data, std::size_t size) {
  return transfer_all(fd, data, size, ::read);
}

void no_delay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    fail("setsockopt TCP_NODELAY");
  }
}

// The child: accepts one connection and answers each request until the parent closes it.
[[noreturn]] void echo(int listener, std::size_t request_bytes) {
  const int fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0) {
    fail("accept");
  }
  no_delay(fd);
  std::vector<char> buffer(std::max(request_bytes, kReplyBytes));
  while (read_exactly(fd, buffer.data(), request_bytes)) {
    if (!write_all(fd, buffer.data(), kReplyBytes)) {
      break;
    }
  }
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  sk::cli::CommandLine flags("sk-bench-loopback", "[--bytes N] [--round-trips N]");
  flags.value("bytes", "N", "request size (default 8192)")
      .value("round-trips", "N", "how many, one at a time (default 20000)");
  flags.parse(argc, argv);
  const std::size_t request_bytes = flags.get_unsigned("bytes", true).value_or(8192);
  const std::uint64_t round_trips = flags.get_unsigned("round-trips", true).value_or(20000);

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) {
    fail("socket");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // Port 0: the kernel picks a free one.
  socklen_t length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    fail("listening on 127.0.0.1");
  }
  const pid_t child = ::fork();
  if (child < 0) {
    fail("fork");
  }
  if (child == 0) {
    echo(listener, request_bytes);
  }
  ::close(listener);

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    fail("connecting to the echo process");
  }
  no_delay(fd);
  std::vector<char> request(request_bytes, 'r');
  std::vector<char> reply(kReplyBytes);
  std::vector<std::uint32_t> micros;
  micros.reserve(round_trips);
  for (std::uint64_t i = 0; i < round_trips; ++i) {
    const Clock::time_point start = Clock::now();
    if (!write_all(fd, request.data(), request.size()) ||
        !read_exactly(fd, reply.data(), reply.size())) {
      fail("round trip " + std::to_string(i));
    }
    micros.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count()));
  }
  ::close(fd);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::printf("{\"bytes\":%zu,\"round_trips\":%llu,\"p50_us\":%u,\"p99_us\":%u}\n", request_bytes,
              static_cast<unsigned long long>(round_trips), sk::metrics::percentile(micros, 0.50),
              sk::metrics::percentile(micros, 0.99));
  return 0;
}
