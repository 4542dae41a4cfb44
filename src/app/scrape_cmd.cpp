// `git2dataset scrape`: clone or update every repository of repos.txt, a line per repository as
// it finishes, then the totals. Exit 0 when every line was valid and every repository succeeded,
// 130 when interrupted, 1 otherwise (including a missing repos.txt, and another scrape holding
// the same repos_dir for longer than scrape waits: see git/scrape.hpp).
#include <algorithm>
#include <array>
#include <mutex>
#include <ostream>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "git/repos_file.hpp"
#include "git/scrape.hpp"
#include "sys/signals.hpp"

namespace g2d::app {

namespace fs = std::filesystem;

namespace {

constexpr std::array k_kinds{git::OutcomeKind::cloned,    git::OutcomeKind::updated,
                             git::OutcomeKind::unchanged, git::OutcomeKind::dirty,
                             git::OutcomeKind::diverged,  git::OutcomeKind::failed,
                             git::OutcomeKind::cancelled};

// `cloned    github.com/owner/name  0123abc`, `failed    github.com/owner/name  line 3: why`.
std::string outcome_line(const git::RepoOutcome& o) {
  std::string name = o.repo.dir.generic_string();
  if (!o.repo.ref.empty())
    name += " " + o.repo.ref;
  std::string detail = o.commit.substr(0, 7);
  if (!git::succeeded(o.kind))
    detail = fmt::format("line {}: {}", o.repo.line, printable(o.reason));
  return fmt::format("{:<9} {}  {}", git::to_string(o.kind), name, detail);
}

std::string totals_line(const std::vector<git::RepoOutcome>& outcomes, size_t refused) {
  std::string counts;
  for (auto kind : k_kinds) {
    auto n = std::count_if(outcomes.begin(), outcomes.end(),
                           [&](const git::RepoOutcome& o) { return o.kind == kind; });
    if (n > 0)
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, git::to_string(kind));
  }
  if (counts.empty())
    counts = "nothing to do";
  std::string line = fmt::format("scrape: {} ({} repositor{}", counts, outcomes.size(),
                                 outcomes.size() == 1 ? "y" : "ies");
  if (refused > 0)
    line += fmt::format(", {} line{} of repos.txt refused", refused, refused == 1 ? "" : "s");
  return line + ")";
}

}  // namespace

int run_scrape(const cli::Invocation& inv, std::ostream& out) {
  auto cfg = load_config(inv);
  sys::handle_interrupts();
  const auto& pipeline = cfg.config.pipeline;
  const fs::path repos_file = config::resolve_path(cfg, pipeline.repos_file);
  auto file = git::read_repos_file(repos_file);
  if (!file) {
    spdlog::error("{}", file.error().message);
    return 1;
  }
  for (const auto& bad : file->errors) {
    spdlog::error("{}:{}: refused `{}`: {}", repos_file.string(), bad.line, printable(bad.text),
                  printable(bad.reason));
  }
  if (file->repos.empty())
    spdlog::warn("{} lists no repositories", repos_file.string());

  git::ScrapeOptions options;
  options.repos_dir = config::resolve_path(cfg, pipeline.repos_dir);
  std::error_code ec;
  if (auto type = fs::status(options.repos_dir, ec).type();
      type != fs::file_type::not_found && type != fs::file_type::directory) {
    spdlog::error("{} is not a directory (pipeline.repos_dir)", options.repos_dir.string());
    return 1;
  }
  options.depth = pipeline.clone_depth;
  options.jobs = pipeline.scrape_jobs;
  options.stop = sys::stop_taking_token();
  std::mutex out_mutex;  // scrape serialises on_outcome already; this guards `out` for clarity
  options.on_outcome = [&](const git::RepoOutcome& o) {
    std::lock_guard lock(out_mutex);
    out << outcome_line(o) << std::endl;
  };
  spdlog::debug("scrape: {} repositories into {} (depth {}, {} at once)", file->repos.size(),
                options.repos_dir.string(), options.depth, options.jobs);
  auto outcomes = git::scrape(file->repos, options);
  out << totals_line(outcomes, file->errors.size()) << std::endl;

  if (sys::interrupted()) {
    spdlog::warn("scrape interrupted: finished clones were kept, unfinished ones removed");
    return 130;
  }
  bool all_ok = std::all_of(outcomes.begin(), outcomes.end(),
                            [](const git::RepoOutcome& o) { return git::succeeded(o.kind); });
  return all_ok && file->errors.empty() ? 0 : 1;
}

}  // namespace g2d::app
