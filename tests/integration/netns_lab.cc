// NetnsLab; see netns_lab.h.
#include "tests/integration/netns_lab.h"

#include <fstream>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "tests/integration/child_process.h"

namespace sk::testing {

namespace fs = std::filesystem;

namespace {

const std::string kSwitch = "switch";
const fs::path kHostsRoot = "/etc/netns";

fs::path hosts_dir(const std::string& netns) {
  return kHostsRoot / netns;
}

}  // namespace

NetnsLab::NetnsLab(const std::vector<std::string>& host_names, const fs::path& log_dir)
    : log_(log_dir / "netns_lab.log"),
      prefix_("sk" + std::to_string(::getpid()) + "-"),
      names_(host_names) {
  if (::geteuid() != 0) {
    why_ = "network namespaces need root";
    return;
  }
  if (find_program("ip").empty()) {
    why_ = "no `ip` program (apt-get install iproute2)";
    return;
  }
  const std::string sw = prefix_ + kSwitch;
  if (!run({"ip", "netns", "add", sw})) {
    return;
  }
  made_.push_back(sw);
  if (!run({"ip", "-n", sw, "link", "add", "br0", "type", "bridge"}) ||
      !run({"ip", "-n", sw, "link", "set", "br0", "up"})) {
    return;
  }
  std::string hosts = "127.0.0.1 localhost\n";
  for (std::size_t i = 0; i < names_.size(); ++i) {
    hosts += address(static_cast<int>(i)) + " " + names_[i] + "\n";
  }
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const int host = static_cast<int>(i);
    const std::string netns = namespace_of(host);
    const std::string port = "p" + std::to_string(i);
    if (!run({"ip", "netns", "add", netns})) {
      return;
    }
    made_.push_back(netns);
    std::error_code ec;
    fs::create_directories(hosts_dir(netns), ec);
    std::ofstream(hosts_dir(netns) / "hosts") << hosts;
    if (!run({"ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
              netns}) ||
        !run({"ip", "-n", sw, "link", "set", port, "master", "br0"}) ||
        !run({"ip", "-n", sw, "link", "set", port, "up"}) ||
        !run({"ip", "-n", netns, "addr", "add", address(host) + "/24", "dev", "eth0"}) ||
        !run({"ip", "-n", netns, "link", "set", "eth0", "up"}) ||
        !run({"ip", "-n", netns, "link", "set", "lo", "up"})) {
      return;
    }
  }
}

NetnsLab::~NetnsLab() {
  for (const std::string& netns : made_) {
    run({"ip", "netns", "delete", netns});
    std::error_code ec;
    fs::remove_all(hosts_dir(netns), ec);
  }
  std::error_code ec;
  fs::remove(kHostsRoot, ec);  // Only if no one else has files there.
}

std::string NetnsLab::namespace_of(int host) const {
  return prefix_ + names_[static_cast<std::size_t>(host)];
}

std::string NetnsLab::address(int host) const {
  return "10.200.0." + std::to_string(host + 1);
}

std::vector<std::string> NetnsLab::exec_prefix(int host) const {
  return {find_program("ip"), "netns", "exec", namespace_of(host)};
}

bool NetnsLab::set_link(int host, bool up) {
  return run({"ip", "-n", prefix_ + kSwitch, "link", "set", "p" + std::to_string(host),
              up ? "up" : "down"});
}

bool NetnsLab::run(const std::vector<std::string>& argv) {
  std::vector<std::string> resolved = argv;
  resolved[0] = find_program(argv[0]);
  ChildProcess command = ChildProcess::spawn(resolved, log_);
  if (command.wait_exit(std::chrono::seconds(30)) == std::optional<int>(0)) {
    return true;
  }
  std::string line;
  for (const std::string& word : argv) {
    line += (line.empty() ? "" : " ") + word;
  }
  if (why_.empty()) {
    why_ = "`" + line + "` failed (" + log_.string() + ")";
  }
  return false;
}

NetnsLab::Inside::Inside(const NetnsLab& lab, int host) {
  original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const std::string path = "/var/run/netns/" + lab.namespace_of(host);
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ok_ = original_ >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
  if (target >= 0) {
    ::close(target);
  }
}

NetnsLab::Inside::~Inside() {
  if (original_ >= 0) {
    ::setns(original_, CLONE_NEWNET);
    ::close(original_);
  }
}

}  // namespace sk::testing
