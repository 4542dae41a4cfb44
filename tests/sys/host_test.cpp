// This machine's name, and whether a recorded process is known to be gone: only a process of this
// host that no longer exists is.
#include "sys/host.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace g2d::sys {
namespace {

TEST(Host, AProcessIsGoneOnlyWhenItIsThisHostsAndNoLongerExists) {
  std::string host = host_name();
  ASSERT_FALSE(host.empty());
  EXPECT_FALSE(process_gone(getpid(), host));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);  // reaped: the pid names no process now
  EXPECT_TRUE(process_gone(child, host));
  EXPECT_FALSE(process_gone(child, host + "-elsewhere")) << "another host's pid cannot be told";
  EXPECT_FALSE(process_gone(child, ""));
  EXPECT_FALSE(process_gone(0, host));
  EXPECT_FALSE(process_gone(-1, host));
  EXPECT_FALSE(process_gone(std::int64_t{1} << 40, host));
}

}  // namespace
}  // namespace g2d::sys
