// sys::run_concurrently: every task runs on a thread of its own at the same time, threads are
// reused from one call to the next, and a call returns only when every task has finished.
#include "sys/thread_cache.hpp"

#include <atomic>
#include <barrier>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace g2d::sys {
namespace {

TEST(ThreadCacheTest, RunsEveryTaskAtTheSameTime) {
  // Each task waits at a barrier for all the others: it returns only if they all run at once.
  constexpr int n = 6;
  std::barrier meet(n);
  std::atomic<int> ran{0};
  std::vector<std::function<void()>> tasks;
  for (int i = 0; i < n; ++i)
    tasks.emplace_back([&] {
      meet.arrive_and_wait();
      ++ran;
    });
  run_concurrently(tasks);
  EXPECT_EQ(ran.load(), n);
}

TEST(ThreadCacheTest, ReturnsOnlyWhenEveryTaskHasFinished) {
  std::atomic<int> finished{0};
  std::vector<std::function<void()>> tasks;
  for (int i = 0; i < 4; ++i)
    tasks.emplace_back([&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * i));
      ++finished;
    });
  run_concurrently(tasks);
  EXPECT_EQ(finished.load(), 4);
}

TEST(ThreadCacheTest, ReusesItsThreadsFromOneCallToTheNext) {
  std::mutex m;
  std::set<std::thread::id> first;
  std::set<std::thread::id> second;
  auto record = [&](std::set<std::thread::id>& into) {
    std::barrier meet(3);
    std::vector<std::function<void()>> tasks(3, [&] {
      {
        std::lock_guard lock(m);
        into.insert(std::this_thread::get_id());
      }
      meet.arrive_and_wait();  // all three at once, so none can run two tasks
    });
    run_concurrently(tasks);
  };
  record(first);
  record(second);
  ASSERT_EQ(first.size(), 3U);
  ASSERT_EQ(second.size(), 3U);
  EXPECT_EQ(first, second);  // the caller's thread and the same two cached threads
  EXPECT_TRUE(first.contains(std::this_thread::get_id()));
}

// A call returns only once its cached threads are idle again: call after call, the same thread runs
// the posted task (a thread still on its way back to the cache would make the next call start
// another one).
TEST(ThreadCacheTest, AThreadIsIdleAgainWhenTheCallReturns) {
  std::set<std::thread::id> used;
  std::vector<std::function<void()>> tasks{[&] { used.insert(std::this_thread::get_id()); }, [] {}};
  for (int round = 0; round < 2000; ++round)
    run_concurrently(tasks);
  EXPECT_EQ(used.size(), 1U);
}

TEST(ThreadCacheTest, NoTasksAndOneTaskRunOnTheCallersThread) {
  run_concurrently({});
  std::thread::id where;
  std::vector<std::function<void()>> one{[&] { where = std::this_thread::get_id(); }};
  run_concurrently(one);
  EXPECT_EQ(where, std::this_thread::get_id());
}

TEST(ThreadCacheTest, CallsFromSeveralThreadsAtOnceAllComplete) {
  std::atomic<int> ran{0};
  std::vector<std::jthread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        std::vector<std::function<void()>> tasks(3, [&] { ++ran; });
        run_concurrently(tasks);
      }
    });
  callers.clear();
  EXPECT_EQ(ran.load(), 4 * 50 * 3);
}

}  // namespace
}  // namespace g2d::sys
