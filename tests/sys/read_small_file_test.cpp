// read_small_file(): a regular file is read whole; a FIFO, a device or a directory is refused at
// once (nothing waits for a writer, nothing reads an endless device); a file over the limit is
// refused without being read.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support.hpp"
#include "sys/safe_read.hpp"

namespace g2d::sys {
namespace {

using ::testing::HasSubstr;

TEST(ReadSmallFile, ReadsARegularFileUpToTheLimit) {
  test::TempDir dir;
  test::write_file(dir / "a.txt", "0123456789");
  auto text = read_small_file(dir / "a.txt", 10, "list");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "0123456789");
  test::write_file(dir / "empty.txt", "");
  auto empty = read_small_file(dir / "empty.txt", 10, "list");
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(*empty, "");
}

TEST(ReadSmallFile, RefusesAFileOverTheLimit) {
  test::TempDir dir;
  test::write_file(dir / "big.txt", std::string(2048, 'x'));
  auto text = read_small_file(dir / "big.txt", 1024, "prompt");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::invalid_argument);
  EXPECT_THAT(text.error().message, HasSubstr("big.txt: the prompt is larger than the 1 KiB "
                                              "allowed (2048 bytes)"));
}

TEST(ReadSmallFile, MissingFileIsNotFound) {
  test::TempDir dir;
  auto text = read_small_file(dir / "none.yaml", 1024, "configuration file");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::not_found);
  EXPECT_THAT(text.error().message, HasSubstr("none.yaml: configuration file not found"));
}

TEST(ReadSmallFile, RefusesAFifoWithoutWaitingForAWriter) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
  auto text = read_small_file(dir / "pipe", 1024, "configuration file");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, ErrorKind::io);
  EXPECT_THAT(text.error().message,
              HasSubstr("pipe: is a FIFO (named pipe), not a configuration file"));
}

TEST(ReadSmallFile, RefusesADeviceAndADirectory) {
  auto zero = read_small_file("/dev/zero", 1024, "configuration file");
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().kind, ErrorKind::io);
  EXPECT_THAT(zero.error().message,
              HasSubstr("/dev/zero: is a character device, not a configuration file"));
  test::TempDir dir;
  auto directory = read_small_file(dir.path(), 1024, "configuration file");
  ASSERT_FALSE(directory);
  EXPECT_THAT(directory.error().message, HasSubstr("is a directory, not a configuration file"));
}

TEST(ReadSmallFile, LimitsAreWrittenForPeople) {
  EXPECT_EQ(format_limit(std::size_t{1} << 20), "1 MiB");
  EXPECT_EQ(format_limit(std::size_t{64} << 10), "64 KiB");
  EXPECT_EQ(format_limit(1000), "1000 bytes");
}

}  // namespace
}  // namespace g2d::sys
