// sys/process.hpp — running a program without a shell: posix_spawn with an argument array,
// stdin from /dev/null, stdout and stderr captured together, a clean signal mask and the default
// signal dispositions in the child.
//
// Thread-safety: reentrant; each call owns its child and pipe.
// Errors: not_found when the program is not on PATH; io when spawning or reading fails. A
// program that runs and exits non-zero is not an error: see ProcessResult::exit_code.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace g2d::sys {

struct ProcessResult {
  int exit_code = 0;   // the exit status, or 128 + signal number when killed by a signal
  std::string output;  // stdout and stderr, interleaved as written
};

// argv[0] is looked up on PATH. Output beyond `max_output` bytes is read and dropped.
Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  size_t max_output = 1 << 20);

}  // namespace g2d::sys
