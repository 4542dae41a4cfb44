// scrape(): the lock on repos_dir, the removal of what an interrupted scrape left, and the
// workers that take repositories in turn and send each to clone or update (scrape_internal.hpp);
// also the two questions discovery asks of a clone (its HEAD, its tracked files). Thread-safety:
// scrape() is reentrant for different repos_dirs (the lock serialises one repos_dir); outcomes
// are reported one at a time. Errors: per repository, in its outcome; head_commit and
// tracked_files return run_git's errors.
#include "git/scrape.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/enum_names.hpp"
#include "git/git_command.hpp"
#include "git/scrape_internal.hpp"
#include "sys/fd.hpp"

namespace g2d::git {

namespace fs = std::filesystem;
using detail::clone;
using detail::Context;
using detail::dir_problem;
using detail::k_partial_dir;
using detail::open_parent;
using detail::outcome;
using detail::update;
using sys::Fd;

constexpr auto k_outcome_names = enum_names<OutcomeKind>({
    {OutcomeKind::cloned, "cloned"},
    {OutcomeKind::updated, "updated"},
    {OutcomeKind::unchanged, "unchanged"},
    {OutcomeKind::dirty, "dirty"},
    {OutcomeKind::diverged, "diverged"},
    {OutcomeKind::failed, "failed"},
    {OutcomeKind::cancelled, "cancelled"},
});

std::string_view to_string(OutcomeKind kind) {
  return name_of(k_outcome_names, kind, "failed");
}

bool succeeded(OutcomeKind kind) {
  return kind == OutcomeKind::cloned || kind == OutcomeKind::updated ||
         kind == OutcomeKind::unchanged;
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* k_lock_file = ".lock";  // see detail::k_partial_dir
constexpr auto k_lock_wait = std::chrono::seconds(10);
constexpr auto k_lock_poll = std::chrono::milliseconds(100);

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
