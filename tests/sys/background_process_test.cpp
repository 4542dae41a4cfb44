// sys::BackgroundProcess: a program kept running on a thread of its own until stopped, whose exit
// and output can be seen while the parent goes on.
#include "sys/background_process.hpp"

#include <chrono>
#include <filesystem>
#include <signal.h>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d::sys {
namespace {

using namespace std::chrono_literals;

// Waits (polling) until `done()` holds, for at most `limit`.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 30s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// The file's text, or "" while it does not exist.
std::string text_of(const std::filesystem::path& path) {
  return std::filesystem::exists(path) ? test::read_file(path) : std::string();
}

TEST(BackgroundProcessTest, RunsUntilStoppedAndStopKillsItsProcessGroup) {
  test::TempDir dir;
  auto child_pid = dir / "grandchild.pid";
  BackgroundProcess p({"sh", "-c", "sleep 300 & echo $! > '" + child_pid.string() + "'; wait"});
  ASSERT_TRUE(eventually([&] { return text_of(child_pid).ends_with('\n'); }));
  EXPECT_TRUE(p.running());
  auto start = std::chrono::steady_clock::now();
  p.stop();
  EXPECT_FALSE(p.running());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 60s);  // not the child's 300 s
  auto pid = std::stoi(test::read_file(child_pid));
  EXPECT_TRUE(eventually([&] { return ::kill(pid, 0) != 0; })) << "the grandchild survived";
}

TEST(BackgroundProcessTest, AProgramThatExitsByItselfReportsItsStatusAndOutput) {
  BackgroundProcess p({"sh", "-c", "echo 'cannot bind port 8080' >&2; exit 3"});
  ASSERT_TRUE(eventually([&] { return !p.running(); }));
  auto exit = p.exit();
  ASSERT_TRUE(exit.has_value());
  ASSERT_TRUE(*exit) << exit->error().describe();
  EXPECT_EQ((*exit)->exit_code, 3);
  EXPECT_NE((*exit)->output.find("cannot bind port 8080"), std::string::npos);
  p.stop();  // harmless once it has exited
}

TEST(BackgroundProcessTest, AMissingProgramIsNotFound) {
  BackgroundProcess p({"g2d-no-such-program-anywhere"});
  ASSERT_TRUE(eventually([&] { return !p.running(); }));
  auto exit = p.exit();
  ASSERT_TRUE(exit.has_value());
  ASSERT_FALSE(*exit);
  EXPECT_EQ(exit->error().kind, ErrorKind::not_found);
}

TEST(BackgroundProcessTest, TheDestructorStopsAProgramStillRunning) {
  test::TempDir dir;
  auto pid_file = dir / "pid";
  {
    BackgroundProcess p({"sh", "-c", "echo $$ > '" + pid_file.string() + "'; exec sleep 300"});
    ASSERT_TRUE(eventually([&] { return text_of(pid_file).ends_with('\n'); }));
  }
  auto pid = std::stoi(test::read_file(pid_file));
  EXPECT_NE(::kill(pid, 0), 0);
}

}  // namespace
}  // namespace g2d::sys
