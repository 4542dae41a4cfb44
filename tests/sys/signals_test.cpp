// SIGINT, SIGTERM and SIGHUP as stop requests taken by the signal thread, and the dispositions a
// process running children needs. Each test runs in a forked child: blocking the signals and
// starting the signal thread are for the whole process, and must not reach the other tests here.
// The signals are sent with kill(getpid(), ...): raise() would direct them at the calling thread,
// which blocks them, and only a process-directed signal reaches the signal thread.
#include "sys/signals.hpp"

#include <chrono>
#include <csignal>
#include <functional>
#include <future>
#include <stop_token>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

namespace g2d::sys {
namespace {

using std::chrono::seconds;

// Runs `body` in a forked child and returns the child's wait status. `body`'s return value is its
// exit code.
int in_child(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(body());
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return pid > 0 ? status : -1;
}

// Whether `token` has a stop requested within `limit` (a bound for a failing test, not a pace:
// the stop callback ends the wait at once).
bool stop_arrives(const std::stop_token& token, seconds limit) {
  std::promise<void> arrived;
  auto future = arrived.get_future();
  std::stop_callback on_stop(token, [&arrived] { arrived.set_value(); });
  return future.wait_for(limit) == std::future_status::ready;
}

bool exited_with(int status, int code) {
  return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

TEST(Signals, TheFirstInterruptStopsTakingWorkTheSecondAbandonsIt) {
  int status = in_child([] {
    start_interrupt_thread();
    handle_interrupts();
    if (stop_taking_token().stop_requested() || abandon_token().stop_requested() || interrupted())
      return 10;
    // A thread started now inherits the blocked mask: the signal cannot end the process there.
    std::jthread worker([](const std::stop_token&) {});
    kill(getpid(), SIGINT);
    if (!stop_arrives(stop_taking_token(), seconds(20)))
      return 11;
    if (abandon_token().stop_requested())  // one signal: only stop taking
      return 12;
    if (!interrupted())
      return 13;
    kill(getpid(), SIGINT);
    if (!stop_arrives(abandon_token(), seconds(20)))
      return 14;
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << "status " << status;
}

TEST(Signals, SigtermAndSighupInterruptToo) {
  int status = in_child([] {
    start_interrupt_thread();
    handle_interrupts();
    kill(getpid(), SIGTERM);
    if (!stop_arrives(stop_taking_token(), seconds(20)))
      return 11;
    kill(getpid(), SIGHUP);
    if (!stop_arrives(abandon_token(), seconds(20)))
      return 12;
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << "status " << status;
}

TEST(Signals, UnhandledTheyEndTheProcessAsByDefault) {
  // A command that does not handle interruptions dies of the signal, as without the thread.
  int status = in_child([] {
    start_interrupt_thread();
    kill(getpid(), SIGTERM);
    std::this_thread::sleep_for(seconds(20));  // the bound: the signal ends the process first
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "status " << status;
}

TEST(Signals, UnhandledAnIgnoredSignalStaysIgnored) {
  // nohup's SIGHUP stays ignored; the SIGTERM after it (taken in signal-number order) ends it.
  int status = in_child([] {
    signal(SIGHUP, SIG_IGN);
    start_interrupt_thread();
    kill(getpid(), SIGHUP);
    kill(getpid(), SIGTERM);
    std::this_thread::sleep_for(seconds(20));
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "status " << status;
}

TEST(Signals, SigpipeIsIgnoredAndSigchldIsRestored) {
  int status = in_child([] {
    signal(SIGCHLD, SIG_IGN);  // as a careless parent could leave it
    start_interrupt_thread();
    handle_interrupts();
    struct sigaction chld {};
    if (sigaction(SIGCHLD, nullptr, &chld) != 0 || chld.sa_handler != SIG_DFL)
      return 11;
    raise(SIGPIPE);  // would kill the child if not ignored
    struct sigaction pipe {};
    if (sigaction(SIGPIPE, nullptr, &pipe) != 0 || pipe.sa_handler != SIG_IGN)
      return 12;
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << "status " << status;
}

}  // namespace
}  // namespace g2d::sys
