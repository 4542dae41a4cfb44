// The one way repository files are read (sys/safe_read.hpp), on real files: regular files are
// read whole, and a fifo, a symlink (to /dev/zero or anywhere), a symlinked directory on the way,
// a path leaving the root and a file over the bound are refused with a reason naming them.
#include "sys/safe_read.hpp"

#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d::sys {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SafeRead : public ::testing::Test {
 protected:
  test::TempDir tmp;
};

TEST_F(SafeRead, ARegularFileIsReadWhole) {
  test::write_file(tmp / "dir/a.c", "int a;\n");
  auto text = read_regular_file(tmp.path(), "dir/a.c", 100);
  ASSERT_TRUE(text) << text.error().describe();
  EXPECT_EQ(*text, "int a;\n");
  auto exact = read_regular_file(tmp.path(), "dir/a.c", 7);
  ASSERT_TRUE(exact) << exact.error().describe();
  EXPECT_EQ(*exact, "int a;\n");
}

TEST_F(SafeRead, AFileOverTheBoundIsRefused) {
  test::write_file(tmp / "big.c", std::string(1000, 'x'));
  auto text = read_regular_file(tmp.path(), "big.c", 999);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::io);
  EXPECT_THAT(text.error().message, HasSubstr("big.c: is larger than 999 bytes"));
}

TEST_F(SafeRead, AFileThatGrewAfterItWasOpenedIsReadNoFurtherThanTheBound) {
  test::write_file(tmp / "grows.c", "int a;\n");
  auto file = open_regular_file(tmp.path(), "grows.c");
  ASSERT_TRUE(file) << file.error().describe();
  EXPECT_EQ(file->size, 7u);
  test::write_file(tmp / "grows.c", std::string(1 << 20, 'x'));  // same inode, rewritten
  auto text = read_bounded(*file, 7, "grows.c");
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message, HasSubstr("is larger than 7 bytes"));
}

// What prepare uses to tell a file that grew since discovery (changed) from one it cannot read.
TEST_F(SafeRead, APrefixIsReadNoFurtherThanAskedAndAGrownFileIsNoError) {
  test::write_file(tmp / "grows.c", "int a;\n");
  auto file = open_regular_file(tmp.path(), "grows.c");
  ASSERT_TRUE(file) << file.error().describe();
  test::write_file(tmp / "grows.c", std::string(1 << 20, 'x'));  // same inode, rewritten
  auto text = read_prefix(*file, 8, "grows.c");
  ASSERT_TRUE(text) << text.error().describe();
  EXPECT_EQ(*text, std::string(8, 'x'));
  auto whole = read_prefix(*open_regular_file(tmp.path(), "grows.c"), 2 << 20, "grows.c");
  ASSERT_TRUE(whole) << whole.error().describe();
  EXPECT_EQ(whole->size(), std::size_t{1} << 20);
}

TEST_F(SafeRead, AFifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo((tmp / "pipe.c").c_str(), 0600), 0);
  Result<std::string> text;
  EXPECT_TRUE(test::finishes_without_fifo_release(
      [&] { text = read_regular_file(tmp.path(), "pipe.c", 100); }, tmp / "pipe.c"))
      << "blocked opening a fifo";
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message,
              HasSubstr("pipe.c: is not a regular file (a FIFO (named pipe))"));
}

TEST_F(SafeRead, ASymlinkIsNeverFollowed) {
  fs::create_symlink("/dev/zero", tmp / "zero.c");
  test::write_file(tmp / "real.c", "int a;\n");
  fs::create_symlink("real.c", tmp / "inside.c");
  for (const char* name : {"zero.c", "inside.c"}) {
    auto text = read_regular_file(tmp.path(), name, 100);
    ASSERT_FALSE(text) << name;
    EXPECT_THAT(text.error().message, HasSubstr(std::string(name) + " is a symlink")) << name;
  }
}

TEST_F(SafeRead, ASymlinkedDirectoryOnTheWayIsNeverFollowed) {
  test::write_file(tmp / "outside/secret.c", "int secret;\n");
  fs::create_directories(tmp / "repo");
  fs::create_directory_symlink(tmp / "outside", tmp / "repo/src");
  auto text = read_regular_file(tmp / "repo", "src/secret.c", 100);
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message, HasSubstr("src is a symlink"));
}

TEST_F(SafeRead, ADirectoryOrAPathLeavingTheRootIsRefused) {
  fs::create_directories(tmp / "repo/dir");
  test::write_file(tmp / "outside.c", "int a;\n");
  auto dir = read_regular_file(tmp / "repo", "dir", 100);
  ASSERT_FALSE(dir);
  EXPECT_THAT(dir.error().message, HasSubstr("is not a regular file (a directory)"));
  for (const char* bad : {"../outside.c", "/etc/passwd", "dir/../../outside.c", "dir//x", ""}) {
    auto text = read_regular_file(tmp / "repo", bad, 100);
    ASSERT_FALSE(text) << bad;
    EXPECT_THAT(text.error().message, HasSubstr("leaves the root")) << bad;
  }
}

TEST_F(SafeRead, AMissingFileNamesThePathAndTheSystemsReason) {
  auto text = read_regular_file(tmp.path(), "missing.c", 100);
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message, HasSubstr("missing.c"));
  EXPECT_THAT(text.error().message, HasSubstr("No such file or directory"));
}

TEST(Fd, ClosesWhatItOwnsAndMovesOwnership) {
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the test
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1) << "not closed";
}

}  // namespace
}  // namespace g2d::sys
