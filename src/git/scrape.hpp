// git/scrape.hpp — bringing repositories in: clone what is missing, update what exists, several
// at a time, through git run without a shell (sys::run_process, argument arrays).
//
// Per repository (a RepoRef from repos.txt, cloned to repos_dir / ref.dir):
// - missing: cloned (shallow with `depth` commits, 0 = full history; at `ref` when pinned: a
//   branch, a tag or a full commit SHA) into a temporary directory under repos_dir that discovery
//   never reads (repos_dir/.partial), then renamed into place without ever replacing anything
//   there, so an interrupted clone never looks like a good one. The clone's config gets
//   `git2dataset.managed = true`, `git2dataset.pinned = <the commit checked out>`, and an origin
//   URL without credentials.
// - present: updated only if it is a clone git2dataset made: its `.git` is a real directory (not
//   a link, not a file, not itself a working tree), `git rev-parse --absolute-git-dir` run there
//   names exactly that `.git`, and its config has `git2dataset.managed = true`. Anything else
//   (a repository cloned by hand, or by an earlier git2dataset that did not mark its clones) is
//   reported failed, "not cloned by git2dataset", and left alone: git honours the configuration
//   of the repository it runs in, so none is run in one we did not make. Then a `git fetch` of
//   the ref (or the remote's default branch) from the line's URL — credentials come from
//   repos.txt on every run and are never stored. Without a pin, a fast-forward when the
//   checked-out commit is an ancestor of the fetched one; with one, a detached checkout of the
//   fetched commit (following a moved tag, an older commit or another branch, moving no branch)
//   when the checked-out commit is an ancestor of it or is the one scrape last checked out. A
//   clone with local modifications to tracked files is reported `dirty`, one with commits of
//   its own `diverged`; neither is ever modified. A directory that is not a git repository is
//   reported failed and left alone.
// - refused (failed, nothing written): a clone directory with a component starting with '.', a
//   symbolic link or a non-directory anywhere from repos_dir down to the clone, and a clone
//   inside another clone (a folder on the way holding `.git`).
// Safety: URLs and paths from repos.txt come after `--` (refs are validated by repos_file and
// passed as option values or after checks); remote-helper transports are disabled
// (`protocol.ext.allow=never`), `file` transport only for local-path lines, hooks disabled;
// GIT_TERMINAL_PROMPT=0 and ssh in batch mode (unless the user chose the ssh command), so a
// repository needing credentials fails with a message saying so instead of prompting; the child
// runs in its own session. Credentials in URLs never appear in outcomes or logs (git's own
// output is redacted too). A clone or fetch silent for 10 minutes (git prints progress) and an
// http transfer under 1 kB/s for a minute are stopped.
// One scrape per repos_dir: an exclusive lock on repos_dir/.lock is held for the whole run; a
// second scrape waits up to 10 seconds (logging once) and then reports every repository failed,
// "another git2dataset scrape is running on <repos_dir>". Holding the lock, a scrape removes what
// an interrupted one left in .partial.
// Cancellation: when `stop` is requested, running git processes (their whole process group)
// are stopped at once, their temporary directories removed, and repositories not yet started are
// reported `cancelled`.
//
// Thread-safety: scrape() runs `jobs` worker threads; `on_outcome` is called from them, one call
// at a time (an exception from it is logged, never propagated). Errors: per repository, in its
// outcome; scrape() itself does not fail.
#pragma once

#include <filesystem>
#include <functional>
#include <stop_token>
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
  std::stop_token stop;
  std::function<void(const RepoOutcome&)> on_outcome;  // progress, as each repository finishes
};

// Outcomes in the order of `repos`.
std::vector<RepoOutcome> scrape(const std::vector<RepoRef>& repos, const ScrapeOptions& options);

// The full SHA of HEAD in the repository at `repo_dir`.
Result<std::string> head_commit(const std::filesystem::path& repo_dir);

// The paths git tracks in the repository at `repo_dir` (`git ls-files -z`: '/'-separated,
// relative to its root), sorted; what discovery needs to apply .gitignore to untracked files
// only. Errors: run_git's, io when git fails or lists more than 64 MiB of paths.
Result<std::vector<std::string>> tracked_files(const std::filesystem::path& repo_dir);

}  // namespace g2d::git
