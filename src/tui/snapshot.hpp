// tui/snapshot.hpp — everything the dashboard shows at one moment, as plain data: the run (from
// AppState, interpreted by store/run_state.hpp like `status` does), the database's counts, the
// failures and skip reasons, the run's live view (run.live: files in flight, current repository,
// calls), the machine's readings and the log's last lines. The data source fills it; the layout
// draws it; tests build it by hand.
//
// Ownership: plain values. Thread-safety: none needed (copied, never shared). Errors: none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/run_state.hpp"
#include "store/store.hpp"
#include "sys/resources.hpp"

namespace g2d::tui {

// The run's live view (run.live): the record's, store/run_state.hpp.
using InFlightFile = store::InFlightFile;
using RepoProgress = store::RepoProgress;
using LiveView = store::LiveView;

// One GPU as nvidia-smi reports it; a field it reports as "[N/A]" (MIG slices) is empty.
struct GpuReading {
  std::optional<double> utilization_percent;
  std::optional<std::uint64_t> memory_used_bytes;
  std::optional<std::uint64_t> memory_total_bytes;

  bool operator==(const GpuReading&) const = default;
};

struct SystemReadings {
  std::optional<double> cpu_percent;  // all cores, since the last reading
  sys::MemoryReading memory;
  std::vector<GpuReading> gpus;  // empty: none can be read (see gpu_note)
  std::string gpu_note;          // why there is no GPU reading ("nvidia-smi not found")
  sys::PowerReading power;
};

struct Snapshot {
  std::int64_t now_ms = 0;  // epoch milliseconds the snapshot describes
  std::string database;     // the database's path, as shown
  std::string error;        // reading the database failed: why (the rest is the last good read)

  store::RunRecord run;       // the record as read (Store::read_run)
  bool process_gone = false;  // the run's recorded process is known to be gone
  store::RunView view;        // view_run(run, now_ms, process_gone)
  store::Counts counts;
  std::map<std::string, std::int64_t> skips;  // discovery's skip reasons and counts (run.skips)
  std::vector<store::FailedRecord> failures;
  std::optional<LiveView> live;  // run.live; nullopt: the run recorded none (an older version)

  SystemReadings system;

  std::string log_path;
  std::vector<std::string> log_lines;  // the log's last lines, oldest first
  std::string log_note;                // why there are none ("no log yet: ...")
};

// What the user changed with keys.
struct ViewState {
  int log_scroll = 0;  // lines up from the newest (0: follows the end)
  bool failures_open = false;
  int failures_scroll = 0;  // first failure shown
  std::string message;      // the last key's answer, shown in the footer
};

}  // namespace g2d::tui
