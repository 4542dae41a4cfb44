// sys/process.hpp — running a program without a shell: posix_spawn with an argument array,
// stdin from /dev/null, stdout and stderr captured together, a clean signal mask and the default
// signal dispositions in the child, and no other descriptor of the parent (where the C library
// can close them: glibc 2.34 or later, macOS).
//
// With ProcessOptions the child can get its own working directory and environment changes, and
// runs in its own session (so its own process group, and no controlling terminal: a program that
// would prompt on /dev/tty, such as ssh asking for a password, fails instead of hanging). The
// parent waits with poll() on the child's output, its exit (a pidfd on Linux) and a pipe that a
// std::stop_callback on `stop` writes to, so a whole-run timeout, an idle timeout (no output for
// that long) and a stop request are honoured while the child runs — a stop wakes the wait at
// once, nothing polls for it: the child's process group gets SIGTERM, then SIGKILL after a short
// grace period, and is always reaped before run_process returns. The child's signal mask is
// empty and SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and SIGCHLD have their default action in it,
// whatever the parent blocks or ignores (sys/signals.hpp blocks the first three in every thread).
//
// Thread-safety: reentrant; each call owns its child and pipes. `stop` may be requested from any
// thread.
// Errors: not_found when the program is not on PATH; io when spawning or reading fails, when the
// working directory cannot be entered, and when the exit status cannot be had (waitpid fails,
// as it does when SIGCHLD is ignored: never reported as exit code 0); cancelled when `stop` was
// requested (before the start too: then nothing is started); timeout when a timeout expired (the
// message names which and how long). A program that runs and exits non-zero is not an error: see
// ProcessResult::exit_code.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <spawn.h>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace g2d::sys {

struct ProcessResult {
  int exit_code = 0;   // the exit status, or 128 + signal number when killed by a signal
  std::string output;  // stdout and stderr, interleaved as written (or stdout alone)
};

struct ProcessOptions {
  std::filesystem::path cwd;  // empty: the parent's working directory
  // Applied over the parent's environment: a value sets the variable, nullopt removes it.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::chrono::milliseconds timeout{0};       // the whole run; 0 = none
  std::chrono::milliseconds idle_timeout{0};  // no output for this long; 0 = none
  std::stop_token stop;                       // a request ends the child at once (see above)
  size_t max_output = 1 << 20;                // output beyond this is read and dropped
  bool stderr_to_null = false;                // stderr goes to /dev/null: `output` is stdout alone
};

// argv[0] without a '/' is looked up here, before the child starts, on the child's PATH (the
// parent's unless `env` changes it), in its absolute entries only: an empty or relative entry
// (".") would name a file of the child's working directory. A path is used as given.
Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  const ProcessOptions& options);

// The plain form: no cwd, environment, timeout or cancellation.
Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  size_t max_output = 1 << 20);

// Sets `attr` (initialised by the caller) so that the child starts with no signal blocked and
// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and SIGCHLD at their default action, whatever this
// process blocks (its signal thread's three) or ignores; `flags` are added to the spawn flags.
// 0, or posix_spawnattr's error number. run_process spawns with it, and so should any other code
// that spawns a child.
int reset_child_signals(posix_spawnattr_t& attr, short flags = 0);

}  // namespace g2d::sys
