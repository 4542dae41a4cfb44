// tui/source.hpp — the dashboard's data: a Snapshot built from the database (opened read-only by
// the caller: it never blocks or changes the run), the log's tail and the machine's readings.
//
// Each snapshot() reads the store again (counts, the run's record, failures); the machine's
// readings are taken at most every `system_interval` and the GPU's at most every `gpu.interval`,
// the log only when it changed. The run is interpreted like `status` does (store/run_state.hpp),
// with the same check that its process still exists (injectable for tests).
//
// Ownership: borrows the store; owns the meters and the log tail.
// Thread-safety: none (the dashboard's thread).
// Errors: a failed read of the database is reported in Snapshot::error, beside the last good
// values; nothing throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"
#include "sys/resources.hpp"
#include "tui/log_tail.hpp"
#include "tui/snapshot.hpp"
#include "tui/system_probe.hpp"

namespace g2d::tui {

struct SourceOptions {
  std::string database;  // the database's path, as shown
  std::filesystem::path log_file;
  sys::ProbeRoots roots;
  GpuProbeOptions gpu;
  std::chrono::milliseconds system_interval{1000};
  // Whether a run's recorded process is known to be gone (default: sys::process_gone).
  std::function<bool(std::int64_t pid, std::string_view host)> process_gone;
};

class DataSource {
 public:
  DataSource(store::Store& store, SourceOptions options);

  // Everything as of `now_ms` (epoch milliseconds).
  Snapshot snapshot(std::int64_t now_ms);

 private:
  void read_store(Snapshot& s);
  void read_system(Snapshot& s);

  store::Store& m_store;
  SourceOptions m_options;
  LogTail m_log;
  CpuMeter m_cpu;
  GpuProbe m_gpu;
  Snapshot m_last;  // the last good reads, kept when a later read fails
  std::optional<std::chrono::steady_clock::time_point> m_last_system;
};

}  // namespace g2d::tui
