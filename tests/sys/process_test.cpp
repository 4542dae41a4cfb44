// sys::run_process with real programs (sh, sleep, pwd): output, exit codes, environment,
// timeouts and cancellation of a whole process group.
#include "sys/process.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <stop_token>
#include <thread>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

sys::ProcessResult run_ok(const std::vector<std::string>& argv, const sys::ProcessOptions& o = {}) {
  auto result = sys::run_process(argv, o);
  if (!result)
    throw std::runtime_error(result.error().describe());
  return *result;
}

// Alive and not a zombie waiting for its (re)parent to reap it.
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0)
    return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z';
}

bool wait_for(const std::function<bool()>& condition, Clock::duration limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition())
      return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return condition();
}

using test::ScopedEnv;

// Sets SIGCHLD's disposition for one test and restores the old one afterwards.
class ScopedSigchld {
 public:
  explicit ScopedSigchld(void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGCHLD, &action, &m_old);
  }
  ~ScopedSigchld() { sigaction(SIGCHLD, &m_old, nullptr); }
  ScopedSigchld(const ScopedSigchld&) = delete;
  ScopedSigchld& operator=(const ScopedSigchld&) = delete;

 private:
  struct sigaction m_old {};
};

pid_t read_pid(const fs::path& file) {
  return static_cast<pid_t>(std::stol(test::read_file(file)));
}

TEST(Process, CapturesStdoutAndStderrAndExitCode) {
  auto result = run_ok({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.output, HasSubstr("out\n"));
  EXPECT_THAT(result.output, HasSubstr("err\n"));
}

TEST(Process, StderrToNullLeavesStdoutAlone) {
  sys::ProcessOptions options;
  options.stderr_to_null = true;
  auto result =
      sys::run_process({"sh", "-c", "echo err >&2; echo out; echo more err >&2"}, options);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->output, "out\n");
}

TEST(Process, PlainFormStillWorks) {
  auto result = sys::run_process({"sh", "-c", "echo plain"});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->output, "plain\n");
}

TEST(Process, KilledBySignalIs128PlusSignal) {
  auto result = run_ok({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
}

TEST(Process, StdinIsDevNull) {
  auto result = run_ok({"cat"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "");
}

TEST(Process, OutputBeyondTheLimitIsDropped) {
  sys::ProcessOptions options;
  options.max_output = 1000;
  auto result = run_ok({"head", "-c", "100000", "/dev/zero"}, options);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output.size(), 1000U);
}

TEST(Process, MissingProgramIsNotFound) {
  auto result = sys::run_process({"g2d-no-such-program-here"}, sys::ProcessOptions{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::not_found);
  EXPECT_THAT(result.error().message, HasSubstr("g2d-no-such-program-here"));
}

TEST(Process, RunsInTheGivenDirectory) {
  test::TempDir dir;
  sys::ProcessOptions options;
  options.cwd = dir.path();
  auto result = run_ok({"pwd", "-P"}, options);
  EXPECT_EQ(result.output, fs::canonical(dir.path()).string() + "\n");
}

TEST(Process, MissingDirectoryIsAnErrorNotAMissingProgram) {
  test::TempDir dir;
  sys::ProcessOptions options;
  options.cwd = dir / "absent";
  auto result = sys::run_process({"pwd"}, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::io);
  EXPECT_THAT(result.error().message, HasSubstr("absent"));
  EXPECT_THAT(result.error().message, Not(HasSubstr("PATH")));
}

TEST(Process, EnvironmentSetAndUnset) {
  setenv("G2D_PROCESS_TEST_REMOVE", "present", 1);
  setenv("G2D_PROCESS_TEST_KEEP", "kept", 1);
  sys::ProcessOptions options;
  options.env = {{"G2D_PROCESS_TEST_SET", "hello"}, {"G2D_PROCESS_TEST_REMOVE", std::nullopt}};
  auto result = run_ok({"sh", "-c",
                        "echo \"$G2D_PROCESS_TEST_SET:${G2D_PROCESS_TEST_REMOVE-unset}:"
                        "$G2D_PROCESS_TEST_KEEP\""},
                       options);
  unsetenv("G2D_PROCESS_TEST_REMOVE");
  unsetenv("G2D_PROCESS_TEST_KEEP");
  EXPECT_EQ(result.output, "hello:unset:kept\n");
}

TEST(Process, ProgramIsLookedUpOnTheChildsPath) {
  test::TempDir dir;
  test::write_file(dir / "g2d-only-here", "#!/bin/sh\necho found me\n");
  fs::permissions(dir / "g2d-only-here", fs::perms::owner_all);
  sys::ProcessOptions options;
  options.env = {{"PATH", dir.path().string() + ":/usr/bin:/bin"}};
  auto result = run_ok({"g2d-only-here"}, options);
  EXPECT_EQ(result.output, "found me\n");

  options.env = {{"PATH", "/nonexistent"}};
  auto missing = sys::run_process({"sh", "-c", "true"}, options);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

// A directory holding an executable `git` that leaves a marker when it runs.
struct FakeGit {
  test::TempDir dir;
  fs::path marker = dir / "fake-git-ran";
  FakeGit() {
    test::write_file(dir / "git", "#!/bin/sh\ntouch '" + marker.string() + "'\necho fake\n");
    fs::permissions(dir / "git", fs::perms::owner_all);
  }
};

TEST(Process, RelativeAndEmptyPathEntriesAreNotSearched) {
  FakeGit fake;
  // The parent's PATH names the working directory ("." or an empty entry); the child runs in
  // the directory holding the fake git.
  for (std::string path : {".:/usr/bin:/bin", ":/usr/bin:/bin", "bin:.:/usr/bin:/bin"}) {
    ScopedEnv env("PATH", path);
    sys::ProcessOptions options;
    options.cwd = fake.dir.path();
    auto result = run_ok({"git", "--version"}, options);
    EXPECT_THAT(result.output, HasSubstr("git version")) << path;
    EXPECT_FALSE(fs::exists(fake.marker)) << "PATH=" << path << " ran ./git";

    // The child's own PATH, set through the options, is searched the same way.
    options.env = {{"PATH", path}};
    result = run_ok({"git", "--version"}, options);
    EXPECT_THAT(result.output, HasSubstr("git version")) << path;
    EXPECT_FALSE(fs::exists(fake.marker)) << "the child's PATH=" << path << " ran ./git";
  }
}

TEST(Process, OnlyRelativePathEntriesMeansNotFound) {
  FakeGit fake;
  sys::ProcessOptions options;
  options.cwd = fake.dir.path();
  options.env = {{"PATH", ".:"}};
  auto result = sys::run_process({"git", "--version"}, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::not_found);
  EXPECT_FALSE(fs::exists(fake.marker));
}

TEST(Process, PlainFormSkipsRelativePathEntriesToo) {
  FakeGit fake;
  // The plain form runs in this process's directory: make that the fake's for a moment.
  const fs::path old_cwd = fs::current_path();
  fs::current_path(fake.dir.path());
  std::optional<Result<sys::ProcessResult>> result;
  {
    ScopedEnv env("PATH", ".:/usr/bin:/bin");
    result = sys::run_process({"git", "--version"});
  }
  fs::current_path(old_cwd);
  ASSERT_TRUE(*result) << result->error().describe();
  EXPECT_THAT((*result)->output, HasSubstr("git version"));
  EXPECT_FALSE(fs::exists(fake.marker));
}

TEST(Process, IgnoredSigchldIsAnErrorNotSuccess) {
  // With SIGCHLD ignored the kernel reaps children itself and waitpid cannot see the status:
  // that must never read as exit code 0.
  ScopedSigchld ignore(SIG_IGN);
  auto result = sys::run_process({"sh", "-c", "exit 3"}, sys::ProcessOptions{});
  EXPECT_TRUE(!result || result->exit_code == 3)
      << "a failing program was reported as exit code " << result->exit_code;
  if (!result) {
    EXPECT_EQ(result.error().kind, ErrorKind::io) << result.error().describe();
  }

  auto plain = sys::run_process({"sh", "-c", "exit 3"});
  EXPECT_TRUE(!plain || plain->exit_code == 3)
      << "a failing program was reported as exit code " << plain->exit_code;
}

TEST(Process, DescriptorsOfTheParentAreNotInherited) {
  // A descriptor opened without O_CLOEXEC (by a library, say) must not reach the child.
  int fd = open("/dev/null", O_RDONLY);  // NOLINT(android-cloexec-open): the point of the test
  ASSERT_GE(fd, 3);
  const std::string check =
      "if [ -e /proc/$$/fd/" + std::to_string(fd) + " ]; then echo open; else echo closed; fi";
  auto with_options = sys::run_process({"sh", "-c", check}, sys::ProcessOptions{});
  auto plain = sys::run_process({"sh", "-c", check});
  close(fd);
  ASSERT_TRUE(with_options) << with_options.error().describe();
  ASSERT_TRUE(plain) << plain.error().describe();
  EXPECT_EQ(with_options->output, "closed\n");
  EXPECT_EQ(plain->output, "closed\n");
  // Standard output and error still reach us.
  EXPECT_EQ(run_ok({"sh", "-c", "echo out; echo err >&2"}).output, "out\nerr\n");
}

TEST(Process, IdleTimeoutStopsASilentChild) {
  sys::ProcessOptions options;
  options.idle_timeout = milliseconds(300);
  auto start = Clock::now();
  auto result = sys::run_process({"sh", "-c", "echo start; sleep 30"}, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::timeout);
  EXPECT_THAT(result.error().message, HasSubstr("idle"));
  EXPECT_THAT(result.error().message, HasSubstr("300 ms"));
  EXPECT_THAT(result.error().message, HasSubstr("sh"));
  EXPECT_LT(Clock::now() - start, seconds(10));
}

TEST(Process, IdleTimeoutIsResetByOutput) {
  sys::ProcessOptions options;
  options.idle_timeout = seconds(3);
  auto result = run_ok({"sh", "-c", "for i in 1 2 3 4 5; do echo $i; sleep 0.1; done"}, options);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "1\n2\n3\n4\n5\n");
}

TEST(Process, TotalTimeoutStopsAChattyChild) {
  sys::ProcessOptions options;
  options.timeout = milliseconds(500);
  options.idle_timeout = milliseconds(5000);
  auto start = Clock::now();
  auto result = sys::run_process({"sh", "-c", "while :; do echo x; sleep 0.05; done"}, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::timeout);
  EXPECT_THAT(result.error().message, HasSubstr("total"));
  EXPECT_THAT(result.error().message, HasSubstr("500 ms"));
  EXPECT_LT(Clock::now() - start, seconds(10));
}

TEST(Process, CancelKillsTheWholeProcessGroup) {
  test::TempDir dir;
  const fs::path pid_file = dir / "grandchild.pid";
  std::stop_source cancel;
  sys::ProcessOptions options;
  options.stop = cancel.get_token();
  std::thread canceller([&] {
    wait_for([&] { return fs::exists(pid_file) && fs::file_size(pid_file) > 0; }, seconds(10));
    cancel.request_stop();
  });
  auto start = Clock::now();
  auto result = sys::run_process(
      {"sh", "-c", "sleep 30 & echo $! > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"; sleep 30",
       pid_file.string()},
      options);
  canceller.join();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::cancelled);
  EXPECT_LT(Clock::now() - start, seconds(10));
  ASSERT_TRUE(fs::exists(pid_file));
  pid_t grandchild = read_pid(pid_file);
  EXPECT_TRUE(wait_for([&] { return !process_alive(grandchild); }, seconds(5)))
      << "the background grandchild " << grandchild << " survived";
}

// What run_process returned for `sh -c script marker`, stopped once the script created `marker`
// ($0), and how long it took to return after the stop request.
struct StoppedRun {
  Result<sys::ProcessResult> result;
  Clock::duration after_stop;
};

StoppedRun stop_once_started(const std::string& script, sys::ProcessOptions options = {}) {
  test::TempDir dir;
  const fs::path started = dir / "started";
  std::stop_source cancel;
  options.stop = cancel.get_token();
  Clock::time_point requested;
  std::thread canceller([&] {
    wait_for([&] { return fs::exists(started); }, seconds(10));
    requested = Clock::now();
    cancel.request_stop();
  });
  auto result = sys::run_process({"sh", "-c", script, started.string()}, options);
  auto returned = Clock::now();
  canceller.join();
  return {std::move(result), returned - requested};
}

TEST(Process, AStopEndsASilentChildWithoutWaitingForATimeout) {
  // No timeout and no output: only the stop request can wake the wait for `sleep 30`.
  auto stopped = stop_once_started(": > \"$0\"; exec sleep 30");
  ASSERT_FALSE(stopped.result);
  EXPECT_EQ(stopped.result.error().kind, ErrorKind::cancelled);
  EXPECT_LT(stopped.after_stop, seconds(5));
}

TEST(Process, AStopAfterTheOutputEndedEndsTheWaitForTheChild) {
  // The child closes its output and goes on: the wait for its exit is woken by the stop too.
  auto stopped = stop_once_started("exec >/dev/null 2>&1; : > \"$0\"; exec sleep 30");
  ASSERT_FALSE(stopped.result);
  EXPECT_EQ(stopped.result.error().kind, ErrorKind::cancelled);
  EXPECT_LT(stopped.after_stop, seconds(5));
}

TEST(Process, CancelEscalatesToSigkill) {
  sys::ProcessOptions options;
  options.idle_timeout = seconds(20);
  // Ignored signals stay ignored across exec: neither sh nor sleep reacts to SIGTERM.
  auto stopped = stop_once_started("trap '' TERM; : > \"$0\"; sleep 30", options);
  ASSERT_FALSE(stopped.result);
  EXPECT_EQ(stopped.result.error().kind, ErrorKind::cancelled);
  EXPECT_LT(stopped.after_stop, seconds(10));
}

TEST(Process, AlreadyCancelledStopsAtOnce) {
  std::stop_source cancel;
  cancel.request_stop();
  sys::ProcessOptions options;
  options.stop = cancel.get_token();
  auto start = Clock::now();
  auto result = sys::run_process({"sleep", "30"}, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::cancelled);
  EXPECT_LT(Clock::now() - start, seconds(10));
}

// Blocks SIGINT and SIGTERM in this thread and ignores SIGINT, as a parent with a signal thread
// (or a careless one) could; restores both afterwards.
class ScopedBlockedInterrupts {
 public:
  ScopedBlockedInterrupts() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &m_old_mask);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &m_old_int);
  }
  ~ScopedBlockedInterrupts() {
    sigaction(SIGINT, &m_old_int, nullptr);
    pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
  }
  ScopedBlockedInterrupts(const ScopedBlockedInterrupts&) = delete;
  ScopedBlockedInterrupts& operator=(const ScopedBlockedInterrupts&) = delete;

 private:
  sigset_t m_old_mask{};
  struct sigaction m_old_int {};
};

TEST(Process, ChildrenReceiveSigintAndSigtermThoughTheParentBlocksThem) {
  ScopedBlockedInterrupts blocked;
  // A child that inherited the mask or the disposition would go on and print `survived`.
  for (const char* sig : {"INT", "TERM"}) {
    const std::string script = std::string("kill -") + sig + " $$; echo survived";
    const int expected = 128 + (std::string(sig) == "INT" ? SIGINT : SIGTERM);
    auto with_options = run_ok({"sh", "-c", script}, {});
    EXPECT_EQ(with_options.exit_code, expected) << sig;
    EXPECT_THAT(with_options.output, Not(HasSubstr("survived"))) << sig;
    auto plain = sys::run_process({"sh", "-c", script});
    ASSERT_TRUE(plain) << plain.error().describe();
    EXPECT_EQ(plain->exit_code, expected) << sig;
    EXPECT_THAT(plain->output, Not(HasSubstr("survived"))) << sig;
  }
}

TEST(Process, BackgroundDescendantHoldingThePipeDoesNotBlock) {
  test::TempDir dir;
  const fs::path pid_file = dir / "background.pid";
  auto start = Clock::now();
  auto result =
      run_ok({"sh", "-c", "sleep 30 & echo $! > \"$0\"; echo done", pid_file.string()}, {});
  EXPECT_LT(Clock::now() - start, seconds(10));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "done\n");
  kill(read_pid(pid_file), SIGKILL);
}

TEST(Process, BackgroundDescendantThatKeepsWritingDoesNotBlock) {
  test::TempDir dir;
  const fs::path pid_file = dir / "writer.pid";
  auto start = Clock::now();
  auto result = run_ok(
      {"sh", "-c", "(while :; do echo x; done) & echo $! > \"$0\"; echo done", pid_file.string()},
      {});
  EXPECT_LT(Clock::now() - start, seconds(10));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("done\n"));
  kill(read_pid(pid_file), SIGKILL);
}

TEST(Process, ChildHasItsOwnSessionAndNoTerminal) {
  auto tty = run_ok({"sh", "-c", "exec 3</dev/tty"}, {});
  EXPECT_NE(tty.exit_code, 0) << "the child could open /dev/tty";
  // Its own session and process group: fields 5 and 6 of /proc/PID/stat (after the command
  // name in parentheses, which may hold spaces) are the process group and the session.
  if (!fs::exists("/proc/self/stat"))
    GTEST_SKIP() << "no /proc here";
  auto ids = run_ok({"sh", "-c", "echo $$; cat /proc/$$/stat"}, {});
  std::istringstream in(ids.output);
  long pid = 0;
  in >> pid;
  std::string stat;
  std::getline(in >> std::ws, stat);
  size_t paren = stat.rfind(')');
  ASSERT_NE(paren, std::string::npos) << ids.output;
  std::istringstream fields(stat.substr(paren + 1));
  std::string state;
  long ppid = 0;
  long pgrp = -1;
  long session = -1;
  fields >> state >> ppid >> pgrp >> session;
  ASSERT_TRUE(fields) << ids.output;
  EXPECT_EQ(session, pid);
  EXPECT_EQ(pgrp, pid);
}

}  // namespace
}  // namespace g2d
