// `git2dataset status`: counts, the last run from its record, skip reasons and failures; a paused
// run's reason, and a run recorded as running whose heartbeat or process is gone; status and the
// dashboard read what the run's recorder (prepare's one writer) wrote.
#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/run_recorder.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "sys/process.hpp"
#include "tui/source.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class StatusCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(ws / "git2dataset.yaml", "pipeline:\n  database: g2d.db\n");
  }

  void fill() {
    auto db = store::open_sqlite(ws / "g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    for (const char* path : {"r/a.c", "r/b.c"}) {
      store::FileRecord f;
      f.file_path = path;
      f.repo = "r";
      f.file_hash = "h";
      store::SampleRecord s;
      s.file_path = path;
      s.question = "q?";
      s.answer = "a.";
      ASSERT_TRUE((*db)->commit_file(f, {s, s}));
    }
    ASSERT_TRUE((*db)->record_failure("r/b.c", "timeout", "no progress for 300 s", 1));
    ASSERT_TRUE((*db)->set_state("run.state", "finished"));
    ASSERT_TRUE((*db)->set_state("run.started_at", "1000"));
    ASSERT_TRUE((*db)->set_state("run.finished_at", "61000"));
    ASSERT_TRUE((*db)->set_state("run.planned", "2"));
    ASSERT_TRUE((*db)->set_state("run.done", "1"));
    ASSERT_TRUE((*db)->set_state("run.failed", "1"));
    ASSERT_TRUE((*db)->set_state("run.unchanged", "5"));
    ASSERT_TRUE((*db)->set_state("discover.skips", R"({"not_source": 7, "sensitive": 1})"));
  }

  sys::ProcessResult status(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"status", "--config", (ws / "git2dataset.yaml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_git2dataset(std::move(args));
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
};

TEST_F(StatusCli, ShowsCountsTheLastRunSkipsAndFailures) {
  fill();
  auto r = status();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("files: 1 done, 0 pending, 1 failed, 0 retired"));
  EXPECT_THAT(r.output, HasSubstr("samples: 4 (0 retired)"));
  EXPECT_THAT(r.output, HasSubstr("last run: finished, 1 of 2 files done, 1 failed, 5 unchanged, "
                                  "2.0 files/min"));
  EXPECT_THAT(r.output, HasSubstr("skipped at discovery: not_source 7, sensitive 1"));
  EXPECT_THAT(r.output, HasSubstr("r/b.c  timeout: no progress for 300 s (failed 1x)"));
}

TEST_F(StatusCli, JsonCarriesTheSameNumbers) {
  fill();
  auto r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["files"]["done"], 1);
  EXPECT_EQ(j["files"]["failed"], 1);
  EXPECT_EQ(j["samples"]["live"], 4);
  EXPECT_EQ(j["last_run"]["state"], "finished");
  EXPECT_EQ(j["last_run"]["planned"], 2);
  EXPECT_DOUBLE_EQ(j["last_run"]["files_per_minute"].get<double>(), 2.0);
  EXPECT_TRUE(j["last_run"]["eta_seconds"].is_null());
  EXPECT_EQ(j["skipped"]["not_source"], 7);
  ASSERT_EQ(j["failures"].size(), 1u);
  EXPECT_EQ(j["failures"][0]["file"], "r/b.c");
  EXPECT_EQ(j["failures"][0]["retry_count"], 1);
}

// A run recorded as running, by process `pid` of this host, that last beat `beat_age_ms` ago.
void record_running(const fs::path& db_path, std::int64_t beat_age_ms, pid_t pid,
                    const std::string& paused) {
  auto db = store::open_sqlite(db_path);
  ASSERT_TRUE(db) << db.error().describe();
  std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::array<char, 256> host{};
  ASSERT_EQ(gethostname(host.data(), host.size() - 1), 0);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"run.state", "running"},
           {"run.started_at", std::to_string(now - 120000)},
           {"run.finished_at", ""},
           {"run.planned", "10"},
           {"run.done", "4"},
           {"run.failed", "0"},
           {"run.pid", std::to_string(pid)},
           {"run.host", host.data()},
           {"run.heartbeat_at", std::to_string(now - beat_age_ms)},
           {"run.paused", paused}})
    ASSERT_TRUE((*db)->set_state(key, value));
}

TEST_F(StatusCli, ALiveRunThatIsPausedSaysWhy) {
  record_running(ws / "g2d.db", 1000, getpid(), "on battery at 15% (below 20%)");
  auto r = status();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("last run: running, 4 of 10 files done"));
  EXPECT_THAT(r.output, HasSubstr("paused: on battery at 15% (below 20%)"));
  EXPECT_THAT(r.output, HasSubstr("s left"));

  r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["last_run"]["state"], "running");
  EXPECT_EQ(j["last_run"]["recorded_state"], "running");
  EXPECT_EQ(j["last_run"]["paused"], "on battery at 15% (below 20%)");
  EXPECT_EQ(j["last_run"]["pid"], getpid());
  EXPECT_FALSE(j["last_run"]["eta_seconds"].is_null());
}

// Several servers: a line each, with its state, units, calls, errors and tokens (and why it is
// out); the same numbers in --json.
TEST_F(StatusCli, EachServerOfTheRunIsShown) {
  record_running(ws / "g2d.db", 1000, getpid(), "");
  {
    auto db = store::open_sqlite(ws / "g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    store::RunRecord r;
    store::LiveView live;
    live.endpoints = {
        {"http://gpu1:8080", "qwen", "up", "", 2, 4, 30, 1, 40000, 31000, 2000},
        {"http://gpu2:8080", "qwen", "down", "connection refused", 0, 4, 7, 3, 9000, 6000, 500}};
    r.live = live;
    ASSERT_TRUE((*db)->write_run(r, store::RunField::live));
  }
  auto r = status();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("  server http://gpu1:8080: up, 2 of 4 units, 30 calls, 1 errors, "
                        "40000 prompt tokens (77% reused), 2000 generated\n"));
  EXPECT_THAT(r.output,
              HasSubstr("  server http://gpu2:8080: down, 0 of 4 units, 7 calls, 3 errors, "
                        "9000 prompt tokens (66% reused), 500 generated (connection "
                        "refused)\n"));
  r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto servers = nlohmann::json::parse(r.output)["last_run"]["endpoints"];
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0]["name"], "http://gpu1:8080");
  EXPECT_EQ(servers[0]["cached_prompt_tokens"], 31000);
  EXPECT_EQ(servers[1]["state"], "down");
  EXPECT_EQ(servers[1]["why"], "connection refused");
}

// A run that ended while paused (Ctrl-C during a pause) leaves the request behind; the next run
// must not start paused without anyone asking.
TEST_F(StatusCli, APauseLeftByAnEarlierRunIsClearedWhenTheNextRunStarts) {
  fs::create_directories(ws / "repos");
  {
    auto db = store::open_sqlite(ws / "g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    ASSERT_TRUE((*db)->set_state("run.pause_requested", "1"));
  }
  auto prepared =
      test::run_git2dataset({"prepare", "--config", (ws / "git2dataset.yaml").string()});
  ASSERT_EQ(prepared.exit_code, 0) << prepared.output;
  EXPECT_THAT(prepared.output, HasSubstr("a pause asked of an earlier run was cleared"));
  auto r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["last_run"]["pause_requested"], false);
}

TEST_F(StatusCli, ARunWhoseHeartbeatStoppedWasInterrupted) {
  record_running(ws / "g2d.db", 60000, getpid(), "on battery at 15% (below 20%)");
  auto r = status();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("last run: interrupted, 4 of 10 files done"));
  EXPECT_THAT(r.output, HasSubstr("recorded as running"));
  EXPECT_THAT(r.output, Not(HasSubstr("paused:")));
  EXPECT_THAT(r.output, Not(HasSubstr("s left")));

  r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["last_run"]["state"], "interrupted");
  EXPECT_EQ(j["last_run"]["recorded_state"], "running");
  EXPECT_TRUE(j["last_run"]["paused"].is_null());
  EXPECT_TRUE(j["last_run"]["eta_seconds"].is_null());
}

TEST_F(StatusCli, ARunWhoseProcessIsGoneWasInterrupted) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    _exit(0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);  // reaped: the pid names no process now
  record_running(ws / "g2d.db", 0, child, "");
  auto r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["last_run"]["state"], "interrupted");
  EXPECT_EQ(j["last_run"]["recorded_state"], "running");
}

TEST_F(StatusCli, StatusReadsButNeverWritesTheRunState) {
  record_running(ws / "g2d.db", 60000, getpid(), "");
  auto before = store::open_sqlite(ws / "g2d.db");
  ASSERT_TRUE(before);
  auto state = (*before)->state();
  ASSERT_TRUE(state);
  before->reset();
  ASSERT_EQ(status().exit_code, 0);
  auto after = store::open_sqlite(ws / "g2d.db");
  ASSERT_TRUE(after);
  auto again = (*after)->state();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *state);
}

TEST_F(StatusCli, WithoutADatabaseItSaysSoAndCreatesNothing) {
  auto r = status();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no database yet"));
  EXPECT_FALSE(fs::exists(ws / "g2d.db"));
}

// The run's one writer (pipeline::RunRecorder, as prepare uses it) and its two readers: `status
// --json` and the dashboard's data source show the same run, live and then ended.
TEST_F(StatusCli, StatusAndTheDashboardReadWhatTheRunsRecorderWrote) {
  auto db = store::open_sqlite(ws / "g2d.db");
  ASSERT_TRUE(db) << db.error().describe();
  pipeline::RunStart start;
  start.planned = 3;
  start.unchanged = 2;
  start.skips = {{"not_source", 7}, {"sensitive", 1}};
  start.backend = "openai";
  start.model = "fake-model";
  start.repo_of_file = {{"r/a.c", "r"}, {"r/b.c", "r"}, {"r/c.c", "r"}};
  pipeline::RunRecorder recorder(**db, start);
  recorder.on_file_started("r/a.c");
  recorder.on_call_done(2, 1);
  recorder.on_file_done({"r/a.c", true, 1, 0, "", 0.5});
  recorder.on_file_ended("r/a.c");
  recorder.on_file_started("r/b.c");
  recorder.on_paused("low memory");

  auto r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  const auto& run = j["last_run"];
  EXPECT_EQ(run["state"], "running");
  EXPECT_EQ(run["paused"], "low memory");
  EXPECT_EQ(run["pause_requested"], false);
  EXPECT_EQ(run["pid"], getpid());
  EXPECT_EQ(run["planned"], 3);
  EXPECT_EQ(run["done"], 1);
  EXPECT_EQ(run["failed"], 0);
  EXPECT_EQ(run["unchanged"], 2);
  EXPECT_EQ(run["finished_at_ms"], 0);
  EXPECT_EQ(j["skipped"], (nlohmann::json{{"not_source", 7}, {"sensitive", 1}}));

  auto reader = store::open_sqlite(ws / "g2d.db", store::OpenMode::read_only);
  ASSERT_TRUE(reader) << reader.error().describe();
  tui::SourceOptions options;
  options.log_file = ws / "g2d.log";
  options.roots.proc = ws / "proc";
  options.roots.sys = ws / "sys";
  options.gpu.command = {"g2d-test-no-such-nvidia-smi"};
  tui::DataSource source(**reader, options);
  std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  tui::Snapshot s = source.snapshot(now);
  EXPECT_TRUE(s.error.empty()) << s.error;
  EXPECT_EQ(s.view.state, "running");
  EXPECT_EQ(s.view.paused, "low memory");
  EXPECT_EQ(s.run.pid, run["pid"].get<std::int64_t>());
  EXPECT_EQ(s.run.started_at_ms, run["started_at_ms"].get<std::int64_t>());
  EXPECT_EQ(s.run.done, 1);
  EXPECT_EQ(s.run.backend, "openai");
  EXPECT_EQ(s.run.model, "fake-model");
  EXPECT_EQ(s.skips, start.skips);

  recorder.finish(pipeline::RunEnd::stopped);
  r = status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["last_run"]["state"], "stopped");
  EXPECT_TRUE(j["last_run"]["paused"].is_null());
  s = source.snapshot(now);
  EXPECT_EQ(s.view.state, "stopped");
  EXPECT_EQ(s.run.finished_at_ms, j["last_run"]["finished_at_ms"].get<std::int64_t>());
  ASSERT_TRUE(s.live);
  ASSERT_EQ(s.live->in_flight.size(), 1u);
  EXPECT_EQ(s.live->in_flight[0].file, "r/b.c");
  ASSERT_TRUE(s.live->repository);
  EXPECT_EQ(s.live->repository->done, 1);
  EXPECT_EQ(s.live->questions, 2);
  EXPECT_EQ(s.live->answers, 1);
  r = status();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("last run: stopped, 1 of 3 files done, 0 failed, 2 unchanged"));
  EXPECT_THAT(r.output, HasSubstr("skipped at discovery: not_source 7, sensitive 1"));
}

}  // namespace
}  // namespace g2d
