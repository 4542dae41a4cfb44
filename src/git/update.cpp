// Updating an existing clone: nothing runs in a directory until it is known to be a clone
// git2dataset made; then a fetch from the line's URL and, without a pin, a fast-forward, with one,
// a detached checkout of the fetched commit when that loses nothing. Local changes (dirty) and
// local commits (diverged) are never touched. Thread-safety: reentrant. Errors: the outcome
// says what happened, with a redacted reason for anything but updated or unchanged.
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/text.hpp"
#include "git/scrape_internal.hpp"

namespace g2d::git::detail {

namespace fs = std::filesystem;

namespace {

std::string short_sha(std::string_view sha) {
  return std::string(sha.substr(0, 12));
}

// Why the existing directory `dir` must not be updated, if so. git honours the configuration of
// the repository it finds (core.gitProxy, core.sshCommand, ...), so nothing runs in a directory
// until it is known to be a clone git2dataset made: its .git is a real directory that is not
// itself a working tree (as a repository cloned to `dir/.git` would be), git finds exactly that
// repository there, and the repository carries git2dataset's mark.
std::optional<RepoOutcome> not_ours(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  auto refuse = [&](const std::string& why) {
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("{} was not cloned by git2dataset ({}); left alone (move it away "
                               "to clone it again)",
                               dir.string(), why));
  };
  const fs::path git_dir = dir / ".git";
  struct stat st {};
  if (lstat(git_dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return outcome(repo, OutcomeKind::failed, {},
                     fmt::format("{} exists but is not a git repository; left untouched (move it "
                                 "away to clone again)",
                                 dir.string()));
    }
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("cannot inspect {}: {}", git_dir.string(), std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode))
    return refuse(".git is not a directory");
  if (lstat((git_dir / ".git").c_str(), &st) == 0 || errno != ENOENT)
    return refuse(fmt::format("{} is itself a working tree", git_dir.string()));
  auto found = git_step(ctx, repo, "rev-parse", call_in(dir, {"rev-parse", "--absolute-git-dir"}));
  if (!found)
    return refuse(found.error().reason);
  std::error_code ec;
  const fs::path actual = fs::canonical(detail::first_line(*found), ec);
  const fs::path expected = ec ? fs::path() : fs::canonical(git_dir, ec);
  if (ec || actual != expected) {
    return refuse(
        fmt::format("git finds the repository {} there, not its .git", detail::first_line(*found)));
  }
  if (config_value(dir, k_managed_key) != "true")
    return refuse(fmt::format("its config has no {}", k_managed_key));
  return std::nullopt;
}

}  // namespace

RepoOutcome update(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  if (auto refused = not_ours(repo, dir, ctx))
    return *refused;
  auto head = rev_parse(ctx, repo, dir, "HEAD");
  if (!head)
    return head.error();
  auto status = git_step(ctx, repo, "status",
                         call_in(dir, {"status", "--porcelain", "--untracked-files=no"}));
  if (!status)
    return status.error();
  if (status->find_first_not_of(" \t\r\n") != std::string::npos) {
    return outcome(repo, OutcomeKind::dirty, *head,
                   "local changes to tracked files; left untouched (commit, stash or discard "
                   "them to update)");
  }
  const bool pinned_commit = is_commit_id(repo.ref);
  if (pinned_commit && to_lower(repo.ref) == *head)
    return outcome(repo, OutcomeKind::unchanged, *head);  // a commit never moves
  if (ctx.cancelled())
    return outcome(repo, OutcomeKind::cancelled, *head, "cancelled before fetching");

  // From the line's URL, not origin: credentials live in repos.txt only. No --depth: in a
  // shallow clone the new commits then connect to the ones already here.
  const std::string ref = repo.ref.empty() ? "HEAD" : repo.ref;
  auto f =
      git_step(ctx, repo, "fetch",
               transfer_in(ctx, dir, {"fetch", "--progress", "--no-tags", "--", repo.source, ref}));
  if (!f && pinned_commit && f.error().kind == OutcomeKind::failed)
    f = fetch_everything(ctx, repo, dir);
  if (!f)
    return outcome(repo, f.error().kind, *head, f.error().reason);
  auto fetched = rev_parse(ctx, repo, dir, pinned_commit ? repo.ref : "FETCH_HEAD");
  if (!fetched)
    return fetched.error();
  if (*fetched == *head)
    return outcome(repo, OutcomeKind::unchanged, *head);

  auto run = detail::run_git(call_in(dir, {"merge-base", "--is-ancestor", *head, *fetched}));
  if (!run || (run->exit_code != 0 && run->exit_code != 1)) {
    return outcome(
        repo, OutcomeKind::failed, *head,
        run ? detail::failure_reason("merge-base", run->output, repo) : run.error().message);
  }
  const bool ancestor = run->exit_code == 0;
  Step moved;
  if (!repo.ref.empty()) {
    // A pin is followed wherever it now points (a moved tag, an older commit, another branch),
    // as long as that loses nothing: HEAD is on the way to the fetched commit, or is the commit
    // scrape itself last checked out. No branch is moved.
    const bool ours = config_value(dir, k_pinned_key) == *head;
    if (!ancestor && !ours) {
      return outcome(repo, OutcomeKind::diverged, *head,
                     fmt::format("the checked-out commit {} is neither an ancestor of the "
                                 "fetched {} nor the one git2dataset checked out; left untouched",
                                 short_sha(*head), short_sha(*fetched)));
    }
    moved = git_step(ctx, repo, "checkout",
                     call_in(dir, {"checkout", "--quiet", "--detach", *fetched, "--"}));
  } else {
    run = detail::run_git(call_in(dir, {"symbolic-ref", "--quiet", "HEAD"}));
    const bool detached = run && run->exit_code == 1;
    if (ancestor && !detached) {
      moved =
          git_step(ctx, repo, "merge", call_in(dir, {"merge", "--quiet", "--ff-only", *fetched}));
    } else if (ancestor) {
      moved = git_step(ctx, repo, "checkout",
                       call_in(dir, {"checkout", "--quiet", "--detach", *fetched, "--"}));
    } else {
      return outcome(repo, OutcomeKind::diverged, *head,
                     fmt::format("the checked-out commit {} is not an ancestor of the fetched "
                                 "{}; left untouched",
                                 short_sha(*head), short_sha(*fetched)));
    }
  }
  if (!moved)
    return outcome(repo, OutcomeKind::failed, *head, moved.error().reason);
  auto now = rev_parse(ctx, repo, dir, "HEAD");
  const std::string commit = now ? *now : *fetched;
  if (auto recorded = record_commit(ctx, repo, dir, commit); !recorded)
    spdlog::warn("{}: {}", repo.display, recorded.error().reason);
  return outcome(repo, OutcomeKind::updated, commit);
}

}  // namespace g2d::git::detail
