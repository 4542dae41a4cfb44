// `git2dataset status`: counts, the last run from AppState, skip reasons and failures.
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

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

TEST_F(StatusCli, WithoutADatabaseItSaysSoAndCreatesNothing) {
  auto r = status();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no database yet"));
  EXPECT_FALSE(fs::exists(ws / "g2d.db"));
}

}  // namespace
}  // namespace g2d
