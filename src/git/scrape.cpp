#include "git/scrape.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>  // renameatx_np (macOS)
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <stop_token>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>
#if defined(__linux__)
#include <linux/fs.h>  // RENAME_NOREPLACE
#include <sys/syscall.h>
#endif

#include <spdlog/spdlog.h>

#include "core/text.hpp"
#include "git/git_command.hpp"
#include "sys/fd.hpp"

namespace g2d::git {

namespace fs = std::filesystem;
using detail::GitCall;

std::string_view to_string(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::cloned:
      return "cloned";
    case OutcomeKind::updated:
      return "updated";
    case OutcomeKind::unchanged:
      return "unchanged";
    case OutcomeKind::dirty:
      return "dirty";
    case OutcomeKind::diverged:
      return "diverged";
    case OutcomeKind::failed:
      return "failed";
    case OutcomeKind::cancelled:
      return "cancelled";
  }
  return "failed";
}

bool succeeded(OutcomeKind kind) {
  return kind == OutcomeKind::cloned || kind == OutcomeKind::updated ||
         kind == OutcomeKind::unchanged;
}

namespace {

using Clock = std::chrono::steady_clock;

// Clones in progress live in repos_dir/.partial/<pid>-<n>: discovery skips names starting with
// '.', and a clone is only renamed into place once complete. The lock on repos_dir/.lock means no
// other scrape runs, so whatever .partial holds when a scrape starts was left by an interrupted
// one.
constexpr const char* k_partial_dir = ".partial";
constexpr const char* k_lock_file = ".lock";
constexpr auto k_lock_wait = std::chrono::seconds(10);
constexpr auto k_lock_poll = std::chrono::milliseconds(100);
// Clone and fetch print progress (--progress): this long without any output is a stalled server.
constexpr auto k_network_idle_timeout = std::chrono::minutes(10);
// Written into every clone's config: `managed` marks it as made by git2dataset (nothing else is
// ever updated), `pinned` is the commit scrape last checked out there.
constexpr const char* k_managed_key = "git2dataset.managed";
constexpr const char* k_pinned_key = "git2dataset.pinned";

std::atomic<uint64_t> g_partial_counter{0};

using sys::Fd;

struct Context {
  fs::path repos_dir;  // absolute
  int depth = 1;
  std::stop_token stop;
  detail::GitSettings settings;

  bool cancelled() const { return stop.stop_requested(); }
};

RepoOutcome outcome(const RepoRef& repo, OutcomeKind kind, std::string commit = {},
                    std::string reason = {}) {
  return RepoOutcome{repo, kind, std::move(commit), std::move(reason)};
}

// A full commit id (SHA-1 or SHA-256), which `git clone --branch` cannot take.
bool is_commit_id(std::string_view ref) {
  return (ref.size() == 40 || ref.size() == 64) &&
         std::all_of(ref.begin(), ref.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// A ref that is probably an abbreviated commit id, which only a full id can pin.
bool looks_like_short_sha(std::string_view ref) {
  return ref.size() >= 7 && ref.size() < 40 &&
         std::all_of(ref.begin(), ref.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::string short_sha(std::string_view sha) {
  return std::string(sha.substr(0, 12));
}

// --- the filesystem, without following links ---------------------------------------------------

// Why `dir` (relative to repos_dir) cannot hold a clone, if it cannot: components starting with
// '.' are for git (`.git`) and for scrape itself (`.partial`, `.lock`), and discovery skips them.
std::optional<std::string> dir_problem(const fs::path& dir) {
  if (dir.empty() || dir.is_absolute())
    return fmt::format("the clone directory '{}' is not a relative path", dir.string());
  for (const auto& part : dir) {
    std::string name = part.string();
    if (name.empty() || name.front() == '.') {
      return fmt::format("the clone directory {} has a component starting with '.' ('{}')",
                         dir.string(), name);
    }
  }
  return std::nullopt;
}

// The directory that holds `dir`'s last component, opened one component at a time from
// repos_dir without following symbolic links, so that nothing created or renamed through it can
// land outside repos_dir; missing components are created when `create`, else an Fd of -1 says
// one is missing. Refuses a component that is a link or not a directory, and one holding `.git`
// (the target would be inside another clone). The error is the outcome's reason.
tl::expected<Fd, std::string> open_parent(const Context& ctx, const fs::path& dir, bool create) {
  const fs::path target = ctx.repos_dir / dir;
  Fd at(open(ctx.repos_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (at.get() < 0)
    return tl::unexpected(
        fmt::format("cannot open {}: {}", ctx.repos_dir.string(), std::strerror(errno)));
  fs::path path = ctx.repos_dir;
  for (const auto& part : dir.parent_path()) {
    const std::string name = part.string();
    path /= part;
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    Fd next(openat(at.get(), name.c_str(), flags));
    if (next.get() < 0 && errno == ENOENT && create) {
      if (mkdirat(at.get(), name.c_str(), 0777) != 0 && errno != EEXIST)
        return tl::unexpected(
            fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
      next = Fd(openat(at.get(), name.c_str(), flags));
    }
    if (next.get() < 0) {
      const int err = errno;
      struct stat st {};
      bool exists = fstatat(at.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (exists && S_ISLNK(st.st_mode)) {
        return tl::unexpected(fmt::format(
            "{} is a symbolic link; refusing to clone or update through it (a clone's parent "
            "folders must be real directories under {})",
            path.string(), ctx.repos_dir.string()));
      }
      if (exists && !S_ISDIR(st.st_mode))
        return tl::unexpected(fmt::format("{} is not a directory", path.string()));
      if (err == ENOENT && !create)
        return Fd();
      return tl::unexpected(fmt::format("cannot open {}: {}", path.string(), std::strerror(err)));
    }
    struct stat st {};
    if (fstatat(next.get(), ".git", &st, AT_SYMLINK_NOFOLLOW) == 0) {
      return tl::unexpected(fmt::format(
          "{} would be inside the git repository {}; a clone is never put inside another one",
          target.string(), path.string()));
    }
    at = std::move(next);
  }
  return at;
}

// rename(2) that fails with EEXIST rather than replace an existing (empty) directory.
int rename_noreplace(const char* from, int to_dir, const char* to) {
#if defined(__linux__)
  if (syscall(SYS_renameat2, AT_FDCWD, from, to_dir, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return -1;  // ENOSYS: a kernel before 3.15; EINVAL: a filesystem without the flag
#elif defined(__APPLE__)
  return renameatx_np(AT_FDCWD, from, to_dir, to, RENAME_EXCL);
#endif
  // Best effort: a directory appearing between this check and the rename is replaced if empty.
  struct stat st {};
  if (fstatat(to_dir, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    errno = EEXIST;
    return -1;
  }
  return renameat(AT_FDCWD, from, to_dir, to);
}

// --- git ---------------------------------------------------------------------------------------

// The output of a git call that succeeded, or the outcome that ends this repository's turn.
using Step = tl::expected<std::string, RepoOutcome>;

GitCall call_in(const fs::path& dir, std::vector<std::string> args, std::stop_token stop = {}) {
  GitCall call;
  call.args = std::move(args);
  call.cwd = dir;
  call.stop = std::move(stop);
  return call;
}

// A clone or fetch: cancellable, and stopped when git stays silent too long (it prints progress).
GitCall transfer_in(const Context& ctx, const fs::path& dir, std::vector<std::string> args) {
  GitCall call = call_in(dir, std::move(args), ctx.stop);
  call.idle_timeout = k_network_idle_timeout;
  return call;
}

Step git_step(const Context& ctx, const RepoRef& repo, std::string_view what, GitCall call) {
  call.file_transport = repo.kind == RepoKind::local;
  call.settings = &ctx.settings;
  auto run = detail::run_git(call);
  if (!run) {
    if (run.error().kind == ErrorKind::cancelled) {
      return tl::unexpected(
          outcome(repo, OutcomeKind::cancelled, {}, fmt::format("cancelled during git {}", what)));
    }
    return tl::unexpected(
        outcome(repo, OutcomeKind::failed, {}, detail::redact(run.error().message, repo)));
  }
  if (run->exit_code != 0) {
    return tl::unexpected(
        outcome(repo, OutcomeKind::failed, {}, detail::failure_reason(what, run->output, repo)));
  }
  return std::move(run->output);
}

Step rev_parse(const Context& ctx, const RepoRef& repo, const fs::path& dir,
               const std::string& rev) {
  auto out =
      git_step(ctx, repo, "rev-parse", call_in(dir, {"rev-parse", "--verify", rev + "^{commit}"}));
  if (!out)
    return out;
  return detail::first_line(*out);
}

// A config value of the repository at `dir`; empty when unset.
std::string config_value(const fs::path& dir, const char* key) {
  auto run = detail::run_git(call_in(dir, {"config", "--get", key}));
  return run && run->exit_code == 0 ? detail::first_line(run->output) : std::string();
}

// Records the commit scrape checked out (what a later pin change may move away from).
Step record_commit(const Context& ctx, const RepoRef& repo, const fs::path& dir,
                   const std::string& commit) {
  return git_step(ctx, repo, "config", call_in(dir, {"config", k_pinned_key, commit}));
}

// The fetch of everything the remote advertises, for servers that refuse to send a commit by id.
Step fetch_everything(const Context& ctx, const RepoRef& repo, const fs::path& dir) {
  return git_step(ctx, repo, "fetch",
                  transfer_in(ctx, dir,
                              {"fetch", "--progress", "--tags", "--", repo.source,
                               "+refs/heads/*:refs/remotes/origin/*"}));
}

// --- clone -------------------------------------------------------------------------------------

// A commit id: an empty repository, then a fetch of just that commit (to `depth`) — servers
// that refuse unadvertised commits get a full fetch instead.
Step fetch_commit_into(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  if (auto s = git_step(ctx, repo, "init",
                        call_in({}, {"init", "--quiet", "--", dir.string()}, ctx.stop));
      !s) {
    return s;
  }
  if (auto s = git_step(
          ctx, repo, "remote add",
          call_in(dir, {"remote", "add", "--", "origin", detail::without_credentials(repo.source)},
                  ctx.stop));
      !s) {
    return s;
  }
  std::vector<std::string> fetch{"fetch", "--progress", "--no-tags"};
  if (ctx.depth > 0)
    fetch.push_back(fmt::format("--depth={}", ctx.depth));
  fetch.insert(fetch.end(), {"--", repo.source, repo.ref});
  auto fetched = git_step(ctx, repo, "fetch", transfer_in(ctx, dir, fetch));
  if (!fetched) {
    if (fetched.error().kind == OutcomeKind::cancelled)
      return fetched;
    if (auto all = fetch_everything(ctx, repo, dir); !all)
      return all;
  }
  return git_step(ctx, repo, "checkout",
                  call_in(dir, {"checkout", "--quiet", "--detach", repo.ref, "--"}, ctx.stop));
}

Step clone_into(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  if (is_commit_id(repo.ref))
    return fetch_commit_into(repo, dir, ctx);
  std::vector<std::string> args{"clone", "--progress"};
  if (repo.kind == RepoKind::local)
    args.emplace_back("--no-local");  // the transport, so --depth applies; no hard links
  if (ctx.depth > 0)
    args.push_back(fmt::format("--depth={}", ctx.depth));
  if (!repo.ref.empty())
    args.insert(args.end(), {"--branch", repo.ref});
  args.insert(args.end(), {"--", repo.source, dir.string()});
  return git_step(ctx, repo, "clone", transfer_in(ctx, {}, args));
}

// After a clone: origin without credentials (updates fetch from the line's URL, so credentials
// come from repos.txt each run and never rest in .git/config), and the mark of a managed clone.
Step make_ours(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  const std::string stored = detail::without_credentials(repo.source);
  if (stored != repo.source) {
    if (auto s = git_step(ctx, repo, "remote set-url",
                          call_in(dir, {"remote", "set-url", "--", "origin", stored}));
        !s) {
      return s;
    }
  }
  return git_step(ctx, repo, "config", call_in(dir, {"config", k_managed_key, "true"}));
}

// repos_dir/.partial, which must be a real directory: its contents are removed by later runs.
std::optional<std::string> partial_root_problem(const fs::path& root) {
  std::error_code ec;
  fs::create_directory(root, ec);
  auto status = fs::symlink_status(root, ec);
  if (ec)
    return fmt::format("cannot create {}: {}", root.string(), ec.message());
  if (status.type() != fs::file_type::directory)
    return fmt::format("{} is not a directory (a symbolic link?); left alone", root.string());
  return std::nullopt;
}

RepoOutcome clone(const RepoRef& repo, const fs::path& target, const Context& ctx) {
  const fs::path root = ctx.repos_dir / k_partial_dir;
  if (auto problem = partial_root_problem(root))
    return outcome(repo, OutcomeKind::failed, {}, *problem);
  const fs::path partial =
      root / fmt::format("{}-{}", getpid(), g_partial_counter.fetch_add(1) + 1);
  auto discard = [&] {
    std::error_code ignored;  // a reason already explains the failure
    fs::remove_all(partial, ignored);
  };
  auto done = clone_into(repo, partial, ctx);
  if (done)
    done = make_ours(repo, partial, ctx);
  std::string commit;
  if (done) {
    done = rev_parse(ctx, repo, partial, "HEAD");
    if (done)
      commit = *done;
  }
  if (done)
    done = record_commit(ctx, repo, partial, commit);
  if (!done) {
    discard();
    RepoOutcome failed = done.error();
    if (failed.kind == OutcomeKind::failed && looks_like_short_sha(repo.ref))
      failed.reason += " (a commit is pinned by its full 40-character SHA)";
    return failed;
  }
  auto parent = open_parent(ctx, repo.dir, true);
  if (!parent) {
    discard();
    return outcome(repo, OutcomeKind::failed, {}, parent.error());
  }
  const std::string name = repo.dir.filename().string();
  if (rename_noreplace(partial.c_str(), parent->get(), name.c_str()) != 0) {
    const int err = errno;
    discard();
    return outcome(
        repo, OutcomeKind::failed, {},
        fmt::format(
            "cannot move the clone into {}: {}{}", target.string(), std::strerror(err),
            err == EEXIST || err == ENOTEMPTY ? " (it appeared while cloning; left alone)" : ""));
  }
  return outcome(repo, OutcomeKind::cloned, commit);
}

// --- update ------------------------------------------------------------------------------------

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

RepoOutcome scrape_one(const RepoRef& repo, const Context& ctx) {
  if (ctx.cancelled())
    return outcome(repo, OutcomeKind::cancelled, {}, "cancelled before it started");
  if (auto problem = dir_problem(repo.dir))
    return outcome(repo, OutcomeKind::failed, {}, *problem);
  const fs::path target = ctx.repos_dir / repo.dir;
  auto parent = open_parent(ctx, repo.dir, false);
  if (!parent)
    return outcome(repo, OutcomeKind::failed, {}, parent.error());
  if (parent->get() < 0)
    return clone(repo, target, ctx);
  struct stat st {};
  if (fstatat(parent->get(), repo.dir.filename().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return clone(repo, target, ctx);
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("cannot inspect {}: {}", target.string(), std::strerror(errno)));
  }
  if (S_ISLNK(st.st_mode)) {
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("{} is a symbolic link; left alone (clones live in real "
                               "directories)",
                               target.string()));
  }
  if (!S_ISDIR(st.st_mode)) {
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("{} exists but is not a directory; left alone", target.string()));
  }
  return update(repo, target, ctx);
}

// --- one scrape per repos_dir ------------------------------------------------------------------

struct ReposLock {
  Fd fd;              // holds the lock while open
  bool held = false;  // false: no lock (see error, cancelled)
  bool cancelled = false;
  std::string error;  // set: give up with this reason
};

// An exclusive flock on repos_dir/.lock: a moment's wait for another scrape to finish, then give
// up. A filesystem that cannot lock is scraped without the lock (and stale clones stay).
ReposLock lock_repos_dir(const Context& ctx) {
  ReposLock lock;
  const fs::path path = ctx.repos_dir / k_lock_file;
  lock.fd = Fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (lock.fd.get() < 0) {
    lock.error = fmt::format("cannot open {}: {}", path.string(), std::strerror(errno));
    return lock;
  }
  const auto deadline = Clock::now() + k_lock_wait;
  bool told = false;
  for (;;) {
    if (flock(lock.fd.get(), LOCK_EX | LOCK_NB) == 0) {
      lock.held = true;
      return lock;
    }
    if (errno == EINTR)
      continue;
    if (errno != EWOULDBLOCK) {
      spdlog::warn("cannot lock {} ({}): scraping without protection against a second scrape",
                   path.string(), std::strerror(errno));
      return lock;
    }
    if (!told) {
      spdlog::warn("another git2dataset scrape is running on {}; waiting up to {} s for it",
                   ctx.repos_dir.string(), k_lock_wait.count());
      told = true;
    }
    if (ctx.cancelled()) {
      lock.cancelled = true;
      return lock;
    }
    if (Clock::now() >= deadline) {
      lock.error =
          fmt::format("another git2dataset scrape is running on {}", ctx.repos_dir.string());
      return lock;
    }
    // The next try after k_lock_poll, or at once on a stop request.
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock pause(m);
    cv.wait_for(pause, ctx.stop, k_lock_poll, [] { return false; });
  }
}

// Everything in .partial: with the lock held, no other scrape is cloning into it.
void remove_partials(const fs::path& repos_dir) {
  std::error_code ec;
  const fs::path root = repos_dir / k_partial_dir;
  if (fs::symlink_status(root, ec).type() != fs::file_type::directory)
    return;  // nothing there, or not ours to empty
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    stale.push_back(it->path());
  for (const auto& path : stale)
    fs::remove_all(path, ec);
}

}  // namespace

std::vector<RepoOutcome> scrape(const std::vector<RepoRef>& repos, const ScrapeOptions& options) {
  std::vector<RepoOutcome> outcomes(repos.size());
  std::mutex report_mutex;
  auto report = [&](size_t i, RepoOutcome result) {
    std::lock_guard lock(report_mutex);
    outcomes[i] = std::move(result);
    if (!options.on_outcome)
      return;
    // An observer's failure is not the repository's, and must not end the worker thread (and
    // with it the process).
    try {
      options.on_outcome(outcomes[i]);
    } catch (const std::exception& e) {
      spdlog::error("scrape: reporting {} failed: {}", outcomes[i].repo.display, e.what());
    } catch (...) {
      spdlog::error("scrape: reporting {} failed", outcomes[i].repo.display);
    }
  };
  auto report_all = [&](OutcomeKind kind, const std::string& reason) {
    for (size_t i = 0; i < repos.size(); ++i)
      report(i, outcome(repos[i], kind, {}, reason));
    return outcomes;
  };

  Context ctx;
  ctx.depth = std::max(options.depth, 0);
  ctx.stop = options.stop;
  std::error_code ec;
  ctx.repos_dir = fs::absolute(options.repos_dir, ec);
  if (!ec)
    fs::create_directories(ctx.repos_dir, ec);
  if (ec) {
    return report_all(OutcomeKind::failed, fmt::format("cannot create {}: {}",
                                                       options.repos_dir.string(), ec.message()));
  }
  ReposLock lock = lock_repos_dir(ctx);
  if (lock.cancelled) {
    return report_all(OutcomeKind::cancelled,
                      fmt::format("cancelled while waiting for another git2dataset scrape on {}",
                                  ctx.repos_dir.string()));
  }
  if (!lock.error.empty())
    return report_all(OutcomeKind::failed, lock.error);
  if (lock.held)
    remove_partials(ctx.repos_dir);
  ctx.settings = detail::read_git_settings();

  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < repos.size(); i = next.fetch_add(1)) {
      RepoOutcome result;
      try {
        result = scrape_one(repos[i], ctx);
      } catch (const std::exception& e) {
        result = outcome(repos[i], OutcomeKind::failed, {}, detail::redact(e.what(), repos[i]));
      } catch (...) {
        result = outcome(repos[i], OutcomeKind::failed, {}, "unexpected error");
      }
      report(i, std::move(result));
    }
  };
  const size_t jobs =
      std::min(static_cast<size_t>(std::max(options.jobs, 1)), std::max<size_t>(repos.size(), 1));
  std::vector<std::thread> threads;
  threads.reserve(jobs);
  for (size_t j = 0; j < jobs; ++j) {
    try {
      threads.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // fewer workers; the ones running take the rest
    }
  }
  if (threads.empty())
    worker();
  for (auto& thread : threads)
    thread.join();

  fs::remove(ctx.repos_dir / k_partial_dir, ec);  // only when empty
  return outcomes;
}

Result<std::string> head_commit(const fs::path& repo_dir) {
  auto run = detail::run_git({{"rev-parse", "--verify", "HEAD^{commit}"}, repo_dir, true, {}});
  if (!run)
    return tl::unexpected(run.error());
  if (run->exit_code != 0) {
    return fail(ErrorKind::not_found, "{}: no commit checked out ({})", repo_dir.string(),
                detail::first_line(run->output));
  }
  return detail::first_line(run->output);
}

Result<std::vector<std::string>> tracked_files(const fs::path& repo_dir) {
  constexpr size_t k_max_listing = size_t{64} << 20;
  detail::GitCall call{{"ls-files", "-z", "--cached", "--full-name"}, repo_dir, false, {}};
  call.max_output = k_max_listing;
  call.stderr_to_null = true;  // a warning on stderr would be read as part of a path
  auto run = detail::run_git(call);
  if (!run)
    return tl::unexpected(run.error());
  if (run->exit_code != 0)
    return fail(ErrorKind::io, "{}: git ls-files failed (exit {})", repo_dir.string(),
                run->exit_code);
  if (run->output.size() >= k_max_listing)
    return fail(ErrorKind::io, "{}: git lists more than 64 MiB of tracked paths",
                repo_dir.string());
  std::vector<std::string> paths;
  std::string_view rest = run->output;
  while (!rest.empty()) {
    size_t end = rest.find('\0');
    if (end == std::string_view::npos)
      break;  // not a path git ended: a message, never a path
    if (end > 0)
      paths.emplace_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

}  // namespace g2d::git
