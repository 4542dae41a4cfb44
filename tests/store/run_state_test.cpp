// The last run as AppState records it, and as `status` and the dashboard show it: live, finished,
// interrupted by a stopped heartbeat or a gone process; rate, ETA and pause only when they apply.
#include "store/run_state.hpp"

#include <gtest/gtest.h>

namespace g2d::store {
namespace {

constexpr std::int64_t k_now = 10'000'000;

std::map<std::string, std::string> running(std::int64_t beat_age_ms) {
  return {{"run.state", "running"},
          {"run.started_at", std::to_string(k_now - 120'000)},
          {"run.heartbeat_at", std::to_string(k_now - beat_age_ms)},
          {"run.pid", "42"},
          {"run.host", "h"},
          {"run.planned", "10"},
          {"run.done", "3"},
          {"run.failed", "1"},
          {"run.unchanged", "5"},
          {"run.paused", "on battery at 15% (below 20%)"},
          {"run.pause_requested", "1"},
          {"run.backend", "ollama"},
          {"run.model", "qwen"},
          {"run.live", "{}"}};
}

TEST(RunState, ParsesTheRecordedKeys) {
  RunRecord r = parse_run_record(running(1000));
  EXPECT_EQ(r.state, "running");
  EXPECT_EQ(r.started_at_ms, k_now - 120'000);
  EXPECT_EQ(r.pid, 42);
  EXPECT_EQ(r.host, "h");
  EXPECT_EQ(r.planned, 10);
  EXPECT_EQ(r.done, 3);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.unchanged, 5);
  EXPECT_TRUE(r.pause_requested);
  EXPECT_EQ(r.backend, "ollama");
  EXPECT_EQ(r.model, "qwen");
  EXPECT_EQ(r.live, "{}");
  RunRecord none = parse_run_record({{"run.done", "many"}, {"run.pause_requested", "0"}});
  EXPECT_EQ(none.state, "");
  EXPECT_EQ(none.done, 0);
  EXPECT_FALSE(none.pause_requested);
}

TEST(RunState, ALiveRunHasARateAnETAAndItsPause) {
  RunView v = view_run(parse_run_record(running(1000)), k_now, false);
  EXPECT_TRUE(v.live);
  EXPECT_EQ(v.state, "running");
  EXPECT_EQ(v.elapsed_ms, 120'000);
  EXPECT_DOUBLE_EQ(v.files_per_minute, 2.0);
  EXPECT_EQ(v.eta_seconds, 180);
  EXPECT_EQ(v.paused, "on battery at 15% (below 20%)");
}

TEST(RunState, AStoppedHeartbeatOrAGoneProcessIsInterrupted) {
  for (auto [age, gone] : {std::pair{k_stale_heartbeat_ms + 1, false}, std::pair{1000L, true}}) {
    RunRecord r = parse_run_record(running(age));
    RunView v = view_run(r, k_now, gone);
    EXPECT_FALSE(v.live);
    EXPECT_EQ(v.state, "interrupted");
    EXPECT_FALSE(v.eta_seconds);
    EXPECT_FALSE(v.paused);
    EXPECT_EQ(v.elapsed_ms, 120'000 - age) << "its time alive, to its last beat";
  }
}

TEST(RunState, AFinishedRunKeepsItsDuration) {
  auto state = running(60'000);
  state["run.state"] = "finished";
  state["run.finished_at"] = std::to_string(k_now - 60'000);
  RunView v = view_run(parse_run_record(state), k_now, true);
  EXPECT_FALSE(v.live);
  EXPECT_EQ(v.state, "finished");
  EXPECT_EQ(v.elapsed_ms, 60'000);
  EXPECT_DOUBLE_EQ(v.files_per_minute, 4.0);
  EXPECT_FALSE(v.eta_seconds);
  EXPECT_FALSE(v.paused);
}

}  // namespace
}  // namespace g2d::store
