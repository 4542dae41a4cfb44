// The dashboard's data source against a real SQLite store made with the store's API (opened
// read-only, as the dashboard does, beside a writer), the log's tail (only its last bytes, and only
// when it changed), CPU readings from a fabricated /proc, and nvidia-smi's output — parsed, run
// through a stand-in script, and missing.
#include "tui/source.hpp"

#include <chrono>
#include <filesystem>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "support.hpp"
#include "tui/log_tail.hpp"
#include "tui/system_probe.hpp"

namespace g2d::tui {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::open_sqlite(tmp / "g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    writer = std::move(*db);
    for (const char* path : {"r/a.c", "r/b.c"}) {
      store::FileRecord f;
      f.file_path = path;
      f.repo = "r";
      f.file_hash = "h";
      store::SampleRecord s;
      s.file_path = path;
      s.question = "q?";
      s.answer = "a.";
      ASSERT_TRUE(writer->commit_file(f, {s, s, s}));
    }
    ASSERT_TRUE(writer->record_failure("r/b.c", "timeout", "no progress for 300 s", 1));
    std::int64_t now = now_ms();
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"run.state", "running"},
             {"run.started_at", std::to_string(now - 60000)},
             {"run.heartbeat_at", std::to_string(now - 1000)},
             {"run.pid", "77"},
             {"run.host", "elsewhere"},
             {"run.planned", "10"},
             {"run.done", "2"},
             {"run.failed", "1"},
             {"run.unchanged", "4"},
             {"run.backend", "llama_cpp"},
             {"run.model", "tiny.gguf"},
             {"run.pause_requested", "1"},
             {"discover.skips", R"({"not_source": 7, "sensitive": 1})"},
             {"run.live", R"({"in_flight":[{"file":"r/c.c","started_at":)" +
                              std::to_string(now - 5000) +
                              R"(}],"repository":{"name":"r","planned":10,"done":2,"failed":1},)"
                              R"("repositories":1,"questions":9,"answers":6,"samples":6})"}})
      ASSERT_TRUE(writer->set_state(key, value));
    auto ro = store::open_sqlite(tmp / "g2d.db", store::OpenMode::read_only);
    ASSERT_TRUE(ro) << ro.error().describe();
    reader = std::move(*ro);
    options.database = (tmp / "g2d.db").string();
    options.log_file = tmp / "g2d.log";
    options.roots.proc = tmp / "proc";
    options.roots.sys = tmp / "sys";
    options.gpu.command = {"g2d-test-no-such-nvidia-smi"};
    options.process_gone = [this](std::int64_t, std::string_view) { return gone; };
  }

  test::TempDir tmp;
  std::unique_ptr<store::Store> writer;
  std::unique_ptr<store::Store> reader;
  SourceOptions options;
  bool gone = false;
};

TEST_F(SourceTest, TheSnapshotCarriesTheStoresNumbersAndTheRunsLiveView) {
  DataSource source(*reader, options);
  std::int64_t now = now_ms();
  Snapshot s = source.snapshot(now);
  EXPECT_TRUE(s.error.empty()) << s.error;
  EXPECT_EQ(s.now_ms, now);
  EXPECT_EQ(s.counts.files_done, 1);
  EXPECT_EQ(s.counts.files_failed, 1);
  EXPECT_EQ(s.counts.live_samples, 6);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].file_path, "r/b.c");
  EXPECT_EQ(s.failures[0].error_message, "no progress for 300 s");
  EXPECT_EQ(s.run.state, "running");
  EXPECT_EQ(s.run.planned, 10);
  EXPECT_EQ(s.run.backend, "llama_cpp");
  EXPECT_EQ(s.run.model, "tiny.gguf");
  EXPECT_TRUE(s.run.pause_requested);
  EXPECT_TRUE(s.view.live);
  EXPECT_EQ(s.view.state, "running");
  EXPECT_NEAR(s.view.files_per_minute, 3.0, 0.1);
  ASSERT_TRUE(s.view.eta_seconds);
  EXPECT_EQ(s.skips, (std::map<std::string, std::int64_t>{{"not_source", 7}, {"sensitive", 1}}));
  ASSERT_TRUE(s.live);
  ASSERT_EQ(s.live->in_flight.size(), 1u);
  EXPECT_EQ(s.live->in_flight[0].file, "r/c.c");
  EXPECT_NEAR(static_cast<double>(now - s.live->in_flight[0].started_at_ms), 5000.0, 2000.0);
  ASSERT_TRUE(s.live->repository);
  EXPECT_EQ(s.live->repository->name, "r");
  EXPECT_EQ(s.live->repository->done, 2);
  EXPECT_EQ(s.live->questions, 9);
  EXPECT_EQ(s.live->answers, 6);
  EXPECT_EQ(s.log_path, (tmp / "g2d.log").string());
  EXPECT_TRUE(s.log_lines.empty());
  EXPECT_THAT(s.log_note, HasSubstr("no log yet"));
  EXPECT_TRUE(s.system.gpus.empty());
  EXPECT_EQ(s.system.gpu_note, "g2d-test-no-such-nvidia-smi not found");
}

TEST_F(SourceTest, AGoneProcessMakesTheRunInterrupted) {
  gone = true;
  DataSource source(*reader, options);
  Snapshot s = source.snapshot(now_ms());
  EXPECT_FALSE(s.view.live);
  EXPECT_EQ(s.view.state, "interrupted");
  EXPECT_TRUE(s.process_gone);
}

// The reader never holds a lock the writer waits on, and each snapshot sees what was written.
TEST_F(SourceTest, EachSnapshotReadsAgainWhileTheWriterGoesOn) {
  DataSource source(*reader, options);
  EXPECT_EQ(source.snapshot(now_ms()).run.done, 2);
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(writer->set_state("run.done", "3"));
  store::FileRecord f;
  f.file_path = "r/d.c";
  f.repo = "r";
  f.file_hash = "h";
  ASSERT_TRUE(writer->commit_file(f, {}));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  Snapshot s = source.snapshot(now_ms());
  EXPECT_EQ(s.run.done, 3);
  EXPECT_EQ(s.counts.files_done, 2);
}

TEST_F(SourceTest, ReadingsComeFromTheProbeRoots) {
  test::write_file(tmp / "proc/meminfo", "MemTotal: 16384 kB\nMemAvailable: 4096 kB\n");
  test::write_file(tmp / "proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n");
  options.system_interval = std::chrono::milliseconds(0);
  DataSource source(*reader, options);
  Snapshot first = source.snapshot(now_ms());
  EXPECT_FALSE(first.system.cpu_percent) << "one reading gives no rate";
  EXPECT_EQ(first.system.memory.total_bytes, 16384u * 1024);
  EXPECT_EQ(first.system.memory.available_bytes, 4096u * 1024);
  test::write_file(tmp / "proc/stat", "cpu  175 0 100 825 0 0 0 0 0 0\n");
  Snapshot second = source.snapshot(now_ms());
  ASSERT_TRUE(second.system.cpu_percent);
  EXPECT_DOUBLE_EQ(*second.system.cpu_percent, 75.0);
}

TEST(LogTail, ReadsOnlyTheLastBytesAndDropsThePartialFirstLine) {
  test::TempDir tmp;
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "line " + std::to_string(i) + "\n";
  test::write_file(tmp / "big.log", text);
  auto lines = read_tail(tmp / "big.log", 100, 1000);
  ASSERT_TRUE(lines) << lines.error().describe();
  ASSERT_FALSE(lines->empty());
  EXPECT_EQ(lines->back(), "line 19999");
  for (const auto& l : *lines)
    EXPECT_TRUE(l.starts_with("line ")) << l;
  EXPECT_LE(lines->size(), 10u);
  auto few = read_tail(tmp / "big.log", 64 * 1024, 3);
  ASSERT_TRUE(few);
  EXPECT_THAT(*few, ElementsAre("line 19997", "line 19998", "line 19999"));
  EXPECT_EQ(read_tail(tmp / "none.log", 100, 10).error().kind, ErrorKind::not_found);
}

TEST(LogTail, AStartOnALineBoundaryKeepsThatLineAndAnUnfinishedLastLineIsShown) {
  test::TempDir tmp;
  test::write_file(tmp / "a.log", "first\r\nsecond\nthird, still being writ");
  auto lines = read_tail(tmp / "a.log", 34, 10);  // starts right after "first\r\n"
  ASSERT_TRUE(lines);
  EXPECT_THAT(*lines, ElementsAre("second", "third, still being writ"));
  lines = read_tail(tmp / "a.log", 1000, 10);
  ASSERT_TRUE(lines);
  EXPECT_THAT(*lines, ElementsAre("first", "second", "third, still being writ"));
}

TEST(LogTail, ReadsAgainOnlyWhenTheFileChanged) {
  test::TempDir tmp;
  LogTail tail(tmp / "run.log", 4096, 100);
  tail.refresh();
  EXPECT_TRUE(tail.lines().empty());
  EXPECT_THAT(tail.note(), HasSubstr("does not exist"));
  test::write_file(tmp / "run.log", "one\ntwo\n");
  tail.refresh();
  EXPECT_THAT(tail.lines(), ElementsAre("one", "two"));
  EXPECT_EQ(tail.reads(), 1);
  tail.refresh();
  tail.refresh();
  EXPECT_EQ(tail.reads(), 1) << "an unchanged file is not read again";
  {
    std::FILE* f = std::fopen((tmp / "run.log").c_str(), "a");
    ASSERT_NE(f, nullptr);
    std::fputs("three\n", f);
    std::fclose(f);
  }
  tail.refresh();
  EXPECT_THAT(tail.lines(), ElementsAre("one", "two", "three"));
  EXPECT_EQ(tail.reads(), 2);
  test::write_file(tmp / "run.log", "rotated\n");  // shorter: read afresh
  tail.refresh();
  EXPECT_THAT(tail.lines(), ElementsAre("rotated"));
}

TEST(CpuMeter, ParsesProcStat) {
  auto t = parse_proc_stat("intr 1 2\ncpu  10 5 20 100 7 1 2 3 4 5\ncpu0 1 1 1 1\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->total, 148u);  // the first eight fields: guests are already in user and nice
  EXPECT_EQ(t->busy, 41u);    // less idle and iowait
  EXPECT_FALSE(parse_proc_stat("cpu  1 2\n"));
  EXPECT_FALSE(parse_proc_stat("nothing here"));
}

TEST(GpuProbe, ParsesNvidiaSmiIncludingUnavailableFields) {
  auto gpus = parse_nvidia_smi("45, 10240, 81920\n[N/A], 1024, [N/A]\n");
  ASSERT_TRUE(gpus);
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[0].utilization_percent, 45.0);
  EXPECT_EQ((*gpus)[0].memory_used_bytes, 10240ULL << 20);
  EXPECT_EQ((*gpus)[0].memory_total_bytes, 81920ULL << 20);
  EXPECT_FALSE((*gpus)[1].utilization_percent);
  EXPECT_EQ((*gpus)[1].memory_used_bytes, 1024ULL << 20);
  EXPECT_FALSE((*gpus)[1].memory_total_bytes);
  EXPECT_TRUE(parse_nvidia_smi("")->empty());
  EXPECT_FALSE(parse_nvidia_smi("45, 10240\n"));
  EXPECT_FALSE(parse_nvidia_smi("NVIDIA-SMI has failed because it couldn't communicate"));
}

TEST(GpuProbe, RunsTheCommandAtMostEveryIntervalAndNeverAgainWhenMissing) {
  test::TempDir tmp;
  fs::path script = tmp / "fake-nvidia-smi";  // a stand-in printing nvidia-smi's CSV
  test::write_file(script, "#!/bin/sh\necho '12, 2048, 8192'\n");
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  GpuProbeOptions o;
  o.command = {script.string(), "--query-gpu=utilization.gpu,memory.used,memory.total"};
  o.interval = std::chrono::seconds(5);
  GpuProbe probe(o);
  auto t0 = std::chrono::steady_clock::now();
  const auto& gpus = probe.poll(t0);
  ASSERT_EQ(gpus.size(), 1u) << probe.note();
  EXPECT_EQ(gpus[0].utilization_percent, 12.0);
  probe.poll(t0 + std::chrono::seconds(1));
  EXPECT_EQ(probe.runs(), 1);
  probe.poll(t0 + std::chrono::seconds(6));
  EXPECT_EQ(probe.runs(), 2);

  test::write_file(script, "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n");
  EXPECT_TRUE(probe.poll(t0 + std::chrono::seconds(12)).empty());
  EXPECT_THAT(probe.note(), HasSubstr("failed: NVIDIA-SMI has failed"));

  GpuProbe missing(GpuProbeOptions{
      {"g2d-test-no-such-nvidia-smi"}, std::chrono::seconds(2), std::chrono::milliseconds(0)});
  EXPECT_TRUE(missing.poll(t0).empty());
  EXPECT_TRUE(missing.poll(t0 + std::chrono::seconds(10)).empty());
  EXPECT_EQ(missing.runs(), 1);
  EXPECT_EQ(missing.note(), "g2d-test-no-such-nvidia-smi not found");
}

TEST(GpuProbe, AHangingCommandIsStoppedByTheTimeout) {
  test::TempDir tmp;
  fs::path script = tmp / "hanging-nvidia-smi";
  test::write_file(script, "#!/bin/sh\nsleep 30\n");
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  GpuProbe probe(
      GpuProbeOptions{{script.string()}, std::chrono::milliseconds(300), std::chrono::seconds(5)});
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(probe.poll(started).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_THAT(probe.note(), HasSubstr("timeout"));
}

}  // namespace
}  // namespace g2d::tui
