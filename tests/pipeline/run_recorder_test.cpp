// The run's one writer against a real SQLite store: what it records when the run starts (an
// earlier pause request cleared), as outcomes and pauses come (read back at once), on its heartbeat
// (the live view), and when the run ends; every event passed on to the next observer.
#include "pipeline/run_recorder.hpp"

#include <condition_variable>
#include <mutex>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "support.hpp"
#include "sys/host.hpp"

namespace g2d::pipeline {
namespace {

// Writes down what reached it; on_tick is counted so a test can wait for the next heartbeats.
class Recording final : public ProgressObserver {
 public:
  void on_file_started(const std::string& path) override { add("started " + path); }
  void on_call_done(int q, int a) override {
    add("calls " + std::to_string(q) + " " + std::to_string(a));
  }
  void on_file_done(const FileOutcome& f) override {
    add((f.ok ? "done " : "failed ") + f.file_path);
  }
  void on_file_ended(const std::string& path) override { add("ended " + path); }
  void on_paused(const std::string& reason) override { add("paused " + reason); }
  void on_tick() override {
    std::lock_guard lock(m_mutex);
    ++m_ticks;
    m_ticked.notify_all();
  }

  std::vector<std::string> events() {
    std::lock_guard lock(m_mutex);
    return m_events;
  }
  int ticks() {
    std::lock_guard lock(m_mutex);
    return m_ticks;
  }
  // Waits for the tick numbered `n` (the bound only turns a hang into a failure).
  bool wait_for_tick(int n) {
    std::unique_lock lock(m_mutex);
    return m_ticked.wait_for(lock, std::chrono::seconds(60), [&] { return m_ticks >= n; });
  }

 private:
  void add(std::string e) {
    std::lock_guard lock(m_mutex);
    m_events.push_back(std::move(e));
  }
  std::mutex m_mutex;
  std::condition_variable m_ticked;
  std::vector<std::string> m_events;
  int m_ticks = 0;
};

class RunRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite(tmp / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::move(*opened);
    start.planned = 3;
    start.unchanged = 4;
    start.skips = {{"not_source", 7}};
    start.backend = "openai";
    start.model = "fake-model";
    start.repo_of_file = {{"r/a.c", "r"}, {"r/b.c", "r"}, {"s/c.c", "s"}};
  }

  store::RunRecord read() {
    auto run = db->read_run();
    EXPECT_TRUE(run) << run.error().describe();
    return run ? *run : store::RunRecord{};
  }

  test::TempDir tmp;
  std::unique_ptr<store::Store> db;
  RunStart start;
  Recording next;
};

TEST_F(RunRecorderTest, StartingRecordsARunningRunAndClearsAnEarlierPauseRequest) {
  store::RunRecord earlier;
  earlier.pause_requested = true;
  earlier.state = "stopped";
  earlier.done = 9;
  earlier.finished_at_ms = 5;
  ASSERT_TRUE(db->write_run(earlier, store::k_all_run_fields));
  RunRecorder recorder(*db, start, &next);
  EXPECT_FALSE(recorder.pause_requested());
  store::RunRecord run = read();
  EXPECT_EQ(run.state, "running");
  EXPECT_FALSE(run.pause_requested);
  EXPECT_GT(run.started_at_ms, 0);
  EXPECT_GE(run.heartbeat_at_ms, run.started_at_ms);
  EXPECT_EQ(run.finished_at_ms, 0);
  EXPECT_EQ(run.pid, getpid());
  EXPECT_EQ(run.host, sys::host_name());
  EXPECT_EQ(run.planned, 3);
  EXPECT_EQ(run.unchanged, 4);
  EXPECT_EQ(run.done, 0);
  EXPECT_EQ(run.failed, 0);
  EXPECT_EQ(run.skips, start.skips);
  EXPECT_EQ(run.backend, "openai");
  EXPECT_EQ(run.model, "fake-model");
  ASSERT_TRUE(run.live);
  EXPECT_TRUE(run.live->in_flight.empty());
  EXPECT_EQ(run.live->repositories, 2);

  // The dashboard's request (through the record) reaches the run.
  store::RunRecord request;
  request.pause_requested = true;
  ASSERT_TRUE(db->write_run(request, store::RunField::pause_requested));
  EXPECT_TRUE(recorder.pause_requested());
}

TEST_F(RunRecorderTest, OutcomesAndPausesAreRecordedAtOnceAndTheEndWithTheFinalLiveView) {
  RunRecorder recorder(*db, start, &next);
  recorder.on_file_started("r/a.c");
  recorder.on_call_done(2, 0);
  recorder.on_call_done(0, 1);
  recorder.on_file_done({"r/a.c", true, 1, 0, "", 0.5});
  recorder.on_file_ended("r/a.c");
  recorder.on_file_started("s/c.c");
  recorder.on_file_done({"s/c.c", false, 0, 0, "timeout: slow", 1.0});
  recorder.on_file_ended("s/c.c");
  recorder.on_file_started("r/b.c");
  recorder.on_paused("on battery at 15% (below 20%)");
  store::RunRecord run = read();
  EXPECT_EQ(run.done, 1);
  EXPECT_EQ(run.failed, 1);
  EXPECT_EQ(run.paused, "on battery at 15% (below 20%)");
  EXPECT_EQ(run.state, "running");

  recorder.finish(RunEnd::stopped);
  run = read();
  EXPECT_EQ(run.state, "stopped");
  EXPECT_GE(run.finished_at_ms, run.started_at_ms);
  EXPECT_EQ(run.paused, "");
  ASSERT_TRUE(run.live);
  EXPECT_EQ(run.live->in_flight.size(), 1u);
  EXPECT_EQ(run.live->in_flight[0].file, "r/b.c");
  EXPECT_EQ(run.live->repository, (store::RepoProgress{"r", 2, 1, 0}));
  EXPECT_EQ(run.live->questions, 2);
  EXPECT_EQ(run.live->answers, 1);
  EXPECT_EQ(run.live->samples, 1);
  EXPECT_EQ(next.events(),
            (std::vector<std::string>{"started r/a.c", "calls 2 0", "calls 0 1", "done r/a.c",
                                      "ended r/a.c", "started s/c.c", "failed s/c.c", "ended s/c.c",
                                      "started r/b.c", "paused on battery at 15% (below 20%)"}));
  recorder.finish(RunEnd::finished);  // once only: the first end stays
  EXPECT_EQ(read().state, "stopped");
}

// Between two heartbeats the live view is written at least once: a file taken shows in flight
// without any outcome or end.
TEST_F(RunRecorderTest, TheHeartbeatBeatsAndPublishesTheLiveView) {
  RunRecorder recorder(*db, start, &next);
  recorder.on_file_started("r/a.c");
  int seen = next.ticks();
  ASSERT_TRUE(next.wait_for_tick(seen + 2)) << "no heartbeat";
  store::RunRecord run = read();
  ASSERT_TRUE(run.live);
  ASSERT_EQ(run.live->in_flight.size(), 1u);
  EXPECT_EQ(run.live->in_flight[0].file, "r/a.c");
  EXPECT_GT(run.heartbeat_at_ms, run.started_at_ms - 1);
  EXPECT_EQ(run.state, "running");
}

// Several servers: their counts are published with the live view at each beat, and the final
// ones at the end.
TEST_F(RunRecorderTest, TheServersCountsArePublishedWithTheLiveView) {
  std::mutex mutex;
  std::int64_t calls = 1;  // guarded by mutex
  start.endpoints = [&] {
    std::lock_guard lock(mutex);
    return std::vector<store::EndpointView>{
        {"http://a:1", "m", "up", "", 1, 2, calls, 0, 100, 60, 10},
        {"http://b:2", "m", "down", "refused", 0, 2, 0, 1, 0, 0, 0}};
  };
  RunRecorder recorder(*db, start, &next);
  auto run = read();
  ASSERT_TRUE(run.live);
  ASSERT_EQ(run.live->endpoints.size(), 2u);
  EXPECT_EQ(run.live->endpoints[0].calls, 1);
  EXPECT_EQ(run.live->endpoints[1].why, "refused");
  {
    std::lock_guard lock(mutex);
    calls = 5;
  }
  int seen = next.ticks();
  ASSERT_TRUE(next.wait_for_tick(seen + 2)) << "no heartbeat";
  run = read();
  ASSERT_TRUE(run.live);
  EXPECT_EQ(run.live->endpoints.at(0).calls, 5);
  {
    std::lock_guard lock(mutex);
    calls = 9;
  }
  recorder.finish(RunEnd::finished);
  EXPECT_EQ(read().live->endpoints.at(0).calls, 9);
}

// Without finish() (the process died or the caller threw) the run stays recorded as running;
// status tells it from a live one by its heartbeat and its process.
TEST_F(RunRecorderTest, ARecorderGoneWithoutFinishLeavesTheRunRunning) {
  { RunRecorder recorder(*db, start); }
  EXPECT_EQ(read().state, "running");
}

}  // namespace
}  // namespace g2d::pipeline
