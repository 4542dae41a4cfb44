// git/git_command.hpp — running git for scrape (private to g2d_git): the safety options every
// call gets, the environment that keeps git from prompting, and turning git's output into a
// short, redacted reason.
//
// Every call is `git -c protocol.ext.allow=never [-c protocol.file.allow=never] -c core.askPass=
// -c core.fsmonitor=false -c core.hooksPath=/dev/null -c http.lowSpeedLimit=1000
// -c http.lowSpeedTime=60 ARGS` (no remote helpers, no prompts, no hooks, no endless stalled
// http transfer), with GIT_TERMINAL_PROMPT=0, no askpass programs, GIT_LFS_SKIP_SMUDGE=1, LC_ALL=C
// so messages can be recognised, no inherited GIT_DIR-style variables, and a PATH without empty
// or relative entries (so neither git nor the programs it starts, such as ssh, can be a file of
// the repository it works in). ssh runs in batch mode with connection timeouts unless the user
// chose the ssh command (see GitSettings). A call with a working directory cannot discover a
// repository above it (GIT_CEILING_DIRECTORIES). Callers put user-supplied URLs and paths after
// `--`.
//
// Thread-safety: reentrant. Errors: run_git returns sys::run_process's errors (not_found when git
// is missing, cancelled, timeout, io); a git that ran and failed is a ProcessResult with its exit
// code.
#pragma once

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "git/repos_file.hpp"
#include "sys/process.hpp"

namespace g2d::git::detail {

// What git's environment depends on in the user's own setup; read once per scrape.
struct GitSettings {
  // The user chose how git runs ssh (GIT_SSH_COMMAND or GIT_SSH in the environment, or
  // core.sshCommand in the system, global or environment config): it is left alone. Otherwise
  // calls get GIT_SSH_COMMAND with batch mode and connection timeouts.
  bool user_ssh_command = false;
};

GitSettings read_git_settings();

struct GitCall {
  std::vector<std::string> args;  // after `git` and the safety options
  std::filesystem::path cwd;      // empty: this process's working directory
  bool file_transport = false;    // true only for local-path repositories
  std::stop_token stop;           // a request stops git at once (sys::ProcessOptions::stop)
  std::chrono::milliseconds idle_timeout{0};  // no output for this long stops git; 0 = none
  // Null: GIT_SSH_COMMAND is not set (for calls that reach no remote).
  const GitSettings* settings = nullptr;
  size_t max_output = size_t{1} << 20;  // output beyond this is dropped (sys::ProcessOptions)
  bool stderr_to_null = false;          // the output is git's stdout alone (machine-read listings)
};

Result<sys::ProcessResult> run_git(const GitCall& call);

// `url` as it may be stored in a clone's config: an http(s) URL loses its userinfo (user names
// are often tokens there), any other scheme keeps its user and loses a password; scp-like
// `user@host:path` and local paths are unchanged.
std::string without_credentials(std::string_view url);

// `text` with the repository's credentials removed: `source` becomes `display`, the userinfo of
// every URL becomes ***, and the URL's password is masked wherever else it appears.
std::string redact(std::string_view text, const RepoRef& repo);

// Why `git <what>` failed, from its output: the last error lines, redacted, and for an
// authentication failure a sentence saying that the repository needs credentials.
std::string failure_reason(std::string_view what, std::string_view output, const RepoRef& repo);

// The output's first line without surrounding whitespace (a SHA from rev-parse, say).
std::string first_line(std::string_view output);

}  // namespace g2d::git::detail
