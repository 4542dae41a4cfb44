#include "store/run_state.hpp"

#include <exception>

namespace g2d::store {

namespace {

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

}  // namespace

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
  r.live = text(state, "run.live");
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
