#include "git/scrape.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "core/text.hpp"
#include "git/git_command.hpp"

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

// Clones in progress live in repos_dir/.partial/<pid>-<n>: discovery skips names starting with
// '.', and the pid tells a later run whether the clone's owner is still alive.
constexpr const char* k_partial_dir = ".partial";

std::atomic<uint64_t> g_partial_counter{0};
std::atomic<int> g_running_scrapes{0};

struct Context {
  fs::path repos_dir;  // absolute
  int depth = 1;
  const std::atomic<bool>* cancel = nullptr;

  bool cancelled() const { return cancel != nullptr && cancel->load(std::memory_order_acquire); }
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

// The output of a git call that succeeded, or the outcome that ends this repository's turn.
using Step = tl::expected<std::string, RepoOutcome>;

Step git_step(const RepoRef& repo, std::string_view what, GitCall call) {
  call.file_transport = repo.kind == RepoKind::local;
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

Step rev_parse(const RepoRef& repo, const fs::path& dir, const std::string& rev) {
  auto out = git_step(repo, "rev-parse", {{"rev-parse", "--verify", rev + "^{commit}"}, dir});
  if (!out)
    return out;
  return detail::first_line(*out);
}

// --- clone -------------------------------------------------------------------------------------

// A commit id: an empty repository, then a fetch of just that commit (to `depth`) — servers
// that refuse unadvertised commits get a full fetch instead.
Step fetch_commit_into(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  const auto* cancel = ctx.cancel;
  if (auto s = git_step(repo, "init", {{"init", "--quiet", "--", dir.string()}, {}, {}, cancel});
      !s) {
    return s;
  }
  if (auto s = git_step(repo, "remote add",
                        {{"remote", "add", "--", "origin", repo.source}, dir, {}, cancel});
      !s) {
    return s;
  }
  std::vector<std::string> fetch{"fetch", "--quiet", "--no-tags"};
  if (ctx.depth > 0)
    fetch.push_back(fmt::format("--depth={}", ctx.depth));
  fetch.insert(fetch.end(), {"--", "origin", repo.ref});
  auto fetched = git_step(repo, "fetch", {fetch, dir, {}, cancel});
  if (!fetched) {
    if (fetched.error().kind == OutcomeKind::cancelled)
      return fetched;
    // Everything the remote advertises, then look for the commit in it.
    if (auto all = git_step(repo, "fetch",
                            {{"fetch", "--quiet", "--tags", "--", "origin"}, dir, {}, cancel});
        !all) {
      return all;
    }
  }
  return git_step(repo, "checkout",
                  {{"checkout", "--quiet", "--detach", repo.ref, "--"}, dir, {}, cancel});
}

Step clone_into(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  if (is_commit_id(repo.ref))
    return fetch_commit_into(repo, dir, ctx);
  std::vector<std::string> args{"clone", "--quiet"};
  if (repo.kind == RepoKind::local)
    args.emplace_back("--no-local");  // the transport, so --depth applies; no hard links
  if (ctx.depth > 0)
    args.push_back(fmt::format("--depth={}", ctx.depth));
  if (!repo.ref.empty())
    args.insert(args.end(), {"--branch", repo.ref});
  args.insert(args.end(), {"--", repo.source, dir.string()});
  return git_step(repo, "clone", {args, {}, {}, ctx.cancel});
}

fs::path new_partial_path(const Context& ctx) {
  return ctx.repos_dir / k_partial_dir /
         fmt::format("{}-{}", getpid(), g_partial_counter.fetch_add(1) + 1);
}

RepoOutcome clone(const RepoRef& repo, const fs::path& target, const Context& ctx) {
  const fs::path partial = new_partial_path(ctx);
  std::error_code ec;
  fs::create_directories(partial.parent_path(), ec);
  if (ec) {
    return outcome(
        repo, OutcomeKind::failed, {},
        fmt::format("cannot create {}: {}", partial.parent_path().string(), ec.message()));
  }
  auto discard = [&] { fs::remove_all(partial, ec); };
  if (auto done = clone_into(repo, partial, ctx); !done) {
    discard();
    RepoOutcome failed = done.error();
    if (failed.kind == OutcomeKind::failed && looks_like_short_sha(repo.ref))
      failed.reason += " (a commit is pinned by its full 40-character SHA)";
    return failed;
  }
  auto commit = rev_parse(repo, partial, "HEAD");
  fs::create_directories(target.parent_path(), ec);
  if (!ec)
    fs::rename(partial, target, ec);
  if (ec) {
    discard();
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("cannot move the clone into {}: {}", target.string(), ec.message()));
  }
  return outcome(repo, OutcomeKind::cloned, commit ? *commit : std::string());
}

// --- update ------------------------------------------------------------------------------------

RepoOutcome update(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || !fs::exists(dir / ".git", ec)) {
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("{} exists but is not a git repository; left untouched (move it "
                               "away to clone again)",
                               dir.string()));
  }
  auto head = rev_parse(repo, dir, "HEAD");
  if (!head)
    return head.error();
  auto status = git_step(repo, "status", {{"status", "--porcelain", "--untracked-files=no"}, dir});
  if (!status)
    return status.error();
  if (status->find_first_not_of(" \t\r\n") != std::string::npos) {
    return outcome(repo, OutcomeKind::dirty, *head,
                   "local changes to tracked files; left untouched (commit, stash or discard "
                   "them to update)");
  }
  if (is_commit_id(repo.ref) && to_lower(repo.ref) == *head)
    return outcome(repo, OutcomeKind::unchanged, *head);  // a commit never moves
  if (ctx.cancelled())
    return outcome(repo, OutcomeKind::cancelled, *head, "cancelled before fetching");

  // No --depth: in a shallow clone the new commits then connect to the ones already here.
  const std::string ref = repo.ref.empty() ? "HEAD" : repo.ref;
  if (auto f =
          git_step(repo, "fetch",
                   {{"fetch", "--quiet", "--no-tags", "--", "origin", ref}, dir, {}, ctx.cancel});
      !f) {
    return outcome(repo, f.error().kind, *head, f.error().reason);
  }
  auto fetched = rev_parse(repo, dir, "FETCH_HEAD");
  if (!fetched)
    return fetched.error();
  if (*fetched == *head)
    return outcome(repo, OutcomeKind::unchanged, *head);

  auto run = detail::run_git({{"symbolic-ref", "--quiet", "HEAD"}, dir});
  const bool detached = run && run->exit_code == 1;
  run = detail::run_git({{"merge-base", "--is-ancestor", *head, *fetched}, dir});
  if (!run || (run->exit_code != 0 && run->exit_code != 1)) {
    return outcome(
        repo, OutcomeKind::failed, *head,
        run ? detail::failure_reason("merge-base", run->output, repo) : run.error().message);
  }
  const bool ancestor = run->exit_code == 0;
  Step moved;
  if (ancestor && !detached) {
    moved = git_step(repo, "merge", {{"merge", "--quiet", "--ff-only", *fetched}, dir});
  } else if (detached && (ancestor || !repo.ref.empty())) {
    // A pinned tag or commit checked out: follow it, also when the tag was moved.
    moved = git_step(repo, "checkout", {{"checkout", "--quiet", "--detach", *fetched, "--"}, dir});
  } else {
    return outcome(repo, OutcomeKind::diverged, *head,
                   fmt::format("the checked-out commit {} is not an ancestor of the fetched {}; "
                               "left untouched",
                               short_sha(*head), short_sha(*fetched)));
  }
  if (!moved)
    return outcome(repo, OutcomeKind::failed, *head, moved.error().reason);
  auto now = rev_parse(repo, dir, "HEAD");
  return outcome(repo, OutcomeKind::updated, now ? *now : *fetched);
}

RepoOutcome scrape_one(const RepoRef& repo, const Context& ctx) {
  if (ctx.cancelled())
    return outcome(repo, OutcomeKind::cancelled, {}, "cancelled before it started");
  const fs::path target = ctx.repos_dir / repo.dir;
  std::error_code ec;
  auto status = fs::symlink_status(target, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return outcome(repo, OutcomeKind::failed, {},
                   fmt::format("cannot inspect {}: {}", target.string(), ec.message()));
  }
  if (!fs::exists(status))
    return clone(repo, target, ctx);
  return update(repo, target, ctx);
}

// Partial clones whose process is gone (or that this process left behind) are removed.
void remove_stale_partials(const fs::path& repos_dir, bool own_are_stale) {
  std::error_code ec;
  const fs::path root = repos_dir / k_partial_dir;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    long pid = 0;
    try {
      pid = std::stol(name.substr(0, name.find('-')));
    } catch (const std::exception&) {
      pid = 0;
    }
    bool own = pid == getpid();
    bool alive = pid > 0 && !own && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
    if (!alive && (!own || own_are_stale))
      stale.push_back(it->path());
  }
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
    if (options.on_outcome)
      options.on_outcome(outcomes[i]);
  };

  Context ctx;
  ctx.depth = std::max(options.depth, 0);
  ctx.cancel = options.cancel;
  std::error_code ec;
  ctx.repos_dir = fs::absolute(options.repos_dir, ec);
  if (!ec)
    fs::create_directories(ctx.repos_dir, ec);
  if (ec) {
    for (size_t i = 0; i < repos.size(); ++i) {
      report(i, outcome(
                    repos[i], OutcomeKind::failed, {},
                    fmt::format("cannot create {}: {}", options.repos_dir.string(), ec.message())));
    }
    return outcomes;
  }
  bool alone = g_running_scrapes.fetch_add(1) == 0;
  remove_stale_partials(ctx.repos_dir, alone);

  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < repos.size(); i = next.fetch_add(1)) {
      RepoOutcome result;
      try {
        result = scrape_one(repos[i], ctx);
      } catch (const std::exception& e) {
        result = outcome(repos[i], OutcomeKind::failed, {}, detail::redact(e.what(), repos[i]));
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
  g_running_scrapes.fetch_sub(1);
  return outcomes;
}

Result<std::string> head_commit(const fs::path& repo_dir) {
  auto run = detail::run_git({{"rev-parse", "--verify", "HEAD^{commit}"}, repo_dir, true, nullptr});
  if (!run)
    return tl::unexpected(run.error());
  if (run->exit_code != 0) {
    return fail(ErrorKind::not_found, "{}: no commit checked out ({})", repo_dir.string(),
                detail::first_line(run->output));
  }
  return detail::first_line(run->output);
}

}  // namespace g2d::git
