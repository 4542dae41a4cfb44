// Interruptions as a polled flag, and the dispositions a process running children needs.
#include "sys/signals.hpp"

#include <csignal>

#include <gtest/gtest.h>

namespace g2d::sys {
namespace {

TEST(Signals, InterruptsAreCountedNotFatal) {
  install_interrupt_handlers();
  reset_interrupts();
  EXPECT_FALSE(interrupt_flag().load());
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    ASSERT_EQ(raise(sig), 0);
  EXPECT_TRUE(interrupt_flag().load());
  EXPECT_EQ(interrupt_count(), 3);
  reset_interrupts();
  EXPECT_EQ(interrupt_count(), 0);
}

TEST(Signals, SigpipeIsIgnoredAndSigchldIsRestored) {
  ASSERT_NE(signal(SIGCHLD, SIG_IGN), SIG_ERR);  // as a careless parent could leave it
  install_interrupt_handlers();
  struct sigaction chld {};
  ASSERT_EQ(sigaction(SIGCHLD, nullptr, &chld), 0);
  EXPECT_EQ(chld.sa_handler, SIG_DFL);
  ASSERT_EQ(raise(SIGPIPE), 0);  // would kill the test binary if not ignored
  struct sigaction pipe {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &pipe), 0);
  EXPECT_EQ(pipe.sa_handler, SIG_IGN);
}

}  // namespace
}  // namespace g2d::sys
