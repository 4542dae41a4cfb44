// FileLock on real files: a second open of a held lock is refused and told the holder's line; the
// lock goes with its holder, whether released or killed (SIGKILL) — a dead process's lock file
// blocks nobody.
#include "sys/file_lock.hpp"

#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d::sys {
namespace {

using ::testing::HasSubstr;

TEST(FileLock, ASecondOpenIsRefusedAndToldWhoHoldsIt) {
  test::TempDir dir;
  {
    auto first = FileLock::try_lock(dir / "db.lock", "pid 1 on host-a since noon (prepare)");
    ASSERT_TRUE(first) << first.error().message;
    auto second = FileLock::try_lock(dir / "db.lock", "pid 2 on host-b since one (prepare)");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind, ErrorKind::unavailable);
    EXPECT_EQ(second.error().message, "pid 1 on host-a since noon (prepare)");
  }  // the first lock goes
  auto third = FileLock::try_lock(dir / "db.lock", "pid 3 on host-c since two (run)");
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(test::read_file(dir / "db.lock"), "pid 3 on host-c since two (run)\n");
}

TEST(FileLock, AKilledHoldersLockBlocksNobody) {
  test::TempDir dir;
  const auto path = dir / "db.lock";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another process holding the lock the way FileLock does (plain system calls after fork).
    int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
    const char line[] = "pid of the child (prepare)\n";
    if (fd < 0 || flock(fd, LOCK_EX) != 0 || pwrite(fd, line, sizeof line - 1, 0) < 0)
      _exit(1);
    char go = 'x';
    (void)!write(ready[1], &go, 1);
    pause();  // until killed
    _exit(0);
  }
  close(ready[1]);
  char go = 0;
  ASSERT_EQ(read(ready[0], &go, 1), 1) << "the child could not take the lock";
  close(ready[0]);
  auto refused = FileLock::try_lock(path, "the parent");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(refused.error().message, "pid of the child (prepare)");
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto taken = FileLock::try_lock(path, "the parent");
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(test::read_file(path), "the parent\n");
}

TEST(FileLock, ASymlinkInItsPlaceIsNotFollowed) {
  test::TempDir dir;
  test::write_file(dir / "precious", "keep me\n");
  std::filesystem::create_symlink(dir / "precious", dir / "db.lock");
  auto lock = FileLock::try_lock(dir / "db.lock", "holder");
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().kind, ErrorKind::io);
  EXPECT_THAT(lock.error().message, HasSubstr("db.lock"));
  EXPECT_EQ(test::read_file(dir / "precious"), "keep me\n");
}

}  // namespace
}  // namespace g2d::sys
