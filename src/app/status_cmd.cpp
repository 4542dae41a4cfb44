// `git2dataset status [--json]`: the database's counts (files by state, live and retired samples),
// the last prepare run's progress from its record (store/run_state.hpp: state, planned / done /
// failed, rate, ETA), the skip reasons of its discovery, and the failed files with their errors.
// Opens the database read-only, so it never blocks or changes a running prepare. Exit 1 when there
// is no database.
//
// A run recorded as "running" is shown as "interrupted" when it stopped beating or when its process
// (run.pid, on this host) no longer exists: it was killed or the machine went down
// (store/run_state.hpp, the rule the dashboard shares). The recorded state is kept beside it
// (`recorded_state`). A live run that the resource gate paused shows why (run.paused).
#include <chrono>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "store/run_state.hpp"
#include "store/store.hpp"
#include "sys/host.hpp"

namespace g2d::app {

namespace {

nlohmann::json status_json(const store::Counts& c, const store::RunRecord& record,
                           const std::vector<store::FailedRecord>& failures) {
  nlohmann::json j;
  j["files"] = {{"done", c.files_done},
                {"pending", c.files_pending},
                {"failed", c.files_failed},
                {"retired", c.files_retired}};
  j["samples"] = {{"live", c.live_samples}, {"retired", c.retired_samples}};
  nlohmann::json run = nlohmann::json::object();
  if (!record.state.empty()) {
    std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    store::RunView view = store::view_run(record, now, sys::process_gone(record.pid, record.host));
    run = {{"state", view.state},
           {"recorded_state", record.state},
           {"paused", view.paused ? nlohmann::json(*view.paused) : nlohmann::json(nullptr)},
           {"pause_requested", record.pause_requested},
           {"heartbeat_at_ms", record.heartbeat_at_ms},
           {"pid", record.pid},
           {"started_at_ms", record.started_at_ms},
           {"finished_at_ms", record.finished_at_ms},
           {"planned", record.planned},
           {"done", record.done},
           {"failed", record.failed},
           {"unchanged", record.unchanged},
           {"files_per_minute", view.files_per_minute}};
    run["eta_seconds"] = view.eta_seconds ? nlohmann::json(*view.eta_seconds) : nullptr;
    // Several servers: as the record keeps them (store/run_state.hpp's encoding).
    nlohmann::json servers = nlohmann::json::array();
    if (record.live && !record.live->endpoints.empty())
      servers = nlohmann::json::parse(store::live_view_json(*record.live))["endpoints"];
    run["endpoints"] = std::move(servers);
  }
  j["last_run"] = run;
  j["skipped"] = nlohmann::json::object();
  for (const auto& [reason, n] : record.skips)
    j["skipped"][reason] = n;
  nlohmann::json f = nlohmann::json::array();
  for (const auto& r : failures)
    f.push_back({{"file", r.file_path},
                 {"kind", r.error_kind},
                 {"message", r.error_message},
                 {"retry_count", r.retry_count}});
  j["failures"] = f;
  return j;
}

void print_text(const nlohmann::json& j, std::ostream& out) {
  const auto& files = j["files"];
  out << fmt::format("files: {} done, {} pending, {} failed, {} retired\n",
                     files["done"].get<std::int64_t>(), files["pending"].get<std::int64_t>(),
                     files["failed"].get<std::int64_t>(), files["retired"].get<std::int64_t>());
  out << fmt::format("samples: {} ({} retired)\n", j["samples"]["live"].get<std::int64_t>(),
                     j["samples"]["retired"].get<std::int64_t>());
  const auto& run = j["last_run"];
  if (run.empty()) {
    out << "last run: none\n";
  } else {
    out << fmt::format(
        "last run: {}, {} of {} files done, {} failed, {} unchanged, {:.1f} files/min",
        run["state"].get<std::string>(), run["done"].get<std::int64_t>(),
        run["planned"].get<std::int64_t>(), run["failed"].get<std::int64_t>(),
        run["unchanged"].get<std::int64_t>(), run["files_per_minute"].get<double>());
    if (!run["eta_seconds"].is_null())
      out << fmt::format(", about {} s left", run["eta_seconds"].get<std::int64_t>());
    out << "\n";
    if (!run["paused"].is_null())
      out << "paused: " << printable(run["paused"].get<std::string>()) << "\n";
    else if (run["pause_requested"].get<bool>())
      out << "pause requested\n";
    for (const auto& e : run["endpoints"]) {
      const auto prompt = e["prompt_tokens"].get<std::int64_t>();
      const auto cached = e["cached_prompt_tokens"].get<std::int64_t>();
      out << fmt::format(
          "  server {}: {}, {} of {} units, {} calls, {} errors, {} prompt tokens ({}% reused), "
          "{} generated{}\n",
          printable(e["name"].get<std::string>()), e["state"].get<std::string>(),
          e["in_flight"].get<std::int64_t>(), e["parallel"].get<std::int64_t>(),
          e["calls"].get<std::int64_t>(), e["errors"].get<std::int64_t>(), prompt,
          prompt > 0 ? cached * 100 / prompt : 0, e["completion_tokens"].get<std::int64_t>(),
          e["why"].get<std::string>().empty()
              ? ""
              : " (" + printable(e["why"].get<std::string>()) + ")");
    }
    if (run["state"] == "interrupted")
      out << "  (recorded as running, but its heartbeat stopped or its process is gone: it was "
             "killed or the machine went down)\n";
  }
  if (!j["skipped"].empty()) {
    std::string parts;
    for (const auto& [reason, n] : j["skipped"].items())
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", reason, n.get<std::int64_t>());
    out << "skipped at discovery: " << parts << "\n";
  }
  out << fmt::format("failures: {}\n", j["failures"].size());
  for (const auto& f : j["failures"])
    out << fmt::format("  {}  {}: {} (failed {}x)\n", printable(f["file"].get<std::string>()),
                       f["kind"].get<std::string>(), printable(f["message"].get<std::string>()),
                       f["retry_count"].get<int>());
}

}  // namespace

int run_status(const cli::Invocation& inv, std::ostream& out) {
  auto cfg = load_config(inv);
  auto store = open_existing_database(cfg, store::OpenMode::read_only);
  if (!store)
    return 1;
  auto counts = store->counts();
  auto run = store->read_run();
  auto failures = store->failed_files();
  for (const Error* e : {counts ? nullptr : &counts.error(), run ? nullptr : &run.error(),
                         failures ? nullptr : &failures.error()}) {
    if (e != nullptr) {
      spdlog::error("{}", e->message);
      return 1;
    }
  }
  auto j = status_json(*counts, *run, *failures);
  if (inv.json)
    // Messages from servers and models may hold invalid UTF-8: replaced, never thrown about.
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    print_text(j, out);
  return 0;
}

}  // namespace g2d::app
