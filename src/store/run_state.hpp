// store/run_state.hpp — the last prepare run: the typed record `prepare` writes (one writer:
// pipeline/run_recorder.hpp) and `status` and the dashboard read (Store::read_run), and how it is
// shown.
//
// The record is stored through the Store (Store::write_run writes the fields named, in one
// transaction; read_run reads them all). The SQLite store keeps it as AppState keys — run.state,
// run.started_at, run.finished_at, run.heartbeat_at, run.pid, run.host, run.planned, run.done,
// run.failed, run.unchanged, run.paused, run.pause_requested ("1"), run.backend, run.model,
// run.live (the live view as JSON) and discover.skips (JSON object) — the keys every earlier
// version wrote, so older databases read the same; `run_state_entries` and `parse_run_record` are
// that encoding.
//
// A run recorded as "running" is shown as "interrupted" when it stopped beating (run.heartbeat_at
// older than k_stale_heartbeat_ms) or when its process is known to be gone (the caller asks the
// operating system: sys::process_gone). An interrupted run's rate is over the time it was seen
// alive; only a live run has an ETA, and only a live run is shown paused.
//
// Pure functions of the record and the time, so `status` and the dashboard show the same numbers
// and tests can use any clock.
// Thread-safety: reentrant. Errors: none; a missing value reads as its default, and so does a
// malformed one (a number that is not one reads 0, a live view that is not the JSON written reads
// nullopt, a skip count that is not an integer is left out).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace g2d::store {

// A running prepare writes run.heartbeat_at every 2 s; this much silence means it is gone.
inline constexpr std::int64_t k_stale_heartbeat_ms = 15000;

// A file a worker is on, since when (epoch milliseconds).
struct InFlightFile {
  std::string file;
  std::int64_t started_at_ms = 0;

  bool operator==(const InFlightFile&) const = default;
};

// A repository's files planned in the run and how many of them finished.
struct RepoProgress {
  std::string name;
  std::int64_t planned = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;

  bool operator==(const RepoProgress&) const = default;
};

// A model server of a run that drives several (llm.base_urls, llm/router.hpp), as last published.
struct EndpointView {
  std::string name;            // its URL without credentials
  std::string model;           // what it serves
  std::string state;           // up, down, starting
  std::string why;             // why it is down
  std::int64_t in_flight = 0;  // units it holds
  std::int64_t parallel = 0;   // units it takes at once
  std::int64_t calls = 0;
  std::int64_t errors = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t cached_prompt_tokens = 0;  // of those, reused
  std::int64_t completion_tokens = 0;

  bool operator==(const EndpointView&) const = default;
};

// What a running prepare shows beyond its counts (run.live, pipeline/live_run.hpp):
//   {"in_flight": [{"file": "github.com/o/r/a.c", "started_at": 1700000000000}, ...],
//    "repository": {"name": "github.com/o/r", "planned": 10, "done": 3, "failed": 1},
//    "repositories": 2, "questions": 12, "answers": 10, "samples": 10,
//    "endpoints": [{"name": "http://gpu1:8080", "model": "qwen", "state": "up", "why": "",
//                   "in_flight": 2, "parallel": 4, "calls": 30, "errors": 0,
//                   "prompt_tokens": 40000, "cached_prompt_tokens": 31000,
//                   "completion_tokens": 2000}, ...]}   (absent with one server)
struct LiveView {
  std::vector<InFlightFile> in_flight;     // in the order the files were taken
  std::optional<RepoProgress> repository;  // the one of the file taken last
  std::int64_t repositories = 0;           // with files planned in this run
  std::int64_t questions = 0;              // calls finished in this run
  std::int64_t answers = 0;
  std::int64_t samples = 0;             // pairs committed in this run
  std::vector<EndpointView> endpoints;  // several servers only

  bool operator==(const LiveView&) const = default;
};

// The last run, as recorded. Timestamps are Unix epoch milliseconds (0: not set).
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
  std::optional<LiveView> live;  // run.live (nullopt: none recorded, as by older versions)
  std::map<std::string, std::int64_t> skips;  // discover.skips: discovery's skip reasons, counts

  bool operator==(const RunRecord&) const = default;
};

// Which fields of a RunRecord a write_run names.
enum class RunField : std::uint32_t {
  state = 1u << 0,
  started_at = 1u << 1,
  finished_at = 1u << 2,
  heartbeat_at = 1u << 3,
  process = 1u << 4,  // pid and host
  planned = 1u << 5,
  done = 1u << 6,
  failed = 1u << 7,
  unchanged = 1u << 8,
  paused = 1u << 9,
  pause_requested = 1u << 10,
  model = 1u << 11,  // backend and model
  live = 1u << 12,
  skips = 1u << 13,
};
using RunFields = std::uint32_t;
constexpr RunFields operator|(RunField a, RunField b) {
  return static_cast<RunFields>(a) | static_cast<RunFields>(b);
}
constexpr RunFields operator|(RunFields a, RunField b) {
  return a | static_cast<RunFields>(b);
}
inline constexpr RunFields k_all_run_fields = (1u << 14) - 1;

// The SQLite store's encoding (see the header comment): the AppState entries of `fields`, and the
// record from AppState.
std::vector<std::pair<std::string, std::string>> run_state_entries(const RunRecord& run,
                                                                   RunFields fields);
RunRecord parse_run_record(const std::map<std::string, std::string>& state);

// run.live's JSON (invalid UTF-8 in file names replaced), and back (nullopt: empty or not an
// object).
std::string live_view_json(const LiveView& live);
std::optional<LiveView> parse_live_view(std::string_view json);

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
