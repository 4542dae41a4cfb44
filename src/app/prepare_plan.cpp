#include "app/prepare_plan.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "discover/discover.hpp"
#include "git/scrape.hpp"

namespace g2d::app {

namespace fs = std::filesystem;

namespace {

discover::Options discover_options(const config::Config& config) {
  discover::Options o;
  o.allowed_extensions = config.pipeline.allowed_extensions;
  o.include_file_names = config.pipeline.include_file_names;
  o.ignore_patterns = config.pipeline.ignore_patterns;
  o.max_file_bytes = static_cast<std::uint64_t>(config.pipeline.max_file_bytes);
  o.hash_threads = 0;
  return o;
}

}  // namespace

std::vector<pipeline::DiscoveredRepo> discover_all(const config::LoadedConfig& cfg,
                                                   const fs::path& repos_dir,
                                                   const std::vector<std::string>& repos) {
  discover::Options options = discover_options(cfg.config);
  std::vector<pipeline::DiscoveredRepo> found;
  for (const auto& repo : repos) {
    pipeline::DiscoveredRepo d;
    // .gitignore applies to untracked files only: git says which files it tracks.
    auto tracked = git::tracked_files(repos_dir / repo);
    if (!tracked)
      spdlog::warn("{}: tracked files unknown, .gitignore applies to every file ({})", repo,
                   tracked.error().message);
    d.repository = discover::discover_repository(repos_dir, repo, options,
                                                 tracked ? *tracked : std::vector<std::string>{});
    auto commit = git::head_commit(d.repository.root);
    if (commit) {
      d.commit = *commit;
    } else {
      spdlog::warn("{}: no commit checked out ({})", repo, commit.error().message);
    }
    found.push_back(std::move(d));
  }
  return found;
}

Result<std::unique_ptr<store::Store>> open_prepare_store(const config::LoadedConfig& cfg,
                                                         bool dry_run) {
  if (database_is_url(cfg))
    throw UsageError("pipeline.database: PostgreSQL is not supported by this build yet");
  fs::path db = database_path(cfg);
  if (dry_run && !fs::exists(db))
    return std::unique_ptr<store::Store>();
  // A dry run never creates the database or changes what it holds; a database of an older
  // schema is upgraded first, as any prepare would upgrade it.
  auto opened =
      store::open_sqlite(db, dry_run ? store::OpenMode::read_only : store::OpenMode::read_write);
  if (!opened && dry_run && store::is_older_schema(opened.error())) {
    spdlog::info("{} is from an older git2dataset: its schema is upgraded first", db.string());
    auto upgraded = store::open_sqlite(db, store::OpenMode::read_write);
    if (!upgraded)
      return tl::unexpected(upgraded.error());
    upgraded->reset();
    opened = store::open_sqlite(db, store::OpenMode::read_only);
  }
  return opened;
}

void print_plan(const pipeline::Plan& plan, std::ostream& out) {
  // One line per path, in path order; names are escaped so no file name can forge a line.
  auto line = [&out](std::string_view label, const std::string& path, std::string_view tail) {
    out << fmt::format("{:<10} {}{}\n", label, printable(path), tail);
  };
  size_t f = 0;
  size_t d = 0;
  size_t s = 0;
  while (f < plan.files.size() || d < plan.deleted.size() || s < plan.skipped.size()) {
    const std::string* fp = f < plan.files.size() ? &plan.files[f].file.file_path : nullptr;
    const std::string* dp = d < plan.deleted.size() ? &plan.deleted[d] : nullptr;
    const std::string* sp = s < plan.skipped.size() ? &plan.skipped[s].file_path : nullptr;
    const std::string* first = fp;
    for (const std::string* p : {dp, sp})
      if (p != nullptr && (first == nullptr || *p < *first))
        first = p;
    if (first == fp) {
      const auto& pf = plan.files[f++];
      line(pipeline::to_string(pf.change), pf.file.file_path,
           pf.why.empty() ? std::string() : "  (" + printable(pf.why) + ")");
    } else if (first == dp) {
      line("deleted", plan.deleted[d++], "");
    } else {
      const auto& sk = plan.skipped[s++];
      line("skipped", sk.file_path,
           fmt::format("  {}: {}", discover::to_string(sk.reason), printable(sk.detail)));
    }
  }
  using pipeline::Change;
  out << fmt::format("files: {} new, {} changed, {} unchanged, {} retry, {} deleted; ",
                     plan.count(Change::new_file), plan.count(Change::changed),
                     plan.count(Change::unchanged), plan.count(Change::retry),
                     plan.count(Change::deleted));
  std::int64_t skipped_total = 0;
  std::vector<std::string> parts;
  std::vector<std::pair<std::string, std::int64_t>> reasons;
  for (const auto& [reason, n] : plan.skip_counts) {
    skipped_total += n;
    reasons.emplace_back(std::string(discover::to_string(reason)), n);
  }
  std::sort(reasons.begin(), reasons.end());
  parts.reserve(reasons.size());
  for (const auto& [name, n] : reasons)
    parts.push_back(fmt::format("{} {}", name, n));
  out << fmt::format("skipped {}{}\n", skipped_total,
                     parts.empty() ? "" : fmt::format(" ({})", fmt::join(parts, ", ")));
}

std::string model_identity(const config::LoadedConfig& cfg) {
  const auto& llm = cfg.config.llm;
  if (llm.backend == "llama_cpp")
    return llm.backend + ":" + model_path(cfg).filename().string();
  return llm.backend + ":" + llm.model;
}

std::string model_shown(const config::LoadedConfig& cfg) {
  const auto& llm = cfg.config.llm;
  if (llm.backend == "llama_cpp")
    return model_path(cfg).filename().string();
  return llm.model.empty() ? "(the server's)" : llm.model;
}

std::map<std::string, std::string> repo_urls(const config::LoadedConfig& cfg) {
  std::map<std::string, std::string> urls;
  auto file = git::read_repos_file(config::resolve_path(cfg, cfg.config.pipeline.repos_file));
  if (file)
    for (const auto& r : file->repos)
      urls[r.dir.generic_string()] = r.name;
  return urls;
}

}  // namespace g2d::app
