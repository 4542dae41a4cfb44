#include "store/run_state.hpp"

#include <charconv>
#include <system_error>

#include <nlohmann/json.hpp>

namespace g2d::store {

namespace {

std::int64_t number(const std::map<std::string, std::string>& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end())
    return 0;
  // The whole value, or nothing: "12x" and an out-of-range number read 0.
  const std::string& v = it->second;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && end == v.data() + v.size() ? n : 0;
}

std::string text(const std::map<std::string, std::string>& state, const std::string& key) {
  auto it = state.find(key);
  return it == state.end() ? "" : it->second;
}

std::int64_t integer(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Names and values are the repositories' (any bytes): invalid UTF-8 is replaced, never thrown
// about.
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::map<std::string, std::int64_t> parse_skips(const std::string& json) {
  std::map<std::string, std::int64_t> skips;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_object())
    for (const auto& [reason, n] : j.items())
      if (n.is_number_integer())
        skips[reason] = n.get<std::int64_t>();
  return skips;
}

}  // namespace

std::string live_view_json(const LiveView& live) {
  nlohmann::json j;
  nlohmann::json flying = nlohmann::json::array();
  for (const auto& f : live.in_flight)
    flying.push_back({{"file", f.file}, {"started_at", f.started_at_ms}});
  j["in_flight"] = std::move(flying);
  if (live.repository)
    j["repository"] = {{"name", live.repository->name},
                       {"planned", live.repository->planned},
                       {"done", live.repository->done},
                       {"failed", live.repository->failed}};
  else
    j["repository"] = nullptr;
  j["repositories"] = live.repositories;
  j["questions"] = live.questions;
  j["answers"] = live.answers;
  j["samples"] = live.samples;
  if (!live.endpoints.empty()) {
    nlohmann::json servers = nlohmann::json::array();
    for (const auto& e : live.endpoints)
      servers.push_back({{"name", e.name},
                         {"model", e.model},
                         {"state", e.state},
                         {"why", e.why},
                         {"in_flight", e.in_flight},
                         {"parallel", e.parallel},
                         {"calls", e.calls},
                         {"errors", e.errors},
                         {"prompt_tokens", e.prompt_tokens},
                         {"cached_prompt_tokens", e.cached_prompt_tokens},
                         {"completion_tokens", e.completion_tokens}});
    j["endpoints"] = std::move(servers);
  }
  return dump(j);
}

std::optional<LiveView> parse_live_view(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  LiveView v;
  if (auto it = j.find("in_flight"); it != j.end() && it->is_array())
    for (const auto& f : *it)
      if (f.is_object())
        v.in_flight.push_back({string(f, "file"), integer(f, "started_at")});
  if (auto it = j.find("repository"); it != j.end() && it->is_object())
    v.repository = RepoProgress{string(*it, "name"), integer(*it, "planned"), integer(*it, "done"),
                                integer(*it, "failed")};
  v.repositories = integer(j, "repositories");
  v.questions = integer(j, "questions");
  v.answers = integer(j, "answers");
  v.samples = integer(j, "samples");
  if (auto it = j.find("endpoints"); it != j.end() && it->is_array())
    for (const auto& e : *it)
      if (e.is_object())
        v.endpoints.push_back({string(e, "name"), string(e, "model"), string(e, "state"),
                               string(e, "why"), integer(e, "in_flight"), integer(e, "parallel"),
                               integer(e, "calls"), integer(e, "errors"),
                               integer(e, "prompt_tokens"), integer(e, "cached_prompt_tokens"),
                               integer(e, "completion_tokens")});
  return v;
}

std::vector<std::pair<std::string, std::string>> run_state_entries(const RunRecord& run,
                                                                   RunFields fields) {
  std::vector<std::pair<std::string, std::string>> out;
  auto has = [fields](RunField f) { return (fields & static_cast<RunFields>(f)) != 0; };
  auto add = [&out](const char* key, std::string value) {
    out.emplace_back(key, std::move(value));
  };
  // A time not set is written empty, as every version wrote it.
  auto time = [](std::int64_t ms) { return ms > 0 ? std::to_string(ms) : std::string(); };
  if (has(RunField::state))
    add("run.state", run.state);
  if (has(RunField::started_at))
    add("run.started_at", time(run.started_at_ms));
  if (has(RunField::finished_at))
    add("run.finished_at", time(run.finished_at_ms));
  if (has(RunField::heartbeat_at))
    add("run.heartbeat_at", time(run.heartbeat_at_ms));
  if (has(RunField::process)) {
    add("run.pid", std::to_string(run.pid));
    add("run.host", run.host);
  }
  if (has(RunField::planned))
    add("run.planned", std::to_string(run.planned));
  if (has(RunField::done))
    add("run.done", std::to_string(run.done));
  if (has(RunField::failed))
    add("run.failed", std::to_string(run.failed));
  if (has(RunField::unchanged))
    add("run.unchanged", std::to_string(run.unchanged));
  if (has(RunField::paused))
    add("run.paused", run.paused);
  if (has(RunField::pause_requested))
    add("run.pause_requested", run.pause_requested ? "1" : "0");
  if (has(RunField::model)) {
    add("run.backend", run.backend);
    add("run.model", run.model);
  }
  if (has(RunField::live))
    add("run.live", run.live ? live_view_json(*run.live) : std::string());
  if (has(RunField::skips)) {
    nlohmann::json skips = nlohmann::json::object();
    for (const auto& [reason, n] : run.skips)
      skips[reason] = n;
    add("discover.skips", dump(skips));
  }
  return out;
}

RunRecord parse_run_record(const std::map<std::string, std::string>& state) {
  RunRecord r;
  r.state = text(state, "run.state");
  r.started_at_ms = number(state, "run.started_at");
  r.finished_at_ms = number(state, "run.finished_at");
  r.heartbeat_at_ms = number(state, "run.heartbeat_at");
  r.pid = number(state, "run.pid");
  r.host = text(state, "run.host");
  r.planned = number(state, "run.planned");
  r.done = number(state, "run.done");
  r.failed = number(state, "run.failed");
  r.unchanged = number(state, "run.unchanged");
  r.paused = text(state, "run.paused");
  r.pause_requested = text(state, "run.pause_requested") == "1";
  r.backend = text(state, "run.backend");
  r.model = text(state, "run.model");
  r.live = parse_live_view(text(state, "run.live"));
  r.skips = parse_skips(text(state, "discover.skips"));
  return r;
}

// Without a heartbeat or a process record (an older version wrote the state) it cannot be told.
bool run_is_gone(const RunRecord& run, std::int64_t now_ms, bool process_gone) {
  if (run.heartbeat_at_ms > 0 && now_ms - run.heartbeat_at_ms > k_stale_heartbeat_ms)
    return true;
  return process_gone;
}

RunView view_run(const RunRecord& run, std::int64_t now_ms, bool process_gone) {
  RunView v;
  v.live = run.state == "running" && !run_is_gone(run, now_ms, process_gone);
  v.state = run.state == "running" && !v.live ? "interrupted" : run.state;
  // An interrupted run's rate is over the time it was seen alive.
  std::int64_t end = run.finished_at_ms > 0 ? run.finished_at_ms
                     : v.live               ? now_ms
                                            : run.heartbeat_at_ms;
  if (end <= 0)
    end = now_ms;
  v.elapsed_ms = end - run.started_at_ms;
  double minutes = static_cast<double>(v.elapsed_ms) / 60000.0;
  v.files_per_minute = minutes > 0 ? static_cast<double>(run.done + run.failed) / minutes : 0.0;
  std::int64_t left = run.planned - run.done - run.failed;
  if (v.live && v.files_per_minute > 0 && left > 0)
    v.eta_seconds =
        static_cast<std::int64_t>(static_cast<double>(left) / v.files_per_minute * 60.0);
  if (v.live && !run.paused.empty())
    v.paused = run.paused;
  return v;
}

}  // namespace g2d::store
