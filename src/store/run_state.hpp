// store/run_state.hpp — the last prepare run as AppState records it (the keys `prepare` writes and
// `status` and the dashboard read), and how it is shown.
//
// A run recorded as "running" is shown as "interrupted" when it stopped beating (run.heartbeat_at
// older than k_stale_heartbeat_ms) or when its process is known to be gone (the caller asks the
// operating system: sys::process_gone). An interrupted run's rate is over the time it was seen
// alive; only a live run has an ETA, and only a live run is shown paused.
//
// Pure functions of the AppState map and the time, so `status` and the dashboard show the same
// numbers and tests can use any clock.
// Thread-safety: reentrant. Errors: none; a missing or malformed number reads as 0.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace g2d::store {

// A running prepare writes run.heartbeat_at every 2 s; this much silence means it is gone.
inline constexpr std::int64_t k_stale_heartbeat_ms = 15000;

// The run keys of AppState, as recorded. Timestamps are Unix epoch milliseconds (0: not set).
struct RunRecord {
  std::string state;  // running, finished, stopped, failed; "" when no run was ever recorded
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t heartbeat_at_ms = 0;
  std::int64_t pid = 0;
  std::string host;
  std::int64_t planned = 0;  // files this run generates
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t unchanged = 0;
  std::string paused;            // run.paused: why the resource gate holds the workers, or ""
  bool pause_requested = false;  // run.pause_requested == "1"
  std::string backend;           // run.backend: llm.backend of the run
  std::string model;             // run.model: the model it asked for
  std::string live;              // run.live: the run's live detail (JSON, see app/run_publisher)
};

RunRecord parse_run_record(const std::map<std::string, std::string>& state);

// What `status` and the dashboard show of a run.
struct RunView {
  std::string state;  // the recorded state, or "interrupted" for a running run that is gone
  bool live = false;  // recorded as running and still alive
  std::int64_t elapsed_ms = 0;  // from its start to its end (finished, last beat, or now)
  double files_per_minute = 0;  // (done + failed) per minute of elapsed time
  std::optional<std::int64_t> eta_seconds;  // live runs with a rate and files left only
  std::optional<std::string> paused;        // live runs only
};

// `process_gone`: the recorded process is known not to exist any more.
bool run_is_gone(const RunRecord& run, std::int64_t now_ms, bool process_gone);
RunView view_run(const RunRecord& run, std::int64_t now_ms, bool process_gone);

}  // namespace g2d::store
