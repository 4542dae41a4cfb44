// pipeline/resource_gate.hpp — whether the pipeline may take its next file: not while this
// process's resident memory is over `max_ram_gb`, not while the machine is short of memory, not
// while it runs on battery below `battery_pause_threshold` (when battery monitoring is on), and not
// while the user asked for a pause (the dashboard sets AppState `run.pause_requested`).
//
// Low memory means MemAvailable below the floor min(512 MiB, 5% of MemTotal) (512 MiB when the
// total is unknown): near the point where the kernel swaps hard or kills, yet not so high that a
// large machine pauses with gigabytes free. `max_ram_gb` counts GiB (2^30 bytes). A reading that
// is unavailable never pauses. There is no hysteresis: work resumes as soon as no reason holds.
//
// The readings come from an injectable source (sys::read_resources by default) and are taken at
// most once per `poll_interval` for all callers together, so the user-pause predicate (a database
// read) is cheap to give. Each transition is logged once however many workers wait: a pause as
// spdlog::warn("paused: <reason>"), a change of reason while paused likewise, the end of a pause
// as spdlog::info("resumed after N s"); `on_change` hears the reason ("" on resume).
//
// Ownership: owns its options. Thread-safety: every method may be called from several threads at
// once. `read`, `pause_requested` and `on_change` are called with the gate's lock held, one call
// at a time; they must not call back into the gate.
// Errors: none; a source that throws is not caught.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "sys/resources.hpp"

namespace g2d::pipeline {

struct GateLimits {
  double max_ram_gb = 8;             // the process's resident memory; <= 0: no limit
  int battery_pause_threshold = 20;  // percent: pause on battery strictly below it
  bool battery_monitoring = true;
};

struct GateOptions {
  GateLimits limits;
  std::function<sys::ResourceReadings()> read;               // empty: sys::read_resources()
  std::function<bool()> pause_requested;                     // empty: the user never pauses
  std::function<void(const std::string& reason)> on_change;  // reason, or "" when resumed
  std::chrono::milliseconds poll_interval{1000};
};

enum class PauseKind { none, user, process_memory, machine_memory, battery };

struct PauseReason {
  PauseKind kind = PauseKind::none;
  std::string
      text;  // "memory 9.1 GB over max_ram_gb 8", "on battery at 15% (below 20%)"; "" if none
};

// Why work must wait given these readings, the first that holds of: the user's pause, the
// process's memory, the machine's memory, the battery — the gate's rule, without its state.
PauseReason pause_reason(const GateLimits& limits, const sys::ResourceReadings& readings,
                         bool user_pause);

// MemAvailable below this is low memory: min(512 MiB, 5% of MemTotal); 512 MiB without a total.
std::uint64_t low_memory_floor(const sys::MemoryReading& memory);

class ResourceGate {
 public:
  explicit ResourceGate(GateOptions options);

  // Blocks while a reason to wait holds, re-reading the machine once per poll interval and the
  // user's pause at every call and every wake-up (at least every 100 ms). Returns true when work
  // may go on, false when `stop` is requested while it waits: the request wakes it at once.
  bool wait_until_clear(const std::stop_token& stop);

  // The current reason to wait ("" when clear), as of the latest reading.
  std::string reason() const;

 private:
  using Clock = std::chrono::steady_clock;

  // Asks for the user's pause every time and reads the machine when the latest reading is older
  // than the poll interval; logs and reports changes.
  void refresh();

  GateOptions m_options;
  mutable std::mutex m_mutex;
  std::condition_variable_any m_changed;  // notified with m_news: a waiter's refresh changed it
  std::uint64_t m_news = 0;
  std::optional<Clock::time_point> m_read_at;  // when the latest reading was taken
  sys::ResourceReadings m_readings;            // that reading
  PauseReason m_reason;
  Clock::time_point m_paused_since;
};

}  // namespace g2d::pipeline
