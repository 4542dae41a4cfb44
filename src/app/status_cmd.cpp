// `git2dataset status [--json]`: the database's counts (files by state, live and retired samples),
// the last prepare run's progress from AppState (state, planned / done / failed, rate, ETA), the
// skip reasons of its discovery, and the failed files with their errors. Opens the database
// read-only, so it never blocks or changes a running prepare. Exit 1 when there is no database.
//
// A run recorded as "running" is shown as "interrupted" when it stopped beating (run.heartbeat_at
// older than k_stale) or when its process (run.pid, on this host) no longer exists: it was killed
// or the machine went down. The recorded state is kept beside it (`recorded_state`). A live run
// that the resource gate paused shows why (run.paused).
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <limits>
#include <map>
#include <ostream>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "store/store.hpp"

namespace g2d::app {

namespace {

// A running prepare writes its heartbeat every 2 s; this much silence means it is gone.
constexpr std::int64_t k_stale_ms = 15000;

std::int64_t number(const std::map<std::string, std::string>& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end() || it->second.empty())
    return 0;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string text(const std::map<std::string, std::string>& state, const std::string& key) {
  auto it = state.find(key);
  return it == state.end() ? "" : it->second;
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0)
    return "";
  return name.data();
}

// Whether a run recorded as running has gone: a stale heartbeat, or a process of this host that
// no longer exists. Without either record (an older version wrote the state) it cannot be told.
bool run_is_gone(const std::map<std::string, std::string>& state, std::int64_t now_ms) {
  std::int64_t beat = number(state, "run.heartbeat_at");
  if (beat > 0 && now_ms - beat > k_stale_ms)
    return true;
  std::int64_t pid = number(state, "run.pid");
  if (pid > 0 && pid <= std::numeric_limits<pid_t>::max() && text(state, "run.host") == host_name())
    return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
  return false;
}

nlohmann::json status_json(const store::Counts& c, const std::map<std::string, std::string>& state,
                           const std::vector<store::FailedRecord>& failures) {
  nlohmann::json j;
  j["files"] = {{"done", c.files_done},
                {"pending", c.files_pending},
                {"failed", c.files_failed},
                {"retired", c.files_retired}};
  j["samples"] = {{"live", c.live_samples}, {"retired", c.retired_samples}};
  nlohmann::json run = nlohmann::json::object();
  if (!text(state, "run.state").empty()) {
    std::int64_t started = number(state, "run.started_at");
    std::int64_t finished = number(state, "run.finished_at");
    std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    std::int64_t planned = number(state, "run.planned");
    std::int64_t done = number(state, "run.done");
    std::int64_t failed = number(state, "run.failed");
    std::string recorded = text(state, "run.state");
    bool live = recorded == "running" && !run_is_gone(state, now);
    std::string shown = recorded == "running" && !live ? "interrupted" : recorded;
    // An interrupted run's rate is over the time it was seen alive.
    std::int64_t end = finished > 0 ? finished : live ? now : number(state, "run.heartbeat_at");
    if (end <= 0)
      end = now;
    double minutes = static_cast<double>(end - started) / 60000.0;
    double rate = minutes > 0 ? static_cast<double>(done + failed) / minutes : 0.0;
    std::string paused = text(state, "run.paused");
    run = {{"state", shown},
           {"recorded_state", recorded},
           {"paused", live && !paused.empty() ? nlohmann::json(paused) : nlohmann::json(nullptr)},
           {"pause_requested", text(state, "run.pause_requested") == "1"},
           {"heartbeat_at_ms", number(state, "run.heartbeat_at")},
           {"pid", number(state, "run.pid")},
           {"started_at_ms", started},
           {"finished_at_ms", finished},
           {"planned", planned},
           {"done", done},
           {"failed", failed},
           {"unchanged", number(state, "run.unchanged")},
           {"files_per_minute", rate}};
    std::int64_t left = planned - done - failed;
    if (live && rate > 0 && left > 0)
      run["eta_seconds"] = static_cast<std::int64_t>(static_cast<double>(left) / rate * 60.0);
    else
      run["eta_seconds"] = nullptr;
  }
  j["last_run"] = run;
  auto skips = nlohmann::json::parse(text(state, "discover.skips"), nullptr, false);
  j["skipped"] = skips.is_object() ? skips : nlohmann::json::object();
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
  auto state = store->state();
  auto failures = store->failed_files();
  for (const Error* e : {counts ? nullptr : &counts.error(), state ? nullptr : &state.error(),
                         failures ? nullptr : &failures.error()}) {
    if (e != nullptr) {
      spdlog::error("{}", e->message);
      return 1;
    }
  }
  auto j = status_json(*counts, *state, *failures);
  if (inv.json)
    // Messages from servers and models may hold invalid UTF-8: replaced, never thrown about.
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    print_text(j, out);
  return 0;
}

}  // namespace g2d::app
