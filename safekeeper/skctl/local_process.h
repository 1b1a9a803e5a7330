// Running programs on this machine for skctl: PostgreSQL 15's (found through pg_config, run as
// the postgres user when skctl runs as root, since PostgreSQL refuses to run as root) and the
// processes a compute leaves running after skctl exits (its walproposer).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "consensus/result.h"

namespace sk::skctl {

// `flag` if given; else pg_config --bindir when that is PostgreSQL 15's, else the "15/bin"
// next to it. kNotFound saying what was looked at.
Result<std::filesystem::path> find_pg_bindir(const std::string& flag);

// The walproposer: `flag` if given, else next to this program (the build tree's sibling
// directory, or the same one when installed), else on PATH.
Result<std::filesystem::path> find_walproposer(const std::string& flag);

struct ProgramResult {
  int exit_code = 0;       // 128 + the signal if it was killed.
  std::string output;      // stdout and stderr, the last 16 KiB.
  bool timed_out = false;  // Killed (SIGKILL) when its time ran out.
};
// Runs `argv` to its end, or kills it once `timeout` has passed (the default: about an hour,
// for programs that always end). kIoError only if it cannot be started.
Result<ProgramResult> run_program(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout = std::chrono::hours(1));
// run_program, then kInternal with the program's last output line unless it exited 0.
Status run_checked(const std::vector<std::string>& argv);

// `argv` run as the postgres user when this process is root; as is otherwise.
std::vector<std::string> as_postgres(std::vector<std::string> argv);
// Gives `path` (recursively, symbolic links themselves and never what they name) to the postgres
// user when this process is root.
Status hand_to_postgres(const std::filesystem::path& path);
// Runs `work` as the postgres user when this process is root (in a child process that drops to
// that user's ids and groups first, so nothing it does has root's rights), as is otherwise.
// `work`'s result, text or error, comes back through a pipe. For work on files skctl did not
// make itself: a snapshot's tree, extracted into a data directory.
Result<std::string> run_as_postgres(const std::function<Result<std::string>()>& work);

// Starts `argv` in a session of its own, not a child of this process (it outlives skctl),
// stdout and stderr appended to `log`. Returns its pid.
Result<pid_t> spawn_detached(const std::vector<std::string>& argv,
                             const std::filesystem::path& log);
bool process_alive(pid_t pid);

// A line for the user on stderr, "skctl: " first: what a command did that they should know
// (a directory rebuilt, a store that copies) while stdout stays the command's answer.
void note(const std::string& text);

// A start yields the CPU to what already runs (other computes, the safekeepers): as root, skctl
// lowers its own priority (nice 10), so the restore, the WAL fetch and the new server's crash
// recovery inherit it; once the server is ready, restore_priority puts its process group back
// at 0. Without root nothing changes (a non-root process could not raise it again).
void yield_cpu_while_starting();
void restore_priority(pid_t pid);
// `signo` (SIGTERM; SIGINT is PostgreSQL's fast shutdown), then SIGKILL if it is still there
// after `grace`; returns once it is gone.
Status stop_process(pid_t pid, int signo, std::chrono::milliseconds grace);

}  // namespace sk::skctl
