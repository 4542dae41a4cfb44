// What prepare publishes for the dashboard (the run record's live view, run.live): the files in
// flight in the order they were taken, the current repository and its counts, the calls finished,
// and the view taken only when it changed; several workers reporting at once.
#include "pipeline/live_run.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace g2d::pipeline {
namespace {

using store::InFlightFile;
using store::LiveView;
using store::RepoProgress;

TEST(LiveRun, InFlightFilesTheCurrentRepositoryAndTheCalls) {
  LiveRun live({{"a/x.c", "a"}, {"a/y.c", "a"}, {"b/z.c", "b"}});
  LiveView v = live.view();
  EXPECT_TRUE(v.in_flight.empty());
  EXPECT_FALSE(v.repository);
  EXPECT_EQ(v.repositories, 2);

  live.file_started("a/x.c", 1000);
  live.file_started("b/z.c", 2000);
  live.generated(2, 0);
  live.generated(0, 1);
  v = live.view();
  EXPECT_EQ(v.in_flight, (std::vector<InFlightFile>{{"a/x.c", 1000}, {"b/z.c", 2000}}));
  ASSERT_TRUE(v.repository);
  EXPECT_EQ(v.repository->name, "b");  // the file taken last
  EXPECT_EQ(v.repository->planned, 1);
  EXPECT_EQ(v.questions, 2);
  EXPECT_EQ(v.answers, 1);

  live.file_finished("b/z.c", true, 2);
  live.file_ended("b/z.c");
  live.file_started("a/y.c", 3000);
  live.file_finished("a/x.c", false, 0);
  live.file_ended("a/x.c");
  v = live.view();
  EXPECT_EQ(v.in_flight, (std::vector<InFlightFile>{{"a/y.c", 3000}}));
  EXPECT_EQ(v.repository, (RepoProgress{"a", 2, 0, 1}));
  EXPECT_EQ(v.samples, 2);
}

TEST(LiveRun, TheViewIsTakenOnlyWhenItChanged) {
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
  LiveView v = live.view();
  EXPECT_TRUE(v.in_flight.empty());
  ASSERT_TRUE(v.repository);
  EXPECT_EQ(v.repository->done, 400);
  EXPECT_EQ(v.questions, 800);
  EXPECT_EQ(v.answers, 800);
  EXPECT_EQ(v.samples, 800);
}

}  // namespace
}  // namespace g2d::pipeline
