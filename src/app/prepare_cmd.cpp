// `git2dataset prepare`: discovery and change detection; with --dry-run, the list of what a run
// would do, without calling the LLM or writing the database. Otherwise the run itself: its record
// for `status` and the dashboard kept by pipeline::RunRecorder (counts, pid and host, a heartbeat
// every 2 s, the live view, and the reason when the resource gate pauses it), a line per file and
// a progress bar on a terminal (ConsoleProgress), and the user's pause (the record's
// pause_requested) obeyed from the next file a worker takes. A run holds the database's writer
// lock (lock_database): a second prepare on the same database is refused at once.
#include <chrono>
#include <filesystem>
#include <memory>
#include <ostream>
#include <stop_token>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/prepare_plan.hpp"
#include "app/progress.hpp"
#include "core/text.hpp"
#include "discover/discover.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/resource_gate.hpp"
#include "pipeline/run_recorder.hpp"
#include "store/store.hpp"
#include "sys/signals.hpp"

namespace g2d::app {

namespace fs = std::filesystem;

namespace {

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
  options.mode = generation_mode(cfg);
  options.max_tokens = llm.default_max_tokens;
  options.temperature = llm.temperature;
  options.max_retries = llm.max_retries;
  options.concurrent_files = concurrent_files(cfg);
  options.max_units_per_file = cfg.config.pipeline.max_units_per_file;
  // The first Ctrl-C stops taking files, the second abandons the work in flight.
  options.stop_taking = sys::stop_taking_token();
  options.abandon = sys::abandon_token();
  std::stop_callback say_stopping(options.stop_taking, [] {
    spdlog::warn("interrupted: finishing the files in flight (interrupt again to abandon them)");
  });
  std::stop_callback say_abandoning(
      options.abandon, [] { spdlog::warn("interrupted again: abandoning the files in flight"); });
  pipeline::RunStart start;
  for (auto c : {pipeline::Change::new_file, pipeline::Change::changed, pipeline::Change::retry})
    start.planned += plan.count(c);
  start.unchanged = plan.count(pipeline::Change::unchanged);
  spdlog::info("prepare: {} files to generate, {} unchanged, {} deleted", start.planned,
               start.unchanged, plan.count(pipeline::Change::deleted));
  for (const auto& [reason, n] : plan.skip_counts)
    start.skips[std::string(discover::to_string(reason))] = n;
  start.backend = llm.backend;
  start.model = model_shown(cfg);
  for (const auto& f : plan.files)
    if (f.change != pipeline::Change::unchanged)
      start.repo_of_file[f.file.file_path] = f.file.repo;
  if (!(*backend)->endpoints().empty())
    start.endpoints = [&backend] { return endpoint_views(**backend); };

  // The console's lines and bar (log lines are written above it), and the run's record; the
  // recorder passes every event on to the console and is the pipeline's observer.
  ConsoleProgress console(out, start.planned,
                          start.planned > 0 && inv.verbosity >= 0 && stderr_is_terminal());
  pipeline::RunRecorder recorder(store, std::move(start), &console);
  options.progress = &recorder;

  // Resources: a worker waits before taking a file while the machine is short of something.
  const auto& res = cfg.config.resources;
  pipeline::GateOptions gate_options;
  gate_options.limits.max_ram_gb = res.max_ram_gb;
  gate_options.limits.battery_pause_threshold = res.battery_pause_threshold;
  gate_options.limits.battery_monitoring = res.enable_battery_monitoring;
  gate_options.pause_requested = [&recorder] { return recorder.pause_requested(); };
  gate_options.on_change = [&recorder](const std::string& reason) { recorder.on_paused(reason); };
  pipeline::ResourceGate gate(std::move(gate_options));
  options.before_take = [&gate](const std::stop_token& stopping) {
    gate.wait_until_clear(stopping);
  };

  auto summary = pipeline::run_prepare(store, **backend, prompts, plan, options);
  recorder.finish(!summary           ? pipeline::RunEnd::failed
                  : summary->stopped ? pipeline::RunEnd::stopped
                                     : pipeline::RunEnd::finished);  // stops its heartbeat
  console.finish();  // clears the bar and stops being the console's overlay
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
  auto store = open_prepare_store(cfg, inv.dry_run);
  if (!store) {
    spdlog::error("{}", store.error().message);
    return 1;
  }
  auto found = discover_all(cfg, repos_dir, *repos);
  auto prompts = prompt_set(cfg);
  if (!prompts)
    throw UsageError(prompts.error().message);
  pipeline::Settings settings{model_identity(cfg),
                              generate::prompts_version(*prompts, generation_mode(cfg)),
                              cfg.config.llm.questions_per_file};
  auto plan =
      pipeline::make_plan(store->get(), std::move(found), pipeline::settings_fingerprint(settings));
  if (!plan) {
    spdlog::error("{}", plan.error().message);
    return 1;
  }
  if (inv.dry_run) {
    print_plan(*plan, out);
    return 0;
  }
  return generate_plan(inv, cfg, **store, *plan, pipeline::settings_fingerprint(settings), *prompts,
                       out);
}

}  // namespace g2d::app
