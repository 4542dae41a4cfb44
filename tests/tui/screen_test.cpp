// The real ncurses terminal on a pseudo-terminal, in a child process: a frame is drawn, and the
// terminal is given back — the alternate screen left and the modes (echo, line editing) restored —
// on a normal end, on abort(), on std::terminate and on SIGSEGV. A child that dies without the
// handlers shows that the check can fail. And the refusal without a terminal.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <functional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tui/curses_terminal.hpp"

namespace g2d::tui {
namespace {

using ::testing::HasSubstr;

constexpr const char* k_leave_alternate = "\x1b[?1049l";  // xterm's rmcup

struct ChildRun {
  std::string output;  // what the child wrote to the terminal
  int wait_status = 0;
  bool modes_restored = false;  // echo and canonical input on again after the child ended
};

// Runs `body` in a child whose stdin and stdout are a new pseudo-terminal (80×24, TERM=xterm).
ChildRun run_on_pty(const std::function<void(CursesTerminal&)>& body, bool handlers = true) {
  ChildRun run;
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  EXPECT_GE(master, 0);
  EXPECT_EQ(grantpt(master), 0);
  EXPECT_EQ(unlockpt(master), 0);
  std::string slave_name = ptsname(master);
  int slave = open(slave_name.c_str(), O_RDWR | O_NOCTTY);  // kept: the modes outlive the child
  EXPECT_GE(slave, 0);
  winsize ws{};
  ws.ws_row = 24;
  ws.ws_col = 80;
  ioctl(master, TIOCSWINSZ, &ws);
  pid_t pid = fork();
  if (pid == 0) {
    close(master);
    dup2(slave, STDIN_FILENO);
    dup2(slave, STDOUT_FILENO);
    dup2(slave, STDERR_FILENO);  // a crash report lands on the terminal, not in the test's log
    setenv("TERM", "xterm", 1);
    auto t = CursesTerminal::open(stdout, stdin, false);
    if (!t)
      _exit(3);
    Frame f(80, 24);
    f.put(2, 3, "hello dashboard");
    (*t)->draw(f);
    if (!handlers) {
      _exit(0);  // gone without giving the terminal back
    }
    body(**t);
    t->reset();
    std::fflush(stdout);
    _exit(0);
  }
  EXPECT_GT(pid, 0);
  fcntl(master, F_SETFL, O_NONBLOCK);
  auto drain = [&] {
    char buffer[4096];
    while (true) {
      ssize_t n = read(master, buffer, sizeof buffer);
      if (n <= 0)
        break;
      run.output.append(buffer, static_cast<size_t>(n));
    }
  };
  while (true) {
    pollfd p{master, POLLIN, 0};
    poll(&p, 1, 50);
    drain();
    pid_t done = waitpid(pid, &run.wait_status, WNOHANG);
    if (done == pid)
      break;
  }
  drain();
  termios modes{};
  EXPECT_EQ(tcgetattr(slave, &modes), 0);
  run.modes_restored = (modes.c_lflag & ECHO) != 0 && (modes.c_lflag & ICANON) != 0;
  close(slave);
  close(master);
  return run;
}

// The terminal was given back after the frame was drawn.
void expect_restored(const ChildRun& run) {
  auto drawn = run.output.rfind("hello dashboard");
  ASSERT_NE(drawn, std::string::npos) << run.output;
  auto left = run.output.rfind(k_leave_alternate);
  ASSERT_NE(left, std::string::npos) << "the alternate screen was never left";
  EXPECT_GT(left, drawn);
  EXPECT_TRUE(run.modes_restored) << "echo and line editing are still off";
}

TEST(Screen, ANormalEndGivesTheTerminalBack) {
  ChildRun run = run_on_pty([](CursesTerminal&) {});
  ASSERT_TRUE(WIFEXITED(run.wait_status));
  EXPECT_EQ(WEXITSTATUS(run.wait_status), 0);
  expect_restored(run);
}

TEST(Screen, WithoutRestoringTheCheckFails) {
  ChildRun run = run_on_pty([](CursesTerminal&) {}, /*handlers=*/false);
  ASSERT_TRUE(WIFEXITED(run.wait_status));
  EXPECT_EQ(run.output.find(k_leave_alternate), std::string::npos);
  EXPECT_FALSE(run.modes_restored);
}

TEST(Screen, AnAbortGivesTheTerminalBackAndStillAborts) {
  ChildRun run = run_on_pty([](CursesTerminal&) { std::abort(); });
  ASSERT_TRUE(WIFSIGNALED(run.wait_status));
  EXPECT_EQ(WTERMSIG(run.wait_status), SIGABRT);
  expect_restored(run);
}

TEST(Screen, AnUncaughtExceptionGivesTheTerminalBack) {
  ChildRun run = run_on_pty([](CursesTerminal&) {
    try {
      throw std::runtime_error("escaped (injected)");
    } catch (...) {
      std::terminate();  // what an exception leaving a noexcept function or a thread does
    }
  });
  ASSERT_TRUE(WIFSIGNALED(run.wait_status));
  EXPECT_EQ(WTERMSIG(run.wait_status), SIGABRT);
  expect_restored(run);
}

TEST(Screen, ASegmentationFaultGivesTheTerminalBackAndStillCrashes) {
  ChildRun run = run_on_pty([](CursesTerminal&) { std::raise(SIGSEGV); });
  // Under AddressSanitizer its own handler reports the fault and ends the process its way.
  EXPECT_FALSE(WIFEXITED(run.wait_status) && WEXITSTATUS(run.wait_status) == 0);
  expect_restored(run);
}

TEST(Screen, ItRefusesWithoutATerminalAndSaysWhy) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_THAT(why_no_terminal(fds[0], fds[1], "xterm").value_or(""),
              HasSubstr("standard output is not a terminal"));
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(tty, 0);
  EXPECT_THAT(why_no_terminal(fds[0], tty, "xterm").value_or(""),
              HasSubstr("standard input is not a terminal"));
  EXPECT_THAT(why_no_terminal(tty, tty, nullptr).value_or(""), HasSubstr("TERM is not set"));
  EXPECT_THAT(why_no_terminal(tty, tty, "dumb").value_or(""), HasSubstr("dumb"));
  EXPECT_FALSE(why_no_terminal(tty, tty, "xterm-256color"));
  for (int fd : {fds[0], fds[1], tty, master})
    close(fd);
}

}  // namespace
}  // namespace g2d::tui
