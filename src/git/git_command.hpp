// git/git_command.hpp — running git for scrape (private to g2d_git): the safety options every
// call gets, the environment that keeps git from prompting, and turning git's output into a
// short, redacted reason.
//
// Every call is `git -c protocol.ext.allow=never [-c protocol.file.allow=never] -c core.askPass=
// ... ARGS` (callers put `--` before URLs and paths), with GIT_TERMINAL_PROMPT=0, no askpass
// programs, ssh in batch mode (unless the user's environment chooses the ssh command), LC_ALL=C
// so messages can be recognised, and no inherited GIT_DIR-style variables; a call with a working
// directory cannot discover a repository above it (GIT_CEILING_DIRECTORIES).
//
// Thread-safety: reentrant. Errors: run_git returns sys::run_process's errors (not_found when git
// is missing, cancelled, io); a git that ran and failed is a ProcessResult with its exit code.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "git/repos_file.hpp"
#include "sys/process.hpp"

namespace g2d::git::detail {

struct GitCall {
  std::vector<std::string> args;  // after `git` and the safety options
  std::filesystem::path cwd;      // empty: this process's working directory
  bool file_transport = false;    // true only for local-path repositories
  const std::atomic<bool>* cancel = nullptr;
};

Result<sys::ProcessResult> run_git(const GitCall& call);

// `text` with the repository's credentials removed: `source` becomes `display`, the userinfo of
// every URL becomes ***, and the URL's password is masked wherever else it appears.
std::string redact(std::string_view text, const RepoRef& repo);

// Why `git <what>` failed, from its output: the last error lines, redacted, and for an
// authentication failure a sentence saying that the repository needs credentials.
std::string failure_reason(std::string_view what, std::string_view output, const RepoRef& repo);

// The output's first line without surrounding whitespace (a SHA from rev-parse, say).
std::string first_line(std::string_view output);

}  // namespace g2d::git::detail
