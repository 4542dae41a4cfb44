// git/scrape.hpp — bringing repositories in: clone what is missing, update what exists, several
// at a time, through git run without a shell (sys::run_process, argument arrays).
//
// Per repository (a RepoRef from repos.txt, cloned to repos_dir / ref.dir):
// - missing: cloned (shallow with `depth` commits, 0 = full history; at `ref` when pinned: a
//   branch, a tag or a full commit SHA) into a temporary directory under repos_dir that discovery
//   never reads (a name starting with '.'), then renamed into place, so an interrupted clone
//   never looks like a good one; stale temporary directories are removed by the next run.
// - present: `git fetch` of the ref (or the remote's default branch), then a fast-forward when the
//   checked-out commit is an ancestor of the fetched one. A clone with local modifications to
//   tracked files is reported `dirty`, one whose commit is not an ancestor of the fetched one is
//   reported `diverged`; neither is ever modified. A directory that is not a git repository is
//   reported failed and left alone.
// Safety: every git call gets `--` before positional arguments; remote-helper transports are
// disabled (`protocol.ext.allow=never`), `file` transport only for local-path lines;
// GIT_TERMINAL_PROMPT=0 and ssh in batch mode, so a repository needing credentials fails with a
// message saying so instead of prompting; the child runs in its own session. Credentials in URLs
// never appear in outcomes or logs (git's own output is redacted too).
// Cancellation: when `cancel` becomes true, running git processes (their whole process group)
// are stopped, their temporary directories removed, and repositories not yet started are reported
// `cancelled`.
//
// Thread-safety: scrape() runs `jobs` worker threads; `on_outcome` is called from them, one call
// at a time. Errors: per repository, in its outcome; scrape() itself does not fail.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "git/repos_file.hpp"

namespace g2d::git {

enum class OutcomeKind { cloned, updated, unchanged, dirty, diverged, failed, cancelled };
std::string_view to_string(OutcomeKind kind);
// cloned, updated and unchanged are successes; the others make `scrape` exit 1 (130 if cancelled).
bool succeeded(OutcomeKind kind);

struct RepoOutcome {
  RepoRef repo;
  OutcomeKind kind = OutcomeKind::failed;
  std::string commit;  // HEAD after the operation (when known), full SHA
  std::string reason;  // for anything but cloned / updated / unchanged: what went wrong, redacted
};

struct ScrapeOptions {
  std::filesystem::path repos_dir;  // created when missing
  int depth = 1;                    // 0 = full history
  int jobs = 4;                     // repositories at once, >= 1
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const RepoOutcome&)> on_outcome;  // progress, as each repository finishes
};

// Outcomes in the order of `repos`.
std::vector<RepoOutcome> scrape(const std::vector<RepoRef>& repos, const ScrapeOptions& options);

// The full SHA of HEAD in the repository at `repo_dir`.
Result<std::string> head_commit(const std::filesystem::path& repo_dir);

}  // namespace g2d::git
