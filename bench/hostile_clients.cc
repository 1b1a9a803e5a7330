// sk-bench-hostile-clients: the clients limits_bench.sh sets against a cluster while it measures
// commit latency: `--idle N` TCP connections that send nothing, spread over the `--idle-targets`
// ports (each one closed by the server is opened again at once), and `--slow-readers M` HTTP
// clients that ask for `--slow-path` (a 16 MiB WAL segment) and read it at `--read-bytes-per-s`
// (opened again when the server drops them). All of them connect from `--source` (a loopback
// address such as 127.0.0.2), so that the per-address limit falls on them alone. Prints one JSON
// line at the end: how many were open, how often the server closed them, bytes read.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "safekeeper/cli/command_line.h"
#include "safekeeper/proposer/cluster_setup.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  std::string host;
  std::uint16_t port = 0;
};

Target parse_target(const std::string& text, const sk::cli::CommandLine& flags) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    flags.usage_error("'" + text + "' is not host:port");
  }
  return {text.substr(0, colon), static_cast<std::uint16_t>(std::stoul(text.substr(colon + 1)))};
}

// A connected socket from `source` to `target`; -1 if it failed. `receive_buffer` > 0 shrinks the
// socket's receive buffer, so that a slow reader's server sees a full window early.
int connect_from(const std::string& source, const Target& target, int receive_buffer = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (receive_buffer > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(target.port);
  ::inet_pton(AF_INET, target.host.c_str(), &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

volatile std::sig_atomic_t stop_requested = 0;

}  // namespace

int main(int argc, char** argv) {
  sk::cli::CommandLine flags("sk-bench-hostile-clients",
                             "--source IP --seconds S [--idle N --idle-targets HOST:PORT,...] "
                             "[--slow-readers M --slow-target HOST:PORT --slow-path PATH]");
  flags.value("source", "IP", "the local address to connect from (127.0.0.2)")
      .value("seconds", "S", "how long to keep them up (SIGTERM ends it sooner)")
      .value("idle", "N", "idle connections (default 0)")
      .value("idle-targets", "HOST:PORT,...", "the ports they are spread over")
      .value("slow-readers", "M", "slow HTTP readers (default 0)")
      .value("slow-target", "HOST:PORT", "the HTTP port they read from")
      .value("slow-path", "PATH", "what they GET (a WAL segment)")
      .value("read-bytes-per-s", "B", "how fast each reads (default 1024)");
  flags.parse(argc, argv);
  const std::string source = flags.get("source").value_or("127.0.0.2");
  const auto seconds = flags.get_unsigned("seconds", true).value_or(30);
  const auto idle_count = flags.get_unsigned("idle").value_or(0);
  const auto slow_count = flags.get_unsigned("slow-readers").value_or(0);
  const auto read_rate = flags.get_unsigned("read-bytes-per-s", true).value_or(1024);
  std::vector<Target> idle_targets;
  if (auto targets = flags.get("idle-targets")) {
    for (const std::string& text : sk::proposer::split_list(*targets)) {
      idle_targets.push_back(parse_target(text, flags));
    }
  }
  if (idle_count > 0 && idle_targets.empty()) {
    flags.usage_error("--idle needs --idle-targets");
  }
  const std::string slow_path = flags.get("slow-path").value_or("");
  Target slow_target;
  if (slow_count > 0) {
    if (slow_path.empty() || !flags.get("slow-target")) {
      flags.usage_error("--slow-readers needs --slow-target and --slow-path");
    }
    slow_target = parse_target(*flags.get("slow-target"), flags);
  }
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGPIPE, SIG_IGN);

  const std::string request = "GET " + slow_path + " HTTP/1.1\r\nHost: " + slow_target.host +
                              "\r\nConnection: keep-alive\r\n\r\n";
  std::vector<int> idle(idle_count, -1);
  std::vector<int> slow(slow_count, -1);
  std::uint64_t idle_closed = 0;
  std::uint64_t slow_closed = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t slow_bytes = 0;
  auto open_idle = [&](std::size_t i) {
    idle[i] = connect_from(source, idle_targets[i % idle_targets.size()]);
    connect_failures += idle[i] < 0;
  };
  auto open_slow = [&](std::size_t i) {
    slow[i] = connect_from(source, slow_target, 4096);
    if (slow[i] >= 0 && ::send(slow[i], request.data(), request.size(), MSG_NOSIGNAL) !=
                            static_cast<ssize_t>(request.size())) {
      ::close(slow[i]);
      slow[i] = -1;
    }
    connect_failures += slow[i] < 0;
  };
  for (std::size_t i = 0; i < idle.size(); ++i) {
    open_idle(i);
  }
  for (std::size_t i = 0; i < slow.size(); ++i) {
    open_slow(i);
  }

  // Every 100 ms: reopen what the server closed, and let each slow reader take its share.
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  const std::size_t share = std::max<std::size_t>(1, read_rate / 10);
  std::vector<char> buffer(share);
  while (stop_requested == 0 && Clock::now() < end) {
    std::vector<pollfd> watched;
    for (int fd : idle) {
      watched.push_back({fd, POLLIN, 0});
    }
    ::poll(watched.data(), watched.size(), 100);
    for (std::size_t i = 0; i < idle.size(); ++i) {
      char byte = 0;
      const bool gone = idle[i] < 0 || ((watched[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
                                        ::recv(idle[i], &byte, 1, MSG_DONTWAIT) <= 0);
      if (gone) {
        idle_closed += idle[i] >= 0;
        if (idle[i] >= 0) {
          ::close(idle[i]);
        }
        open_idle(i);
      }
    }
    for (std::size_t i = 0; i < slow.size(); ++i) {
      const ssize_t n = slow[i] < 0 ? 0 : ::recv(slow[i], buffer.data(), share, MSG_DONTWAIT);
      if (n > 0) {
        slow_bytes += static_cast<std::uint64_t>(n);
      } else if (slow[i] < 0 || n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        slow_closed += slow[i] >= 0;
        if (slow[i] >= 0) {
          ::close(slow[i]);
        }
        open_slow(i);
      }
    }
  }
  std::size_t idle_open = 0;
  std::size_t slow_open = 0;
  for (int fd : idle) {
    idle_open += fd >= 0;
    if (fd >= 0) {
      ::close(fd);
    }
  }
  for (int fd : slow) {
    slow_open += fd >= 0;
    if (fd >= 0) {
      ::close(fd);
    }
  }
  std::printf(
      "{\"idle\":%llu,\"idle_open_at_end\":%zu,\"idle_closed_by_server\":%llu,"
      "\"slow_readers\":%llu,\"slow_open_at_end\":%zu,\"slow_closed_by_server\":%llu,"
      "\"slow_bytes_read\":%llu,\"connect_failures\":%llu}\n",
      static_cast<unsigned long long>(idle_count), idle_open,
      static_cast<unsigned long long>(idle_closed), static_cast<unsigned long long>(slow_count),
      slow_open, static_cast<unsigned long long>(slow_closed),
      static_cast<unsigned long long>(slow_bytes),
      static_cast<unsigned long long>(connect_failures));
  return 0;
}
