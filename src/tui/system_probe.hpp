// tui/system_probe.hpp — the machine's readings the dashboard adds to sys/resources.hpp's: CPU use
// (the share of non-idle time between two readings: Linux /proc/stat under sys::ProbeRoots, macOS
// host_statistics(HOST_CPU_LOAD_INFO), elsewhere none) and the GPUs (nvidia-smi's CSV, run without
// a shell, with a short timeout, at most every `interval`; none when it is not installed, which is
// remembered so it is not looked for again).
//
// Ownership: each meter keeps its last reading. Thread-safety: none (the dashboard's thread).
// Errors: none; a reading that cannot be had is empty, with a note saying why for the GPU.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sys/resources.hpp"
#include "tui/snapshot.hpp"

namespace g2d::tui {

struct CpuTimes {
  std::uint64_t busy = 0;   // jiffies (or ticks) not idle or waiting for I/O
  std::uint64_t total = 0;  // all of them
};

// The aggregate "cpu " line of /proc/stat; nullopt when it is missing or malformed.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);
std::optional<CpuTimes> read_cpu_times(const sys::ProbeRoots& roots = {});

// CPU use in percent since the previous sample (the first sample has none).
class CpuMeter {
 public:
  explicit CpuMeter(sys::ProbeRoots roots = {}) : m_roots(std::move(roots)) {}
  std::optional<double> sample();

 private:
  sys::ProbeRoots m_roots;
  std::optional<CpuTimes> m_last;
};

// The output of `nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total
// --format=csv,noheader,nounits`: one GPU a line, memory in MiB; "[N/A]" fields are empty.
// nullopt when a line is not three fields.
std::optional<std::vector<GpuReading>> parse_nvidia_smi(std::string_view output);

struct GpuProbeOptions {
  std::vector<std::string> command = {"nvidia-smi",
                                      "--query-gpu=utilization.gpu,memory.used,memory.total",
                                      "--format=csv,noheader,nounits"};
  std::chrono::milliseconds timeout{2000};
  std::chrono::milliseconds interval{5000};
};

class GpuProbe {
 public:
  explicit GpuProbe(GpuProbeOptions options = {}) : m_options(std::move(options)) {}

  // Runs the command when `interval` passed since its last run (and it was ever found), then
  // returns the last readings; `note` says why there are none.
  const std::vector<GpuReading>& poll(std::chrono::steady_clock::time_point now);
  const std::string& note() const { return m_note; }
  int runs() const { return m_runs; }  // how many times the command ran (for tests)

 private:
  GpuProbeOptions m_options;
  std::vector<GpuReading> m_gpus;
  std::string m_note;
  std::optional<std::chrono::steady_clock::time_point> m_last_run;
  bool m_missing = false;
  int m_runs = 0;
};

}  // namespace g2d::tui
