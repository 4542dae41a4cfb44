// `git2dataset prepare`: discovery and change detection; with --dry-run, the list of what a run
// would do, without calling the LLM or writing the database. Otherwise the run itself, with its
// state in AppState for `status` and the dashboard (counts, pid and host, a heartbeat every 2 s,
// and the reason when the resource gate pauses it), a progress bar on a terminal, and the user's
// pause (AppState run.pause_requested = "1") obeyed from the next file a worker takes. A run holds
// the database's writer lock (lock_database): a second prepare on the same database is refused at
// once.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <stop_token>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/live_run.hpp"
#include "app/progress.hpp"
#include "core/text.hpp"
#include "discover/discover.hpp"
#include "git/scrape.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/resource_gate.hpp"
#include "store/store.hpp"
#include "sys/host.hpp"
#include "sys/signals.hpp"

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

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The repositories' URLs (credentials redacted) by directory, from repos.txt when it is readable.
std::map<std::string, std::string> repo_urls(const config::LoadedConfig& cfg) {
  std::map<std::string, std::string> urls;
  auto file = git::read_repos_file(config::resolve_path(cfg, cfg.config.pipeline.repos_file));
  if (file)
    for (const auto& r : file->repos)
      urls[r.dir.generic_string()] = r.display;
  return urls;
}

// Writes AppState run.heartbeat_at (ms since the epoch) every k_heartbeat until destroyed, so
// `status` can tell a live run from one that died; `tick` runs on each beat too (the bar's clock),
// and `publish` every k_publish (the dashboard's live view, written when it changed, and the log
// file flushed for its log pane).
class Heartbeat {
 public:
  static constexpr std::chrono::seconds k_heartbeat{2};
  static constexpr std::chrono::milliseconds k_publish{500};

  Heartbeat(store::Store& store, std::function<void()> tick, std::function<void()> publish)
      : m_thread([&store, tick = std::move(tick), publish = std::move(publish),
                  this](const std::stop_token& stop) {
          std::unique_lock lock(m_mutex);
          auto next_beat = std::chrono::steady_clock::now();
          while (!stop.stop_requested()) {
            if (std::chrono::steady_clock::now() >= next_beat) {
              if (auto s = store.set_state("run.heartbeat_at", std::to_string(epoch_ms())); !s)
                spdlog::debug("cannot record run.heartbeat_at: {}", s.error().message);
              if (tick)
                tick();
              next_beat += k_heartbeat;
            }
            if (publish)
              publish();
            m_wake.wait_for(lock, stop, k_publish, [] { return false; });
          }
        }) {}

 private:
  std::mutex m_mutex;
  std::condition_variable_any m_wake;  // woken by the stop request: no sleep delays the end
  std::jthread m_thread;               // last: starts after, and stops before, the rest
};

// The model as the dashboard shows it: for llama_cpp the GGUF file's name, else llm.model (empty:
// the server's own).
std::string model_shown(const config::LoadedConfig& cfg) {
  const auto& llm = cfg.config.llm;
  if (llm.backend == "llama_cpp")
    return model_path(cfg).filename().string();
  return llm.model.empty() ? "(the server's)" : llm.model;
}

// The user's pause (AppState run.pause_requested = "1", set by the dashboard). The gate asks
// before each file a worker takes (one small read of AppState) and while it waits.
bool pause_requested(store::Store& store) {
  auto value = store.get_state("run.pause_requested");
  return value && *value && **value == "1";
}

int generate_plan(const cli::Invocation& inv, const config::LoadedConfig& cfg, store::Store& store,
                  const pipeline::Plan& plan, const std::string& fingerprint,
                  const generate::PromptSet& prompts, std::ostream& out) {
  auto backend = make_backend(cfg);
  if (!backend)
    throw UsageError(backend.error().message);
  const auto& llm = cfg.config.llm;
  pipeline::PrepareOptions options;
  options.repos_dir = config::resolve_path(cfg, cfg.config.pipeline.repos_dir);
  options.model = model_identity(cfg);
  options.repo_urls = repo_urls(cfg);
  options.settings_fingerprint = fingerprint;
  options.questions_per_file = llm.questions_per_file;
  options.max_tokens = llm.default_max_tokens;
  options.temperature = llm.temperature;
  options.max_retries = llm.max_retries;
  options.concurrent_files = cfg.config.pipeline.max_concurrent_files;
  options.max_units_per_file = cfg.config.pipeline.max_units_per_file;
  // The first Ctrl-C stops taking files, the second abandons the work in flight.
  options.stop_taking = sys::stop_taking_token();
  options.abandon = sys::abandon_token();
  std::stop_callback say_stopping(options.stop_taking, [] {
    spdlog::warn("interrupted: finishing the files in flight (interrupt again to abandon them)");
  });
  std::stop_callback say_abandoning(
      options.abandon, [] { spdlog::warn("interrupted again: abandoning the files in flight"); });
  std::int64_t todo = 0;
  for (auto c : {pipeline::Change::new_file, pipeline::Change::changed, pipeline::Change::retry})
    todo += plan.count(c);
  spdlog::info("prepare: {} files to generate, {} unchanged, {} deleted", todo,
               plan.count(pipeline::Change::unchanged), plan.count(pipeline::Change::deleted));
  // Run state for `status` and the dashboard (AppState). Progress is best effort: a failure to
  // record it is logged, never fatal.
  auto note = [&store](std::string_view key, const std::string& value) {
    if (auto s = store.set_state(key, value); !s)
      spdlog::warn("cannot record {} for status: {}", key, s.error().message);
  };
  nlohmann::json skips = nlohmann::json::object();
  for (const auto& [reason, n] : plan.skip_counts)
    skips[std::string(discover::to_string(reason))] = n;
  // A pause asked of an earlier run that ended while paused is not carried into this one.
  if (pause_requested(store)) {
    spdlog::info("a pause asked of an earlier run was cleared: this run starts working");
    note("run.pause_requested", "0");
  }
  note("run.pid", std::to_string(getpid()));
  note("run.host", sys::host_name());
  note("run.heartbeat_at", std::to_string(epoch_ms()));
  note("run.paused", "");
  note("run.state", "running");
  note("run.started_at", std::to_string(epoch_ms()));
  note("run.finished_at", "");
  note("run.planned", std::to_string(todo));
  note("run.unchanged", std::to_string(plan.count(pipeline::Change::unchanged)));
  note("run.done", "0");
  note("run.failed", "0");
  note("discover.skips", skips.dump());
  note("run.backend", llm.backend);
  note("run.model", model_shown(cfg));
  // The live view (run.live) for the dashboard: files in flight, the current repository, calls.
  std::map<std::string, std::string> repo_of_file;
  for (const auto& f : plan.files)
    if (f.change != pipeline::Change::unchanged)
      repo_of_file[f.file.file_path] = f.file.repo;
  LiveRun live(std::move(repo_of_file));
  note("run.live", *live.take_if_changed());
  options.on_file_started = [&live](const std::string& path) {
    live.file_started(path, epoch_ms());
  };
  options.on_file_ended = [&live](const std::string& path) { live.file_ended(path); };
  options.on_generated = [&live](int questions, int answers) {
    live.generated(questions, answers);
  };

  // A bar on a terminal; log lines are written above it (it is the console's overlay).
  std::unique_ptr<ProgressBar> bar;
  if (todo > 0 && inv.verbosity >= 0 && stderr_is_terminal())
    bar = std::make_unique<ProgressBar>(todo);

  // Resources: a worker waits before taking a file while the machine is short of something.
  const auto& res = cfg.config.resources;
  pipeline::GateOptions gate_options;
  gate_options.limits.max_ram_gb = res.max_ram_gb;
  gate_options.limits.battery_pause_threshold = res.battery_pause_threshold;
  gate_options.limits.battery_monitoring = res.enable_battery_monitoring;
  gate_options.pause_requested = [&store] { return pause_requested(store); };
  gate_options.on_change = [&note, &bar](const std::string& reason) {
    note("run.paused", reason);
    if (bar)
      bar->set_paused(reason);
  };
  pipeline::ResourceGate gate(std::move(gate_options));
  options.before_take = [&gate](std::stop_token stopping) { gate.wait_until_clear(stopping); };

  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::mutex out_mutex;
  auto heartbeat = std::make_unique<Heartbeat>(
      store,
      [&bar] {
        if (bar)
          bar->tick();
      },
      [&live, &note] {
        if (auto changed = live.take_if_changed())
          note("run.live", *changed);
        // The log file is buffered; the dashboard tails it, so it is flushed here too.
        spdlog::default_logger()->flush();
      });
  auto summary = pipeline::run_prepare(
      store, **backend, prompts, plan, options, [&](const pipeline::FileOutcome& f) {
        std::lock_guard lock(out_mutex);
        live.file_finished(f.file_path, f.ok, f.samples);
        if (f.ok)
          note("run.done", std::to_string(++done));
        else
          note("run.failed", std::to_string(++failed));
        auto print = [&] {
          if (f.ok)
            out << fmt::format("done       {}  {} sample{}, {:.1f} s{}\n", printable(f.file_path),
                               f.samples, f.samples == 1 ? "" : "s", f.seconds,
                               f.redactions > 0
                                   ? fmt::format(", {} secret{} redacted", f.redactions,
                                                 f.redactions == 1 ? "" : "s")
                                   : "");
          else
            out << fmt::format("failed     {}  {}\n", printable(f.file_path), printable(f.error));
          out.flush();
        };
        if (bar) {
          bar->write_above(print);
          bar->file_finished(f.ok);
        } else {
          print();
        }
      });
  heartbeat.reset();  // stops and joins at once
  bar.reset();        // clears the bar and stops being the console's overlay
  note("run.paused", "");
  note("run.live", live.json());
  note("run.state", !summary ? "failed" : summary->stopped ? "stopped" : "finished");
  note("run.finished_at", std::to_string(epoch_ms()));
  if (!summary) {
    spdlog::error("{}", summary.error().message);
    return 1;
  }
  out << fmt::format(
      "prepare: {} done ({} sample{}), {} failed, {} skipped, {} unchanged, {} "
      "retired{}\n",
      summary->done, summary->samples, summary->samples == 1 ? "" : "s", summary->failed,
      summary->skipped, plan.count(pipeline::Change::unchanged), summary->retired,
      summary->stopped ? "; stopped early" : "");
  (*backend)->unload();
  if (sys::interrupted())
    return 130;
  return summary->failed > 0 ? 1 : 0;
}

}  // namespace

int run_prepare(const cli::Invocation& inv, std::ostream& out) {
  auto cfg = load_config(inv);
  // One writer per database: a second prepare is refused here, before any model call.
  std::shared_ptr<sys::FileLock> lock;
  if (!inv.dry_run) {
    lock = lock_database(cfg, "prepare");
    if (!lock)
      return 1;
    attach_log_file(cfg);
    sys::handle_interrupts();
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
  if (!inv.dry_run || fs::exists(db)) {
    // A dry run never creates the database or changes what it holds; a database of an older
    // schema is upgraded first, as any prepare would upgrade it.
    auto opened = store::open_sqlite(
        db, inv.dry_run ? store::OpenMode::read_only : store::OpenMode::read_write);
    if (!opened && inv.dry_run && store::is_older_schema(opened.error())) {
      spdlog::info("{} is from an older git2dataset: its schema is upgraded first", db.string());
      auto upgraded = store::open_sqlite(db, store::OpenMode::read_write);
      if (!upgraded) {
        spdlog::error("{}", upgraded.error().message);
        return 1;
      }
      upgraded->reset();
      opened = store::open_sqlite(db, store::OpenMode::read_only);
    }
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
  if (inv.dry_run) {
    print_plan(*plan, out);
    return 0;
  }
  return generate_plan(inv, cfg, *store, *plan, pipeline::settings_fingerprint(settings), *prompts,
                       out);
}

}  // namespace g2d::app
