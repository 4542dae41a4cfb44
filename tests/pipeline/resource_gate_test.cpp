// The resource gate with injected readings and a short poll interval: when it lets work go on,
// when it blocks, and that each pause and resume is reported once however many workers wait.
#include "pipeline/resource_gate.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace g2d::pipeline {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t k_gib = std::uint64_t{1} << 30;
constexpr std::uint64_t k_mib = std::uint64_t{1} << 20;

// Readings the test changes while waiters read them (FakeReadings: a test double).
class FakeReadings {
 public:
  FakeReadings() {
    m_now.process_rss_bytes = 1 * k_gib;
    m_now.memory.total_bytes = 16 * k_gib;
    m_now.memory.available_bytes = 8 * k_gib;
  }
  void set(const std::function<void(sys::ResourceReadings&)>& change) {
    std::lock_guard lock(m_mutex);
    change(m_now);
  }
  std::function<sys::ResourceReadings()> source() {
    return [this] {
      std::lock_guard lock(m_mutex);
      ++m_reads;
      return m_now;
    };
  }
  int reads() {
    std::lock_guard lock(m_mutex);
    return m_reads;
  }

 private:
  std::mutex m_mutex;
  sys::ResourceReadings m_now;
  int m_reads = 0;
};

// The reasons on_change heard, in order.
class Changes {
 public:
  std::function<void(const std::string&)> callback() {
    return [this](const std::string& reason) {
      std::lock_guard lock(m_mutex);
      m_seen.push_back(reason);
    };
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(m_mutex);
    return m_seen;
  }

 private:
  std::mutex m_mutex;
  std::vector<std::string> m_seen;
};

// Captures the default logger's lines for one test and restores the logger after.
class CapturedLog {
 public:
  CapturedLog() : m_old(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(m_text);
    sink->set_pattern("%l: %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(m_old); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // Lines written so far; read only after the threads that log were joined.
  std::string text() const { return m_text.str(); }
  int count(const std::string& needle) const {
    std::string t = text();
    int n = 0;
    for (size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + 1))
      ++n;
    return n;
  }

 private:
  std::ostringstream m_text;
  std::shared_ptr<spdlog::logger> m_old;
};

class Gate : public ::testing::Test {
 protected:
  GateOptions options() {
    GateOptions o;
    o.limits.max_ram_gb = 8;
    o.limits.battery_pause_threshold = 20;
    o.limits.battery_monitoring = true;
    o.read = readings.source();
    o.on_change = changes.callback();
    o.poll_interval = 5ms;
    return o;
  }

  // Starts a waiter; `returned` becomes its result once it returns.
  std::jthread waiter(ResourceGate& gate, std::atomic<int>& returned, std::stop_token stop = {}) {
    return std::jthread(
        [&gate, &returned, stop] { returned = gate.wait_until_clear(stop) ? 1 : 0; });
  }

  // Waits up to two seconds for `done`; false if it never came.
  static bool eventually(const std::function<bool()>& done) {
    for (auto until = std::chrono::steady_clock::now() + 2s;
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(1ms))
      if (done())
        return true;
    return done();
  }

  CapturedLog log;
  FakeReadings readings;
  Changes changes;
};

TEST_F(Gate, ClearReturnsAtOnce) {
  ResourceGate gate(options());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(gate.wait_until_clear(std::stop_token{}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(gate.reason(), "");
  EXPECT_TRUE(changes.seen().empty());
  EXPECT_EQ(log.text(), "");
}

TEST_F(Gate, OverMaxRamBlocksUntilTheReadingChangesThenResumes) {
  readings.set([](auto& r) { r.process_rss_bytes = 9 * k_gib + 100 * k_mib; });
  ResourceGate gate(options());
  std::atomic<int> returned{-1};
  auto t = waiter(gate, returned);
  ASSERT_TRUE(eventually([&] { return readings.reads() >= 3; }));
  EXPECT_EQ(returned, -1) << "must block while RSS is over max_ram_gb";
  EXPECT_EQ(gate.reason(), "memory 9.1 GB over max_ram_gb 8");
  readings.set([](auto& r) { r.process_rss_bytes = 2 * k_gib; });
  ASSERT_TRUE(eventually([&] { return returned != -1; }));
  t.join();
  EXPECT_EQ(returned, 1);
  EXPECT_EQ(changes.seen(), (std::vector<std::string>{"memory 9.1 GB over max_ram_gb 8", ""}));
  EXPECT_EQ(log.count("warning: paused: memory 9.1 GB over max_ram_gb 8\n"), 1) << log.text();
  EXPECT_EQ(log.count("info: resumed after 0 s\n"), 1) << log.text();
}

TEST_F(Gate, LowBatteryDischargingPausesAndChargingResumes) {
  readings.set([](auto& r) {
    r.power.has_battery = true;
    r.power.battery_percent = 15;
    r.power.status = sys::BatteryStatus::discharging;
    r.power.on_battery = true;
  });
  ResourceGate gate(options());
  std::atomic<int> returned{-1};
  auto t = waiter(gate, returned);
  ASSERT_TRUE(eventually([&] { return readings.reads() >= 3; }));
  EXPECT_EQ(returned, -1);
  EXPECT_EQ(gate.reason(), "on battery at 15% (below 20%)");
  readings.set([](auto& r) {
    r.power.status = sys::BatteryStatus::charging;
    r.power.on_battery = false;
  });
  t.join();
  EXPECT_EQ(returned, 1);
  EXPECT_EQ(changes.seen(), (std::vector<std::string>{"on battery at 15% (below 20%)", ""}));
  EXPECT_EQ(log.count("paused: on battery at 15% (below 20%)"), 1) << log.text();
}

TEST_F(Gate, DisabledBatteryMonitoringIgnoresTheBattery) {
  readings.set([](auto& r) {
    r.power.battery_percent = 3;
    r.power.on_battery = true;
  });
  auto o = options();
  o.limits.battery_monitoring = false;
  ResourceGate gate(std::move(o));
  EXPECT_TRUE(gate.wait_until_clear(std::stop_token{}));
  EXPECT_TRUE(changes.seen().empty());
}

TEST_F(Gate, TheUsersPauseHoldsUntilItIsLifted) {
  std::atomic<bool> requested{true};
  auto o = options();
  o.pause_requested = [&requested] { return requested.load(); };
  ResourceGate gate(std::move(o));
  std::atomic<int> returned{-1};
  auto t = waiter(gate, returned);
  ASSERT_TRUE(eventually([&] { return readings.reads() >= 3; }));
  EXPECT_EQ(returned, -1);
  EXPECT_EQ(gate.reason(), "pause requested by the user");
  requested = false;
  t.join();
  EXPECT_EQ(returned, 1);
  EXPECT_EQ(changes.seen(), (std::vector<std::string>{"pause requested by the user", ""}));
}

// The user's request is asked at every wait, not once per poll interval: a worker that finishes
// its file right after the request takes no other (a stale "clear" let a fast run finish every
// file after the user pressed p). The machine's readings stay once per interval.
TEST_F(Gate, TheUsersPauseHoldsFromTheNextWaitWithinThePollInterval) {
  std::atomic<bool> requested{false};
  auto o = options();
  o.poll_interval = 1h;
  o.pause_requested = [&requested] { return requested.load(); };
  ResourceGate gate(std::move(o));
  EXPECT_TRUE(gate.wait_until_clear(std::stop_token{}));
  requested = true;
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_FALSE(gate.wait_until_clear(stopped.get_token())) << "a stale clear let work go on";
  EXPECT_EQ(gate.reason(), "pause requested by the user");
  requested = false;
  EXPECT_TRUE(gate.wait_until_clear(std::stop_token{}));
  EXPECT_EQ(readings.reads(), 1) << "the machine's readings were taken again within the interval";
  EXPECT_EQ(changes.seen(), (std::vector<std::string>{"pause requested by the user", ""}));
}

TEST_F(Gate, LowMachineMemoryPauses) {
  readings.set([](auto& r) { r.memory.available_bytes = 300 * k_mib; });
  auto o = options();
  std::stop_source stop;
  ResourceGate gate(std::move(o));
  std::atomic<int> returned{-1};
  auto t = waiter(gate, returned, stop.get_token());
  ASSERT_TRUE(eventually([&] { return readings.reads() >= 2; }));
  EXPECT_EQ(gate.reason(), "low memory: 300 MiB available (below 512 MiB)");
  stop.request_stop();
  t.join();
  EXPECT_EQ(returned, 0);
}

TEST_F(Gate, AStopReleasesAWaiterWithinThePollInterval) {
  readings.set([](auto& r) { r.process_rss_bytes = 20 * k_gib; });
  auto o = options();
  o.poll_interval = 10s;  // a stop must not wait for the next reading
  ResourceGate gate(std::move(o));
  std::stop_source stop;
  std::atomic<int> returned{-1};
  auto t = waiter(gate, returned, stop.get_token());
  ASSERT_TRUE(eventually([&] { return readings.reads() >= 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(returned, -1);
  auto start = std::chrono::steady_clock::now();
  stop.request_stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_EQ(returned, 0);
  EXPECT_EQ(readings.reads(), 1) << "readings are taken once per poll interval, for all waiters";
}

TEST_F(Gate, FourWaitersMakeOnePauseAndOneResume) {
  readings.set([](auto& r) { r.process_rss_bytes = 10 * k_gib; });
  ResourceGate gate(options());
  std::vector<std::atomic<int>> returned(4);
  std::vector<std::jthread> workers;
  for (auto& r : returned) {
    r = -1;
    workers.push_back(waiter(gate, r));
  }
  ASSERT_TRUE(eventually([&] { return readings.reads() >= 10; }));
  for (auto& r : returned)
    EXPECT_EQ(r, -1);
  readings.set([](auto& r) { r.process_rss_bytes = 1 * k_gib; });
  workers.clear();  // joins
  for (auto& r : returned)
    EXPECT_EQ(r, 1);
  EXPECT_EQ(changes.seen(), (std::vector<std::string>{"memory 10.0 GB over max_ram_gb 8", ""}));
  EXPECT_EQ(log.count("paused:"), 1) << log.text();
  EXPECT_EQ(log.count("resumed after"), 1) << log.text();
}

TEST_F(Gate, AChangeOfReasonWhilePausedIsReportedButTheNumbersAreNot) {
  readings.set([](auto& r) { r.process_rss_bytes = 9 * k_gib; });
  std::atomic<bool> requested{false};
  auto o = options();
  o.pause_requested = [&requested] { return requested.load(); };
  ResourceGate gate(std::move(o));
  std::atomic<int> returned{-1};
  auto t = waiter(gate, returned);
  ASSERT_TRUE(eventually([&] { return readings.reads() >= 2; }));
  readings.set([](auto& r) { r.process_rss_bytes = 9 * k_gib + 500 * k_mib; });
  int seen = readings.reads();
  ASSERT_TRUE(eventually([&] { return readings.reads() >= seen + 2; }));
  EXPECT_EQ(gate.reason(), "memory 9.5 GB over max_ram_gb 8");
  requested = true;
  ASSERT_TRUE(eventually([&] { return gate.reason() == "pause requested by the user"; }));
  requested = false;
  readings.set([](auto& r) { r.process_rss_bytes = 1 * k_gib; });
  t.join();
  EXPECT_EQ(changes.seen(), (std::vector<std::string>{"memory 9.0 GB over max_ram_gb 8",
                                                      "pause requested by the user", ""}));
  EXPECT_EQ(log.count("paused:"), 2) << log.text();
  EXPECT_EQ(log.count("resumed after"), 1) << log.text();
}

TEST(GateRule, TheLowMemoryFloorIsTheSmallerOf512MiBAnd5Percent) {
  sys::MemoryReading m;
  EXPECT_EQ(low_memory_floor(m), 512 * k_mib);
  m.total_bytes = 64 * k_gib;
  EXPECT_EQ(low_memory_floor(m), 512 * k_mib);
  m.total_bytes = 4 * k_gib;
  EXPECT_EQ(low_memory_floor(m), 4 * k_gib / 20);
}

TEST(GateRule, UnavailableReadingsNeverPause) {
  GateLimits limits;
  sys::ResourceReadings nothing;
  EXPECT_EQ(pause_reason(limits, nothing, false).kind, PauseKind::none);
  nothing.power.on_battery = true;  // on battery, but how full is unknown
  EXPECT_EQ(pause_reason(limits, nothing, false).kind, PauseKind::none);
}

TEST(GateRule, TheThresholdIsStrictAndZeroLimitsMeanNone) {
  GateLimits limits;
  sys::ResourceReadings r;
  r.power.on_battery = true;
  r.power.battery_percent = 20;
  EXPECT_EQ(pause_reason(limits, r, false).kind, PauseKind::none);
  r.power.battery_percent = 19;
  EXPECT_EQ(pause_reason(limits, r, false).kind, PauseKind::battery);
  r.process_rss_bytes = 100 * k_gib;
  EXPECT_EQ(pause_reason(limits, r, false).kind, PauseKind::process_memory);
  limits.max_ram_gb = 0;
  EXPECT_EQ(pause_reason(limits, r, false).kind, PauseKind::battery);
  EXPECT_EQ(pause_reason(limits, r, true).kind, PauseKind::user);
}

}  // namespace
}  // namespace g2d::pipeline
