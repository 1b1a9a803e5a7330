// ChildProcess: a program the test started, stopped by its PID: SIGKILL (a crash), SIGTERM (a
// clean stop) and a wait for its exit with a deadline (poll on a pidfd: woken by the exit
// itself). The destructor kills and reaps it, so a failing test never leaves a process behind.
// Output goes to a log file the test can show on failure.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sk::testing {

// The path of `program` on PATH, or "" if it is not there (ChildProcess::spawn takes paths).
std::string find_program(const std::string& program);

class ChildProcess {
 public:
  ChildProcess() = default;
  // Starts `argv` (argv[0] is the program's path) with stdout and stderr appended to `log`, and
  // `extra_env` ("NAME=value") added to this process's environment. Empty (pid() < 0) if the
  // start failed.
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::filesystem::path& log,
                            const std::vector<std::string>& extra_env = {});
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
  // Reaps the child if it has exited.
  bool try_reap();
  // Kills and reaps the child and closes its pidfd.
  void release();

  pid_t pid_ = -1;
  int pidfd_ = -1;  // Readable once the child exits.
  std::optional<int> exit_status_;
};

}  // namespace sk::testing
