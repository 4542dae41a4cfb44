// The git steps scrape builds a clone or an update from: calls in a repository's directory with
// the scrape's settings, a failure turned into the repository's outcome (redacted), and the few
// questions asked of a repository (a commit, a config value). Thread-safety: reentrant.
// Errors: a Step's error is the outcome that ends the repository's turn (failed or cancelled).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "git/scrape_internal.hpp"

namespace g2d::git::detail {

namespace fs = std::filesystem;

namespace {

// Clone and fetch print progress (--progress): this long without any output is a stalled server.
constexpr auto k_network_idle_timeout = std::chrono::minutes(10);

}  // namespace

bool is_commit_id(std::string_view ref) {
  return (ref.size() == 40 || ref.size() == 64) &&
         std::all_of(ref.begin(), ref.end(), [](unsigned char c) { return std::isxdigit(c); });
}

GitCall call_in(const fs::path& dir, std::vector<std::string> args, std::stop_token stop) {
  GitCall call;
  call.args = std::move(args);
  call.cwd = dir;
  call.stop = std::move(stop);
  return call;
}

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

std::string config_value(const fs::path& dir, const char* key) {
  auto run = detail::run_git(call_in(dir, {"config", "--get", key}));
  return run && run->exit_code == 0 ? detail::first_line(run->output) : std::string();
}

Step record_commit(const Context& ctx, const RepoRef& repo, const fs::path& dir,
                   const std::string& commit) {
  return git_step(ctx, repo, "config", call_in(dir, {"config", k_pinned_key, commit}));
}

Step fetch_everything(const Context& ctx, const RepoRef& repo, const fs::path& dir) {
  return git_step(ctx, repo, "fetch",
                  transfer_in(ctx, dir,
                              {"fetch", "--progress", "--tags", "--", repo.source,
                               "+refs/heads/*:refs/remotes/origin/*"}));
}

}  // namespace g2d::git::detail
