// The export's background writer: every byte in order whatever the block size, memory bounded by
// its blocks, and a failed write reported by name instead of lost.
#include "dataset/block_writer.hpp"

#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d::dataset {
namespace {

using ::testing::HasSubstr;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(BlockWriter, EveryByteArrivesInOrderWhateverTheBlockSize) {
  test::TempDir dir;
  for (std::size_t block :
       {std::size_t{1}, std::size_t{7}, std::size_t{4096}, BlockWriter::k_default_block}) {
    auto path = dir.path() / ("out-" + std::to_string(block));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    std::string expected;
    {
      BlockWriter w(fd, path.string(), block);
      for (int i = 0; i < 20000; ++i) {
        std::string line = "line " + std::to_string(i) + std::string(i % 13, 'x') + "\n";
        expected += line;
        ASSERT_TRUE(w.append(line));
      }
      ASSERT_TRUE(w.finish());
      EXPECT_EQ(read_all(path), expected) << "block " << block << ": written before finish returns";
      ASSERT_TRUE(w.append("after finish\n"));
      ASSERT_TRUE(w.finish());
    }
    ::close(fd);
    EXPECT_EQ(read_all(path), expected + "after finish\n");
  }
}

TEST(BlockWriter, NothingAppendedWritesNothing) {
  test::TempDir dir;
  auto path = dir.path() / "empty";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  {
    BlockWriter w(fd, path.string());
    EXPECT_TRUE(w.finish());
  }
  ::close(fd);
  EXPECT_EQ(read_all(path), "");
}

TEST(BlockWriter, AFailedWriteIsReportedByName) {
  // A descriptor open for reading only: every write fails with EBADF.
  test::TempDir dir;
  auto path = dir.path() / "read-only";
  test::write_file(path, "");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  {
    BlockWriter w(fd, "the dataset file", 16);
    bool ok = true;
    for (int i = 0; i < 100 && ok; ++i)
      ok = w.append("0123456789abcdef0123456789\n");  // waits for the writer once blocks queue
    auto done = w.finish();
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().kind, ErrorKind::io);
    EXPECT_THAT(done.error().message, HasSubstr("cannot write the dataset file"));
    EXPECT_FALSE(w.append("more\n")) << "append says so once a write failed";
  }
  ::close(fd);
}

}  // namespace
}  // namespace g2d::dataset
