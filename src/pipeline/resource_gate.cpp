#include "pipeline/resource_gate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace g2d::pipeline {

namespace {

constexpr std::uint64_t k_mib = std::uint64_t{1} << 20;
constexpr double k_gib = 1024.0 * 1024.0 * 1024.0;
// How often a waiter asks for the user's pause while the machine's readings are not yet due (a
// stop request needs no looking at: it wakes the waiter).
constexpr std::chrono::milliseconds k_pause_check{100};

double gib(std::uint64_t bytes) {
  return static_cast<double>(bytes) / k_gib;
}

}  // namespace

std::uint64_t low_memory_floor(const sys::MemoryReading& memory) {
  std::uint64_t floor = 512 * k_mib;
  if (memory.total_bytes)
    floor = std::min(floor, *memory.total_bytes / 20);
  return floor;
}

PauseReason pause_reason(const GateLimits& limits, const sys::ResourceReadings& readings,
                         bool user_pause) {
  if (user_pause)
    return {PauseKind::user, "pause requested by the user"};
  if (limits.max_ram_gb > 0 && readings.process_rss_bytes &&
      gib(*readings.process_rss_bytes) > limits.max_ram_gb)
    return {PauseKind::process_memory,
            fmt::format("memory {:.1f} GB over max_ram_gb {:g}", gib(*readings.process_rss_bytes),
                        limits.max_ram_gb)};
  const auto& memory = readings.memory;
  if (memory.available_bytes && *memory.available_bytes < low_memory_floor(memory))
    return {PauseKind::machine_memory,
            fmt::format("low memory: {} MiB available (below {} MiB)",
                        *memory.available_bytes / k_mib, low_memory_floor(memory) / k_mib)};
  const auto& power = readings.power;
  if (limits.battery_monitoring && power.on_battery && power.battery_percent &&
      *power.battery_percent < limits.battery_pause_threshold)
    return {PauseKind::battery, fmt::format("on battery at {}% (below {}%)", *power.battery_percent,
                                            limits.battery_pause_threshold)};
  return {};
}

ResourceGate::ResourceGate(GateOptions options) : m_options(std::move(options)) {
  if (!m_options.read)
    m_options.read = [] { return sys::read_resources(); };
  m_options.poll_interval = std::max(m_options.poll_interval, std::chrono::milliseconds(1));
}

void ResourceGate::refresh() {
  auto now = Clock::now();
  // The user's request is asked every time: it holds from the next file on. The machine's
  // readings cost more and are taken at most once per poll interval.
  bool user = m_options.pause_requested && m_options.pause_requested();
  if (!m_read_at || now - *m_read_at >= m_options.poll_interval) {
    m_readings = m_options.read();
    m_read_at = Clock::now();
  } else if (user == (m_reason.kind == PauseKind::user)) {
    return;  // nothing new
  }
  PauseReason next = pause_reason(m_options.limits, m_readings, user);
  if (next.kind == m_reason.kind) {
    m_reason.text = std::move(next.text);  // the same reason with today's numbers: not news
    return;
  }
  if (next.kind == PauseKind::none) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - m_paused_since).count();
    spdlog::info("resumed after {} s", seconds);
  } else {
    if (m_reason.kind == PauseKind::none)
      m_paused_since = now;
    spdlog::warn("paused: {}", next.text);
  }
  m_reason = std::move(next);
  if (m_options.on_change)
    m_options.on_change(m_reason.text);
  ++m_news;
  m_changed.notify_all();
}

bool ResourceGate::wait_until_clear(const std::stop_token& stop) {
  std::unique_lock lock(m_mutex);
  for (;;) {
    refresh();
    if (m_reason.kind == PauseKind::none)
      return true;
    if (stop.stop_requested())
      return false;
    // Wake for the next reading, for another waiter's news, to ask for the user's pause, or on a
    // stop request.
    auto due = *m_read_at + m_options.poll_interval;
    const std::uint64_t news = m_news;
    m_changed.wait_until(lock, stop, std::min(due, Clock::now() + k_pause_check),
                         [this, news] { return m_news != news; });
  }
}

std::string ResourceGate::reason() const {
  std::lock_guard lock(m_mutex);
  return m_reason.text;
}

}  // namespace g2d::pipeline
