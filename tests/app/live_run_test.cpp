// What prepare publishes for the dashboard (AppState run.live): the files in flight in the order
// they were taken, the current repository and its counts, the calls finished, and the JSON written
// only when it changed; several workers reporting at once.
#include "app/live_run.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace g2d::app {
namespace {

using nlohmann::json;

TEST(LiveRun, InFlightFilesTheCurrentRepositoryAndTheCalls) {
  LiveRun live({{"a/x.c", "a"}, {"a/y.c", "a"}, {"b/z.c", "b"}});
  json j = json::parse(live.json());
  EXPECT_TRUE(j["in_flight"].empty());
  EXPECT_TRUE(j["repository"].is_null());
  EXPECT_EQ(j["repositories"], 2);

  live.file_started("a/x.c", 1000);
  live.file_started("b/z.c", 2000);
  live.generated(2, 0);
  live.generated(0, 1);
  j = json::parse(live.json());
  ASSERT_EQ(j["in_flight"].size(), 2u);
  EXPECT_EQ(j["in_flight"][0]["file"], "a/x.c");
  EXPECT_EQ(j["in_flight"][0]["started_at"], 1000);
  EXPECT_EQ(j["in_flight"][1]["file"], "b/z.c");
  EXPECT_EQ(j["repository"]["name"], "b");  // the file taken last
  EXPECT_EQ(j["repository"]["planned"], 1);
  EXPECT_EQ(j["questions"], 2);
  EXPECT_EQ(j["answers"], 1);

  live.file_finished("b/z.c", true, 2);
  live.file_ended("b/z.c");
  live.file_started("a/y.c", 3000);
  live.file_finished("a/x.c", false, 0);
  live.file_ended("a/x.c");
  j = json::parse(live.json());
  ASSERT_EQ(j["in_flight"].size(), 1u);
  EXPECT_EQ(j["in_flight"][0]["file"], "a/y.c");
  EXPECT_EQ(j["repository"], (json{{"name", "a"}, {"planned", 2}, {"done", 0}, {"failed", 1}}));
  EXPECT_EQ(j["samples"], 2);
}

TEST(LiveRun, TheJsonIsTakenOnlyWhenItChanged) {
  LiveRun live(std::map<std::string, std::string>{{"a/x.c", "a"}});
  auto first = live.take_if_changed();
  ASSERT_TRUE(first);
  EXPECT_FALSE(live.take_if_changed());
  live.file_started("a/x.c", 5);
  auto second = live.take_if_changed();
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  EXPECT_FALSE(live.take_if_changed());
}

TEST(LiveRun, WorkersMayReportAtOnce) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < 400; ++i)
    files["r/" + std::to_string(i) + ".c"] = "r";
  LiveRun live(files);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&live, w] {
      for (int i = w; i < 400; i += 4) {
        std::string path = "r/" + std::to_string(i) + ".c";
        live.file_started(path, i);
        live.generated(2, 1);
        live.generated(0, 1);
        live.file_finished(path, true, 2);
        live.file_ended(path);
        live.take_if_changed();
      }
    });
  for (auto& t : workers)
    t.join();
  json j = json::parse(live.json());
  EXPECT_TRUE(j["in_flight"].empty());
  EXPECT_EQ(j["repository"]["done"], 400);
  EXPECT_EQ(j["questions"], 800);
  EXPECT_EQ(j["answers"], 800);
  EXPECT_EQ(j["samples"], 800);
}

}  // namespace
}  // namespace g2d::app
