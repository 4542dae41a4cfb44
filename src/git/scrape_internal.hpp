// git/scrape_internal.hpp — the parts of scrape (private to g2d_git): scrape.cpp runs the
// workers and the lock and sends each repository to clone (clone.cpp: a new clone built in
// repos_dir/.partial and renamed into place) or update (update.cpp: fetch and fast-forward or
// follow the pin in a clone git2dataset made), both built from the git steps of scrape_steps.cpp.
//
// Ownership: plain values; Context is read-only while the workers run. Thread-safety: every
// function is reentrant (workers call them for different repositories at once). Errors: values —
// a Step that failed carries the repository's outcome (failed or cancelled, its reason redacted);
// clone and update always return an outcome.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "git/git_command.hpp"
#include "git/scrape.hpp"
#include "sys/fd.hpp"

namespace g2d::git::detail {

// Clones in progress live in repos_dir/.partial/<pid>-<n>: discovery skips names starting with
// '.', and a clone is only renamed into place once complete. The lock on repos_dir/.lock means no
// other scrape runs, so whatever .partial holds when a scrape starts was left by an interrupted
// one.
inline constexpr const char* k_partial_dir = ".partial";
// Written into every clone's config: `managed` marks it as made by git2dataset (nothing else is
// ever updated), `pinned` is the commit scrape last checked out there.
inline constexpr const char* k_managed_key = "git2dataset.managed";
inline constexpr const char* k_pinned_key = "git2dataset.pinned";

struct Context {
  std::filesystem::path repos_dir;  // absolute
  int depth = 1;
  std::stop_token stop;
  GitSettings settings;

  bool cancelled() const { return stop.stop_requested(); }
};

inline RepoOutcome outcome(const RepoRef& repo, OutcomeKind kind, std::string commit = {},
                           std::string reason = {}) {
  return RepoOutcome{repo, kind, std::move(commit), std::move(reason)};
}

// A full commit id (SHA-1 or SHA-256), which `git clone --branch` cannot take.
bool is_commit_id(std::string_view ref);

// The output of a git call that succeeded, or the outcome that ends this repository's turn.
using Step = tl::expected<std::string, RepoOutcome>;

// A git call in `dir` (empty: this process's working directory).
GitCall call_in(const std::filesystem::path& dir, std::vector<std::string> args,
                std::stop_token stop = {});

// A clone or fetch: cancellable, and stopped when git stays silent too long (it prints progress).
GitCall transfer_in(const Context& ctx, const std::filesystem::path& dir,
                    std::vector<std::string> args);

// Runs `call` for `repo` with the scrape's settings; `what` names the step in a failure.
Step git_step(const Context& ctx, const RepoRef& repo, std::string_view what, GitCall call);

// The full SHA `rev` names in the repository at `dir`.
Step rev_parse(const Context& ctx, const RepoRef& repo, const std::filesystem::path& dir,
               const std::string& rev);

// A config value of the repository at `dir`; empty when unset.
std::string config_value(const std::filesystem::path& dir, const char* key);

// Records the commit scrape checked out (what a later pin change may move away from).
Step record_commit(const Context& ctx, const RepoRef& repo, const std::filesystem::path& dir,
                   const std::string& commit);

// The fetch of everything the remote advertises, for servers that refuse to send a commit by id.
Step fetch_everything(const Context& ctx, const RepoRef& repo, const std::filesystem::path& dir);

// Why `dir` (relative to repos_dir) cannot hold a clone, if it cannot: components starting with
// '.' are for git (`.git`) and for scrape itself (`.partial`, `.lock`), and discovery skips them.
std::optional<std::string> dir_problem(const std::filesystem::path& dir);

// The directory that holds `dir`'s last component, opened one component at a time from
// repos_dir without following symbolic links, so that nothing created or renamed through it can
// land outside repos_dir; missing components are created when `create`, else an Fd of -1 says
// one is missing. Refuses a component that is a link or not a directory, and one holding `.git`
// (the target would be inside another clone). The error is the outcome's reason.
tl::expected<sys::Fd, std::string> open_parent(const Context& ctx, const std::filesystem::path& dir,
                                               bool create);

// Clones the missing `repo` to `target` (repos_dir / repo.dir): cloned, failed or cancelled.
RepoOutcome clone(const RepoRef& repo, const std::filesystem::path& target, const Context& ctx);

// Updates the existing directory `dir` if it is a clone git2dataset made: updated, unchanged,
// dirty, diverged, failed or cancelled.
RepoOutcome update(const RepoRef& repo, const std::filesystem::path& dir, const Context& ctx);

}  // namespace g2d::git::detail
