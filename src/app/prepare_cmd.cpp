// `git2dataset prepare`: discovery and change detection; with --dry-run, the list of what a run
// would do, without calling the LLM or writing the database.
#include <filesystem>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "discover/discover.hpp"
#include "git/scrape.hpp"
#include "pipeline/plan.hpp"
#include "store/store.hpp"

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

// What identifies the model in the settings fingerprint: the backend and the model's name (for
// llama_cpp, the GGUF file's name: moving the file does not invalidate the dataset).
std::string model_identity(const config::LoadedConfig& cfg) {
  const auto& llm = cfg.config.llm;
  if (llm.backend == "llama_cpp")
    return llm.backend + ":" + model_path(cfg).filename().string();
  return llm.backend + ":" + llm.model;
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

}  // namespace

int run_prepare(const cli::Invocation& inv, std::ostream& out) {
  auto cfg = load_config(inv);
  if (!inv.dry_run) {
    throw UsageError(
        "prepare: question generation is not part of this build yet; `git2dataset prepare "
        "--dry-run` shows what it would process");
  }
  fs::path repos_dir = config::resolve_path(cfg, cfg.config.pipeline.repos_dir);
  auto repos = discover::find_repositories(repos_dir);
  if (!repos) {
    spdlog::error("{}", repos.error().message);
    return 1;
  }
  if (repos->empty()) {
    out << "no repositories under " << printable(repos_dir.string())
        << " (run `git2dataset scrape` first)\n";
  }

  std::unique_ptr<store::Store> store;
  if (database_is_url(cfg)) {
    throw UsageError("pipeline.database: PostgreSQL is not supported by this build yet");
  }
  fs::path db = database_path(cfg);
  if (fs::exists(db)) {
    auto opened = store::open_sqlite(db, store::OpenMode::read_only);
    if (!opened) {
      spdlog::error("{}", opened.error().message);
      return 1;
    }
    store = std::move(*opened);
  }

  discover::Options options = discover_options(cfg.config);
  std::vector<pipeline::DiscoveredRepo> found;
  for (const auto& repo : *repos) {
    pipeline::DiscoveredRepo d;
    d.repository = discover::discover_repository(repos_dir, repo, options);
    auto commit = git::head_commit(d.repository.root);
    if (commit) {
      d.commit = *commit;
    } else {
      spdlog::warn("{}: no commit checked out ({})", repo, commit.error().message);
    }
    found.push_back(std::move(d));
  }
  auto prompts = prompt_set(cfg);
  if (!prompts)
    throw UsageError(prompts.error().message);
  pipeline::Settings settings{model_identity(cfg), prompts->version,
                              cfg.config.llm.questions_per_file};
  auto plan =
      pipeline::make_plan(store.get(), std::move(found), pipeline::settings_fingerprint(settings));
  if (!plan) {
    spdlog::error("{}", plan.error().message);
    return 1;
  }
  print_plan(*plan, out);
  return 0;
}

}  // namespace g2d::app
