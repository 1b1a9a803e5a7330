// Local programs; see local_process.h.
#include "safekeeper/skctl/local_process.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sk::skctl {
namespace fs = std::filesystem;
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const std::string& arg : argv) {
    out.push_back(const_cast<char*>(arg.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string last_line(const std::string& text) {
  const std::string t = trimmed(text);
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

Error io_error(const std::string& what) {
  return Error(ErrorCode::kIoError, what + ": " + std::strerror(errno));
}

}  // namespace

Result<ProgramResult> run_program(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return io_error("pipe");
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    return io_error("fork");
  }
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    auto args = c_argv(argv);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0].c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ProgramResult result;
  std::array<char, 4096> buffer{};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd readable{pipe_fds[0], POLLIN, 0};
    const int ready = left.count() <= 0 ? 0 : ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      ::kill(pid, SIGKILL);  // Out of time: its output so far is all there is.
      result.timed_out = true;
      break;
    }
    const ssize_t n = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    result.output.append(buffer.data(), static_cast<std::size_t>(n));
    if (result.output.size() > 32768) {
      result.output.erase(0, result.output.size() - 16384);
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Status run_checked(const std::vector<std::string>& argv) {
  auto result = run_program(argv);
  if (!result) {
    return result.error();
  }
  if (result->exit_code != 0) {
    const std::string program = fs::path(argv.front()).filename().string();
    std::string shown = program;
    for (std::size_t i = 1; i < argv.size() && program == "setpriv"; ++i) {
      if (argv[i] == "--") {
        shown = fs::path(argv.at(i + 1)).filename().string();
      }
    }
    return Error(ErrorCode::kInternal, shown + " failed (exit " +
                                           std::to_string(result->exit_code) +
                                           "): " + last_line(result->output));
  }
  return {};
}

Result<fs::path> find_pg_bindir(const std::string& flag) {
  if (!flag.empty()) {
    if (!fs::exists(fs::path(flag) / "postgres")) {
      return Error(ErrorCode::kNotFound, "--pg-bindir " + flag + " has no postgres program");
    }
    return fs::path(flag);
  }
  auto version = run_program({"pg_config", "--version"});
  auto bindir = run_program({"pg_config", "--bindir"});
  if (!version || !bindir || version->exit_code != 0 || bindir->exit_code != 0) {
    return Error(ErrorCode::kNotFound,
                 "pg_config is not installed (apt-get install libpq-dev postgresql-15), or pass "
                 "--pg-bindir");
  }
  const fs::path dir = trimmed(bindir->output);
  if (version->output.rfind("PostgreSQL 15", 0) == 0 && fs::exists(dir / "postgres")) {
    return dir;
  }
  const fs::path sibling = dir.parent_path().parent_path() / "15" / "bin";
  if (fs::exists(sibling / "postgres")) {
    return sibling;
  }
  return Error(ErrorCode::kNotFound, "no PostgreSQL 15 server programs in " + dir.string() +
                                         " or " + sibling.string() + "; pass --pg-bindir");
}

Result<fs::path> find_walproposer(const std::string& flag) {
  if (!flag.empty()) {
    return fs::path(flag);
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& candidate :
         {self.parent_path().parent_path() / "walproposer" / "walproposer",
          self.parent_path() / "walproposer"}) {
      if (fs::exists(candidate)) {
        return candidate;
      }
    }
  }
  auto which = run_program({"sh", "-c", "command -v walproposer"});
  if (which && which->exit_code == 0) {
    return fs::path(trimmed(which->output));
  }
  return Error(ErrorCode::kNotFound, "no walproposer next to skctl or on PATH; pass --walproposer");
}

std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  if (::geteuid() != 0) {
    return argv;
  }
  std::vector<std::string> wrapped = {"setpriv", "--reuid=postgres", "--regid=postgres",
                                      "--init-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

Status hand_to_postgres(const fs::path& path) {
  if (::geteuid() != 0) {
    return {};
  }
  if (::getpwnam("postgres") == nullptr) {
    return Error(ErrorCode::kFailedPrecondition,
                 "running as root, and there is no postgres user to run PostgreSQL as "
                 "(apt-get install postgresql-15 creates it)");
  }
  return run_checked({"chown", "-R", "-P", "--no-dereference", "postgres:postgres", path.string()});
}

namespace {

// The child's side of run_as_postgres: drops to the postgres user, works, and writes its answer
// ('+' and the text, or '-', the error code's number, a space and the message) to `fd`.
[[noreturn]] void work_as_postgres(const passwd& postgres, int fd,
                                   const std::function<Result<std::string>()>& work) {
  std::string answer;
  if (::initgroups(postgres.pw_name, postgres.pw_gid) != 0 || ::setgid(postgres.pw_gid) != 0 ||
      ::setuid(postgres.pw_uid) != 0 || ::getuid() == 0) {
    answer = "-" + std::to_string(static_cast<int>(ErrorCode::kInternal)) +
             " cannot become the postgres user: " + std::strerror(errno);
  } else {
    const Result<std::string> done = work();
    answer = done ? "+" + *done
                  : "-" + std::to_string(static_cast<int>(done.error().code())) + " " +
                        done.error().message();
  }
  std::size_t written = 0;
  while (written < answer.size()) {
    const ssize_t n = ::write(fd, answer.data() + written, answer.size() - written);
    if (n <= 0) {
      ::_exit(1);
    }
    written += static_cast<std::size_t>(n);
  }
  ::_exit(0);
}

}  // namespace

Result<std::string> run_as_postgres(const std::function<Result<std::string>()>& work) {
  if (::geteuid() != 0) {
    return work();
  }
  const passwd* found = ::getpwnam("postgres");
  if (found == nullptr) {
    return Error(ErrorCode::kFailedPrecondition,
                 "running as root, and there is no postgres user to work as "
                 "(apt-get install postgresql-15 creates it)");
  }
  const passwd postgres = *found;
  std::array<int, 2> answer_pipe{};
  if (::pipe2(answer_pipe.data(), O_CLOEXEC) != 0) {
    return io_error("pipe");
  }
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(answer_pipe[0]);
    ::close(answer_pipe[1]);
    return io_error("fork");
  }
  if (child == 0) {
    ::close(answer_pipe[0]);
    work_as_postgres(postgres, answer_pipe[1], work);
  }
  ::close(answer_pipe[1]);
  std::string answer;
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(answer_pipe[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    answer.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(answer_pipe[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.empty()) {
    return Error(ErrorCode::kInternal,
                 "the work done as the postgres user ended without an answer");
  }
  if (answer.front() == '+') {
    return answer.substr(1);
  }
  const std::size_t space = answer.find(' ');
  const int code = std::atoi(answer.substr(1, space).c_str());
  return Error(static_cast<ErrorCode>(code),
               space == std::string::npos ? std::string() : answer.substr(space + 1));
}

Result<pid_t> spawn_detached(const std::vector<std::string>& argv, const fs::path& log) {
  std::array<int, 2> pid_pipe{};
  if (::pipe2(pid_pipe.data(), O_CLOEXEC) != 0) {
    return io_error("pipe");
  }
  const pid_t child = ::fork();
  if (child < 0) {
    return io_error("fork");
  }
  if (child == 0) {
    ::setsid();
    const pid_t grandchild = ::fork();
    if (grandchild != 0) {  // The middle process reports the pid and leaves it to init.
      const ssize_t written = ::write(pid_pipe[1], &grandchild, sizeof grandchild);
      ::_exit(written == sizeof grandchild ? 0 : 1);
    }
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    auto args = c_argv(argv);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0].c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(pid_pipe[1]);
  pid_t pid = -1;
  const ssize_t n = ::read(pid_pipe[0], &pid, sizeof pid);
  ::close(pid_pipe[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (n != sizeof pid || pid <= 0) {
    return Error(ErrorCode::kIoError, "cannot start " + argv.front());
  }
  return pid;
}

bool process_alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) {
    return false;
  }
  // A process that exited stays a zombie until init reaps it; it is gone all the same.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

Status stop_process(pid_t pid, int signo, std::chrono::milliseconds grace) {
  if (!process_alive(pid)) {
    return {};
  }
  ::kill(pid, signo);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (process_alive(pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
    }
    // Not our child (spawn_detached): there is nothing to wait on but its disappearance.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

void yield_cpu_while_starting() {
  if (::geteuid() == 0) {
    ::setpriority(PRIO_PROCESS, 0, 10);
  }
}

void restore_priority(pid_t pid) {
  const pid_t group = pid > 0 ? ::getpgid(pid) : -1;
  if (::geteuid() == 0 && group > 0) {
    ::setpriority(PRIO_PGRP, static_cast<id_t>(group), 0);
  }
}

void note(const std::string& text) {
  std::fprintf(stderr, "skctl: %s\n", text.c_str());
}

}  // namespace sk::skctl
