// ChildProcess: a program the test started, stopped by its PID: SIGKILL (a crash), SIGTERM (a
// clean stop) and a wait with a deadline. The destructor kills and reaps it, so a failing test
// never leaves a process behind. Output goes to a log file the test can show on failure.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sk::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts `argv` (argv[0] is the program's path) with stdout and stderr appended to `log`.
  // Empty (pid() < 0) if the start failed.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exit_status_; }
  void signal(int signo);
  // The exit code (or 128 + signal) once it ended within `timeout`; nullopt otherwise.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void kill_and_wait();

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// A port that was free on 127.0.0.1 a moment ago (bind to port 0, read it, close).
std::uint16_t free_port();

// Whether `condition` became true before `timeout`, checking every few milliseconds.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout);

}  // namespace sk::testing

#include "tests/integration/child_process_inl.h"
