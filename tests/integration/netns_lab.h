// NetnsLab: machines made of network namespaces, for tests across real network interfaces
// (root only). Each host is a namespace with its loopback and one interface, eth0, at
// 10.200.0.<i+1>/24, plugged into a bridge in a namespace of its own (the switch), so the root
// namespace's network is never touched and parallel labs never meet. Host names are in
// /etc/netns/<namespace>/hosts, which `ip netns exec` mounts over /etc/hosts for the program it
// starts (exec_prefix). Cutting a host's link sets its switch port down, as a pulled cable.
// The destructor deletes every namespace and file the lab made.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sk::testing {

class NetnsLab {
 public:
  // One host per name. why() says what failed (not root, no `ip`, a command refused).
  explicit NetnsLab(const std::vector<std::string>& host_names,
                    const std::filesystem::path& log_dir);
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  const std::string& why() const { return why_; }
  std::string address(int host) const;
  // {"ip", "netns", "exec", NAMESPACE}: put before a program's command line to run it there.
  std::vector<std::string> exec_prefix(int host) const;
  // Sets the host's switch port up or down; false if `ip` refused.
  bool set_link(int host, bool up);

  // Moves the calling thread into a host's namespace (its connections, and the children it
  // starts, are then that host's) until destroyed. ok() is false if setns failed.
  class Inside {
   public:
    Inside(const NetnsLab& lab, int host);
    ~Inside();
    Inside(const Inside&) = delete;
    Inside& operator=(const Inside&) = delete;
    bool ok() const { return ok_; }

   private:
    int original_ = -1;
    bool ok_ = false;
  };

 private:
  bool run(const std::vector<std::string>& argv);
  std::string namespace_of(int host) const;

  std::filesystem::path log_;
  std::string prefix_;
  std::vector<std::string> names_;
  std::vector<std::string> made_;  // Namespaces to delete.
  std::string why_;
};

}  // namespace sk::testing
