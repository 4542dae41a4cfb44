// The last run as the store records it — written field by field and read back whole through a real
// SQLite store, the keys earlier versions wrote read the same, missing and malformed values read as
// their defaults — and as `status` and the dashboard show it: live, finished, interrupted by a
// stopped heartbeat or a gone process; rate, ETA and pause only when they apply.
#include "store/run_state.hpp"

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/store.hpp"

namespace g2d::store {
namespace {

using test::StoreFixture;

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
  EXPECT_EQ(r.live, LiveView{});
  RunRecord none = parse_run_record({{"run.done", "many"}, {"run.pause_requested", "0"}});
  EXPECT_EQ(none.state, "");
  EXPECT_EQ(none.done, 0);
  EXPECT_FALSE(none.pause_requested);
}

TEST(RunState, ALiveViewThatIsNotPreparesJsonIsNone) {
  EXPECT_FALSE(parse_live_view(""));
  EXPECT_FALSE(parse_live_view("[1,2]"));
  EXPECT_FALSE(parse_live_view("{not json"));
  auto v = parse_live_view(R"({"in_flight":"x","questions":"many","answers":3})");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->in_flight.empty());
  EXPECT_EQ(v->questions, 0);
  EXPECT_EQ(v->answers, 3);
  EXPECT_FALSE(v->repository);
}

RunRecord full_record() {
  RunRecord r;
  r.state = "running";
  r.started_at_ms = k_now - 120'000;
  r.heartbeat_at_ms = k_now - 1'000;
  r.pid = 4242;
  r.host = "builder";
  r.planned = 40;
  r.done = 10;
  r.failed = 1;
  r.unchanged = 5;
  r.paused = "on battery at 15% (below 20%)";
  r.pause_requested = true;
  r.backend = "openai";
  r.model = "fake-model";
  LiveView live;
  live.in_flight = {{"r/a.c", k_now - 5'000}, {"r/\xc3\xa9.c", k_now - 4'000}};
  live.repository = RepoProgress{"r", 40, 10, 1};
  live.repositories = 2;
  live.questions = 22;
  live.answers = 20;
  live.samples = 19;
  live.endpoints = {
      {"http://gpu1:8080", "qwen", "up", "", 2, 4, 30, 1, 40'000, 31'000, 2'000},
      {"http://gpu2:8080", "qwen", "down", "connection refused", 0, 4, 7, 3, 9'000, 6'000, 500}};
  r.live = live;
  r.skips = {{"not_source", 7}, {"sensitive", 1}};
  return r;
}

class RunStateStore : public StoreFixture {};

TEST_F(RunStateStore, ARecordWrittenWholeReadsBackTheSame) {
  RunRecord r = full_record();
  ASSERT_TRUE(store().write_run(r, k_all_run_fields));
  auto read = store().read_run();
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, r);
  r.state = "finished";
  r.finished_at_ms = k_now;
  r.live.reset();
  r.skips.clear();
  ASSERT_TRUE(store().write_run(r, k_all_run_fields));
  EXPECT_EQ(store().read_run().value(), r);
}

// The run's writer names what changed; the rest (the dashboard's pause request) stays.
TEST_F(RunStateStore, AWriteChangesOnlyTheFieldsItNames) {
  RunRecord r = full_record();
  ASSERT_TRUE(store().write_run(r, k_all_run_fields));
  RunRecord update;
  update.done = 11;
  update.heartbeat_at_ms = k_now;
  ASSERT_TRUE(store().write_run(update, RunField::done | RunField::heartbeat_at));
  r.done = 11;
  r.heartbeat_at_ms = k_now;
  EXPECT_EQ(store().read_run().value(), r);
  update.pause_requested = false;
  ASSERT_TRUE(store().write_run(update, RunField::pause_requested));
  EXPECT_FALSE(store().read_run().value().pause_requested);
}

// A database written by an earlier version (the AppState keys, set one by one) reads the same.
TEST_F(RunStateStore, TheKeysEarlierVersionsWroteReadAsTheRecord) {
  RunRecord r = full_record();
  for (const auto& [key, value] : run_state_entries(r, k_all_run_fields))
    ASSERT_TRUE(store().set_state(key, value));
  EXPECT_EQ(store().read_run().value(), r);
  EXPECT_EQ(store().get_state("run.pause_requested").value(), std::optional<std::string>("1"));
  EXPECT_EQ(store().get_state("discover.skips").value(),
            std::optional<std::string>(R"({"not_source":7,"sensitive":1})"));
}

TEST_F(RunStateStore, NoRunRecordedReadsAsTheEmptyRecord) {
  auto read = store().read_run();
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, RunRecord{});
  EXPECT_FALSE(read->live);
}

// Hand-edited or truncated values read as their defaults, never as an error or a crash.
TEST_F(RunStateStore, MalformedValuesReadAsTheirDefaults) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"run.state", "running"},
           {"run.planned", "12x"},
           {"run.done", "99999999999999999999999"},
           {"run.heartbeat_at", ""},
           {"run.pause_requested", "yes"},
           {"run.live", R"({"in_flight": [{"file": 3}, 7], "questions": "many", "samples": 4)"},
           {"discover.skips", R"({"not_source": "7", "sensitive": 1, "binary": 2.5})"}})
    ASSERT_TRUE(store().set_state(key, value));
  auto read = store().read_run();
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(read->state, "running");
  EXPECT_EQ(read->planned, 0);
  EXPECT_EQ(read->done, 0);
  EXPECT_EQ(read->heartbeat_at_ms, 0);
  EXPECT_FALSE(read->pause_requested);
  EXPECT_FALSE(read->live) << "not JSON (truncated)";
  EXPECT_EQ(read->skips, (std::map<std::string, std::int64_t>{{"sensitive", 1}}));

  ASSERT_TRUE(store().set_state("run.live", R"({"in_flight": [{"file": 3}, 7], "samples": 4})"));
  read = store().read_run();
  ASSERT_TRUE(read->live);
  ASSERT_EQ(read->live->in_flight.size(), 1u);
  EXPECT_EQ(read->live->in_flight[0], (InFlightFile{"", 0}));
  EXPECT_EQ(read->live->samples, 4);
  EXPECT_FALSE(read->live->repository);
}

// The dashboard's and status's connection: read-only, beside the writer.
TEST_F(RunStateStore, AReadOnlyStoreReadsWhatTheWriterWroteAndRefusesToWrite) {
  RunRecord r = full_record();
  ASSERT_TRUE(store().write_run(r, k_all_run_fields));
  auto reader = open_sqlite(db(), OpenMode::read_only);
  ASSERT_TRUE(reader) << reader.error().describe();
  EXPECT_EQ((*reader)->read_run().value(), r);
  EXPECT_FALSE((*reader)->write_run(r, RunField::done));
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
