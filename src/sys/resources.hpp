// sys/resources.hpp — readings of this process and this machine that decide whether work may go
// on: the process's resident memory, the machine's available and total memory, and whether it
// runs on battery and how full that is.
//
// Linux reads /proc/self/statm, /proc/meminfo and /sys/class/power_supply/*/ (the battery's
// capacity and status; the adapters' `online`), under roots that tests replace (`ProbeRoots`) to
// point at fabricated files. macOS asks the kernel (mach task_info, host_statistics64, sysctl) and
// IOKit's power sources; it ignores the roots.
//
// Thread-safety: reentrant; every call reads afresh and keeps nothing.
// Errors: none. A reading that is not available (no battery, a file that is missing, unreadable or
// malformed) is an empty optional: a desktop without a battery is normal, and a probe must never
// stop a run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace g2d::sys {

// Where the Linux probes look; tests point these at a temporary directory.
struct ProbeRoots {
  std::filesystem::path proc = "/proc";
  std::filesystem::path sys = "/sys";
};

struct MemoryReading {
  std::optional<std::uint64_t> available_bytes;  // MemAvailable: what can be had without swapping
  std::optional<std::uint64_t> total_bytes;      // MemTotal
};

enum class BatteryStatus { unknown, charging, discharging, full, not_charging };
std::string_view to_string(BatteryStatus status);

struct PowerReading {
  bool has_battery = false;            // a system battery (not a mouse's or a keyboard's)
  std::optional<int> battery_percent;  // 0 .. 100; the mean over all system batteries
  BatteryStatus status = BatteryStatus::unknown;  // discharging when any battery is
  std::optional<bool> on_ac;  // an adapter (mains or USB) reports power; empty: no adapter seen
  // True only when it is known: an adapter is offline, or a battery discharges and no adapter is
  // online. An unknown state is not "on battery": it must never pause a run.
  bool on_battery = false;
};

struct ResourceReadings {
  std::optional<std::uint64_t> process_rss_bytes;
  MemoryReading memory;
  PowerReading power;
};

// The process's anonymous resident memory (Linux: statm's resident less its shared pages): what
// it allocated, not the model file it maps, which the kernel can drop and read again.
std::optional<std::uint64_t> process_rss_bytes(const ProbeRoots& roots = {});
MemoryReading memory_reading(const ProbeRoots& roots = {});
PowerReading power_reading(const ProbeRoots& roots = {});
ResourceReadings read_resources(const ProbeRoots& roots = {});

// CPU time since boot, from /proc/stat's "cpu" line, in jiffies: busy (user, nice, system, irq,
// softirq, steal) and total (busy, idle and iowait); and how many CPUs it has lines for.
struct CpuTimes {
  std::uint64_t busy = 0;
  std::uint64_t total = 0;
  int cpus = 0;
};
std::optional<CpuTimes> cpu_times(const ProbeRoots& roots = {});

// How many cores were busy between two readings (the busy share of the time, times the CPUs);
// empty when no time passed or the counters went back.
std::optional<double> busy_cores(const CpuTimes& before, const CpuTimes& after);

// The embedded engine's threads: `configured` when it is set (> 0); else the cores that `busy`
// cores of other work leave free (rounded to the nearest core), at least one — ggml's threads
// wait for each other at every step, so one more thread than free cores stalls them all; 0 (the
// engine's own choice) when the load is unknown.
int engine_threads(int configured, std::optional<double> busy, int cpus);

}  // namespace g2d::sys
