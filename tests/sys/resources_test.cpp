// Resource probes against fabricated /proc and /sys trees, and once against the real /proc.
#include "sys/resources.hpp"

#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d::sys {
namespace {

namespace fs = std::filesystem;

class Probes : public ::testing::Test {
 protected:
  void SetUp() override {
    roots.proc = tmp / "proc";
    roots.sys = tmp / "sys";
    fs::create_directories(roots.proc / "self");
    fs::create_directories(roots.sys / "class/power_supply");
  }

  void supply(const std::string& name, const std::string& type,
              std::initializer_list<std::pair<const char*, const char*>> files) {
    fs::path dir = roots.sys / "class/power_supply" / name;
    fs::create_directories(dir);
    test::write_file(dir / "type", type + "\n");
    for (const auto& [file, content] : files)
      test::write_file(dir / file, content);
  }

  test::TempDir tmp;
  ProbeRoots roots;
};

TEST_F(Probes, ProcessRssIsAnonymousResidentPagesTimesThePageSize) {
  // A mapped model file's pages are shared (file-backed): they do not count.
  test::write_file(roots.proc / "self/statm", "52000 3000 1200 300 0 4000 0\n");
  auto rss = process_rss_bytes(roots);
  ASSERT_TRUE(rss);
  EXPECT_EQ(*rss, (3000u - 1200u) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)));
}

TEST_F(Probes, MemoryComesFromMeminfoInKilobytes) {
  test::write_file(roots.proc / "meminfo",
                   "MemTotal:       16318412 kB\n"
                   "MemFree:         1000000 kB\n"
                   "MemAvailable:    8000000 kB\n"
                   "Buffers:          200000 kB\n");
  auto m = memory_reading(roots);
  ASSERT_TRUE(m.total_bytes && m.available_bytes);
  EXPECT_EQ(*m.total_bytes, 16318412ull * 1024);
  EXPECT_EQ(*m.available_bytes, 8000000ull * 1024);
}

TEST_F(Probes, ABatteryDischargingAt15PercentIsOnBattery) {
  supply("BAT0", "Battery", {{"capacity", "15\n"}, {"status", "Discharging\n"}});
  supply("AC", "Mains", {{"online", "0\n"}});
  auto p = power_reading(roots);
  EXPECT_TRUE(p.has_battery);
  ASSERT_TRUE(p.battery_percent);
  EXPECT_EQ(*p.battery_percent, 15);
  EXPECT_EQ(p.status, BatteryStatus::discharging);
  ASSERT_TRUE(p.on_ac);
  EXPECT_FALSE(*p.on_ac);
  EXPECT_TRUE(p.on_battery);
}

TEST_F(Probes, ABatteryDischargingWithoutAnyAdapterIsOnBattery) {
  supply("BAT1", "Battery", {{"capacity", "40"}, {"status", "Discharging"}});
  auto p = power_reading(roots);
  EXPECT_FALSE(p.on_ac);
  EXPECT_TRUE(p.on_battery);
}

TEST_F(Probes, ChargingOnMainsIsNotOnBattery) {
  supply("BAT0", "Battery", {{"capacity", "15\n"}, {"status", "Charging\n"}});
  supply("AC", "Mains", {{"online", "1\n"}});
  supply("ucsi-source-psy-USBC000:001", "USB", {{"online", "0\n"}});
  auto p = power_reading(roots);
  EXPECT_EQ(p.status, BatteryStatus::charging);
  ASSERT_TRUE(p.on_ac);
  EXPECT_TRUE(*p.on_ac);
  EXPECT_FALSE(p.on_battery);
}

TEST_F(Probes, AFullOrNotChargingBatteryOnAcIsNotOnBattery) {
  supply("BAT0", "Battery", {{"capacity", "100\n"}, {"status", "Full\n"}});
  supply("BAT1", "Battery", {{"capacity", "80\n"}, {"status", "Not charging\n"}});
  supply("ADP1", "Mains", {{"online", "1\n"}});
  auto p = power_reading(roots);
  EXPECT_EQ(p.status, BatteryStatus::not_charging);
  EXPECT_EQ(p.battery_percent, 90);  // the mean of both batteries
  EXPECT_FALSE(p.on_battery);
}

TEST_F(Probes, NoBatteryAtAllIsADesktopNotAnError) {
  supply("AC", "Mains", {{"online", "1\n"}});
  auto p = power_reading(roots);
  EXPECT_FALSE(p.has_battery);
  EXPECT_FALSE(p.battery_percent);
  EXPECT_FALSE(p.on_battery);
  fs::remove_all(roots.sys / "class");
  p = power_reading(roots);
  EXPECT_FALSE(p.has_battery);
  EXPECT_FALSE(p.on_ac);
  EXPECT_FALSE(p.on_battery);
}

TEST_F(Probes, ADevicesBatteryIsNotTheMachines) {
  supply("hidpp_battery_0", "Battery",
         {{"scope", "Device\n"}, {"capacity", "5\n"}, {"status", "Discharging\n"}});
  auto p = power_reading(roots);
  EXPECT_FALSE(p.has_battery);
  EXPECT_FALSE(p.on_battery);
}

TEST_F(Probes, MalformedFilesGiveEmptyReadings) {
  test::write_file(roots.proc / "self/statm", "garbage\n");
  test::write_file(roots.proc / "meminfo",
                   "MemTotal: lots kB\nMemAvailable: 12 MB\nMemAvailable\n");
  supply("BAT0", "Battery", {{"capacity", "-3\n"}, {"status", "\xff\xfe"}});
  supply("AC", "Mains", {{"online", "maybe\n"}});
  EXPECT_FALSE(process_rss_bytes(roots));
  auto m = memory_reading(roots);
  EXPECT_FALSE(m.total_bytes);
  EXPECT_FALSE(m.available_bytes);
  auto p = power_reading(roots);
  EXPECT_TRUE(p.has_battery);
  EXPECT_FALSE(p.battery_percent);
  EXPECT_EQ(p.status, BatteryStatus::unknown);
  EXPECT_FALSE(p.on_ac);
  EXPECT_FALSE(p.on_battery);

  test::write_file(roots.proc / "self/statm", "1 99999999999999999999999 1\n");
  EXPECT_FALSE(process_rss_bytes(roots));
  test::write_file(roots.proc / "self/statm", "");
  EXPECT_FALSE(process_rss_bytes(roots));
}

TEST_F(Probes, MissingFilesGiveEmptyReadings) {
  auto r = read_resources(roots);
  EXPECT_FALSE(r.process_rss_bytes);
  EXPECT_FALSE(r.memory.available_bytes);
  EXPECT_FALSE(r.memory.total_bytes);
  EXPECT_FALSE(r.power.has_battery);
}

TEST(RealProbes, ThisProcessHasResidentMemoryAndTheMachineHasSome) {
  auto r = read_resources();
  ASSERT_TRUE(r.process_rss_bytes);
  EXPECT_GT(*r.process_rss_bytes, 0u);
  ASSERT_TRUE(r.memory.total_bytes && r.memory.available_bytes);
  EXPECT_GT(*r.memory.total_bytes, 0u);
  EXPECT_LE(*r.memory.available_bytes, *r.memory.total_bytes);
}

}  // namespace
}  // namespace g2d::sys

namespace g2d::sys {
namespace {

TEST(CpuProbe, ProcStatGivesBusyAndTotalJiffiesAndTheCpus) {
  test::TempDir tmp;
  ProbeRoots roots;
  roots.proc = tmp.path();
  // user nice system idle iowait irq softirq steal guest guest_nice
  test::write_file(tmp / "stat",
                   "cpu  100 5 50 800 20 3 2 10 0 0\n"
                   "cpu0 50 2 25 400 10 1 1 5 0 0\n"
                   "cpu1 50 3 25 400 10 2 1 5 0 0\n"
                   "intr 12345\nctxt 999\n");
  auto t = cpu_times(roots);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->busy, 100u + 5 + 50 + 3 + 2 + 10);
  EXPECT_EQ(t->total, t->busy + 800 + 20);
  EXPECT_EQ(t->cpus, 2);
  test::write_file(tmp / "stat", "intr 1\n");
  EXPECT_FALSE(cpu_times(roots));
}

TEST(CpuProbe, BusyCoresAreTheBusyShareOfTheTimeBetweenTwoReadings) {
  CpuTimes before{1000, 4000, 4};
  CpuTimes after{1300, 4400, 4};  // 300 of 400 jiffies busy on 4 CPUs: 3 cores
  auto busy = busy_cores(before, after);
  ASSERT_TRUE(busy);
  EXPECT_DOUBLE_EQ(*busy, 3.0);
  EXPECT_FALSE(busy_cores(after, after));   // no time passed
  EXPECT_FALSE(busy_cores(after, before));  // the counters went back
}

// The engine's threads when llm.threads is 0: the cores other work leaves free, at least one.
TEST(CpuProbe, EngineThreadsAreTheFreeCores) {
  EXPECT_EQ(engine_threads(6, 1.0, 2), 6);  // configured: kept
  EXPECT_EQ(engine_threads(0, 0.2, 2), 2);
  EXPECT_EQ(engine_threads(0, 1.2, 2), 1);
  EXPECT_EQ(engine_threads(0, 1.6, 2), 1);
  EXPECT_EQ(engine_threads(0, 2.0, 2), 1);
  EXPECT_EQ(engine_threads(0, 3.4, 16), 13);
  EXPECT_EQ(engine_threads(0, std::nullopt, 8), 0);  // unknown: the engine's own choice (all)
}

// The real /proc/stat (Linux): a reading, and busy cores within what the machine has.
TEST(CpuProbe, TheRealMachineIsRead) {
#ifdef __APPLE__
  GTEST_SKIP() << "no /proc/stat on macOS (the probe reports nothing there)";
#else
  auto a = cpu_times();
  ASSERT_TRUE(a);
  EXPECT_GE(a->cpus, 1);
  EXPECT_GT(a->total, a->busy);
#endif
}

}  // namespace
}  // namespace g2d::sys
