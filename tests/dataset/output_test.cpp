// Where export_dataset writes, over a real SQLite store and real file system nodes: a regular file
// is replaced atomically, a FIFO and a character device are written in place (never replaced), a
// symlink is written through to its target and stays, a directory is refused by name, and the
// temporaries a killed export left beside its output are removed — never a live one.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataset/export.hpp"
#include "dataset/output_file.hpp"
#include "support.hpp"
#include "sys/host.hpp"

namespace g2d::dataset {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class ExportOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite(dir / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::move(*opened);
    store::FileRecord f;
    f.file_path = "github.com/o/a/x.c";
    f.repo = "github.com/o/a";
    f.file_hash = "h";
    f.language = "c";
    std::vector<store::SampleRecord> samples;
    for (int i = 0; i < k_samples; ++i) {
      store::SampleRecord s;
      s.file_path = f.file_path;
      s.question = "What does f" + std::to_string(i) + " do?";
      s.answer = "`f" + std::to_string(i) + "` returns " + std::to_string(i) + ".";
      s.repo_url = "https://github.com/o/a";
      s.code = "int f" + std::to_string(i) + ";\n";
      samples.push_back(s);
    }
    ASSERT_TRUE(db->commit_file(f, samples));
  }

  Result<ExportSummary> run(const fs::path& output) {
    ExportOptions o;
    o.format = Format::raw;
    o.output = output;
    std::ostringstream ignored;
    return export_dataset(*db, o, ignored);
  }

  // The names in `folder` (not following anything).
  static std::set<std::string> names_in(const fs::path& folder) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
      names.insert(entry.path().filename().string());
    return names;
  }

  static int lines_in(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  static constexpr int k_samples = 3;
  test::TempDir dir;
  std::unique_ptr<store::Store> db;
};

TEST_F(ExportOutput, AFifoIsWrittenInPlaceAndItsReaderGetsEveryLine) {
  fs::path fifo = dir / "pipe.jsonl";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  test::FifoReader reader(fifo);
  ASSERT_TRUE(reader.opened());
  auto summary = run(fifo);
  const std::string& got = reader.finish();
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->train, k_samples);
  EXPECT_EQ(lines_in(got), k_samples) << got;
  EXPECT_THAT(got, HasSubstr("What does f2 do?"));
  EXPECT_EQ(fs::symlink_status(fifo).type(), fs::file_type::fifo) << "the FIFO was replaced";
  // No card beside a stream, no temporary file.
  for (const auto& name : names_in(dir.path())) {
    EXPECT_THAT(name, Not(StartsWith("pipe.jsonl."))) << "left behind";
    EXPECT_THAT(name, Not(HasSubstr("README"))) << "a card beside a stream";
  }
}

TEST_F(ExportOutput, ASplitIntoAFifoIsRefused) {
  fs::path fifo = dir / "pipe.jsonl";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  test::FifoReader reader(fifo);
  ExportOptions o;
  o.output = fifo;
  o.validation_fraction = 0.5;
  std::ostringstream ignored;
  auto summary = export_dataset(*db, o, ignored);
  reader.finish();
  ASSERT_FALSE(summary);
  EXPECT_THAT(summary.error().message, HasSubstr("a validation split needs files"));
  EXPECT_EQ(fs::symlink_status(fifo).type(), fs::file_type::fifo);
}

// The mode is decided before anything is opened: a split into a FIFO nobody reads is refused at
// once instead of waiting for a reader.
TEST_F(ExportOutput, ASplitIntoAFifoWithoutAReaderIsRefusedAtOnce) {
  fs::path fifo = dir / "pipe.jsonl";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Result<ExportSummary> summary = tl::unexpected(Error{ErrorKind::internal, "did not run"});
  EXPECT_TRUE(test::finishes_without_fifo_release(
      [&] {
        ExportOptions o;
        o.output = fifo;
        o.validation_fraction = 0.5;
        std::ostringstream ignored;
        summary = export_dataset(*db, o, ignored);
      },
      fifo))
      << "the export waited for a reader";
  ASSERT_FALSE(summary);
  EXPECT_THAT(summary.error().message, HasSubstr("a validation split needs files"));
}

// /dev/fd/N names this process's descriptor: written where it stands — here a file opened for
// appending keeps what it held — never re-opened or replaced.
TEST_F(ExportOutput, ADescriptorPathIsWrittenWhereItStands) {
  fs::path file = dir / "all.jsonl";
  test::write_file(file, "earlier line\n");
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  struct stat before {};
  ASSERT_EQ(::stat(file.c_str(), &before), 0);
  auto summary = run("/dev/fd/" + std::to_string(fd));
  ::close(fd);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_TRUE(summary->streamed);
  std::string text = test::read_file(file);
  EXPECT_THAT(text, StartsWith("earlier line\n"));
  EXPECT_EQ(lines_in(text), 1 + k_samples) << text;
  struct stat after {};
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "the file was replaced";
  for (const auto& name : names_in(dir.path()))
    EXPECT_THAT(name, Not(HasSubstr(".tmp-"))) << "a temporary file beside a descriptor";
}

// Files the export names itself beside the output (the validation split) replace only a regular
// file: a symlink or a FIFO planted there is refused by name and left as it was.
TEST_F(ExportOutput, WhatIsInTheWayOfTheValidationFileIsRefusedNotFollowed) {
  fs::path elsewhere = dir / "elsewhere.txt";
  test::write_file(elsewhere, "not a dataset\n");
  fs::create_symlink(elsewhere, dir / "d.validation.jsonl");
  ExportOptions o;
  o.format = Format::raw;
  o.output = dir / "d.jsonl";
  o.validation_fraction = 0.5;
  std::ostringstream ignored;
  auto through_link = export_dataset(*db, o, ignored);
  ASSERT_FALSE(through_link);
  EXPECT_THAT(through_link.error().message, HasSubstr("d.validation.jsonl is in the way"));
  EXPECT_EQ(test::read_file(elsewhere), "not a dataset\n");
  EXPECT_EQ(fs::symlink_status(dir / "d.validation.jsonl").type(), fs::file_type::symlink);

  fs::remove(dir / "d.validation.jsonl");
  ASSERT_EQ(::mkfifo((dir / "d.validation.jsonl").c_str(), 0600), 0);
  Result<ExportSummary> into_fifo = tl::unexpected(Error{ErrorKind::internal, "did not run"});
  EXPECT_TRUE(test::finishes_without_fifo_release(
      [&] { into_fifo = export_dataset(*db, o, ignored); }, dir / "d.validation.jsonl"))
      << "the export waited on the FIFO";
  ASSERT_FALSE(into_fifo);
  EXPECT_THAT(into_fifo.error().message, HasSubstr("is in the way"));
}

TEST_F(ExportOutput, ASymlinkIsWrittenThroughToItsTargetAndStays) {
  fs::create_directories(dir / "real");
  test::write_file(dir / "real/data.jsonl", "the earlier dataset\n");
  fs::create_symlink("real/data.jsonl", dir / "link.jsonl");  // relative to its own folder
  fs::create_symlink("nowhere/yet.jsonl", dir / "dangling.jsonl");
  fs::create_directories(dir / "nowhere");
  for (const char* name : {"link.jsonl", "dangling.jsonl"}) {
    auto summary = run(dir / name);
    ASSERT_TRUE(summary) << summary.error().describe();
    EXPECT_TRUE(fs::is_symlink(dir / name)) << name << " was replaced by a file";
  }
  EXPECT_EQ(lines_in(test::read_file(dir / "real/data.jsonl")), k_samples);
  EXPECT_EQ(lines_in(test::read_file(dir / "nowhere/yet.jsonl")), k_samples);
  EXPECT_EQ(names_in(dir / "real"), (std::set<std::string>{"data.jsonl"}));
}

TEST_F(ExportOutput, ARegularFileIsStillReplacedAtomically) {
  fs::path out = dir / "d.jsonl";
  test::write_file(out, "the earlier dataset\n");
  int earlier = ::open(out.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(earlier, 0);
  auto summary = run(out);
  ASSERT_TRUE(summary) << summary.error().describe();
  // A new file took the name; the earlier one was never written into.
  char buffer[64] = {};
  ssize_t n = ::pread(earlier, buffer, sizeof buffer, 0);
  ::close(earlier);
  EXPECT_EQ(std::string(buffer, static_cast<size_t>(std::max<ssize_t>(n, 0))),
            "the earlier dataset\n");
  EXPECT_EQ(lines_in(test::read_file(out)), k_samples);
  EXPECT_EQ(fs::symlink_status(out).type(), fs::file_type::regular);
}

TEST_F(ExportOutput, ADirectoryIsRefusedByName) {
  fs::create_directories(dir / "sets");
  auto summary = run(dir / "sets");
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().kind, ErrorKind::io);
  EXPECT_THAT(summary.error().message, HasSubstr("sets is a directory, not a file"));
  EXPECT_TRUE(fs::is_directory(dir / "sets"));
}

// A README.md beside the output that is a FIFO is not ours: it is neither read (which would wait
// for a writer) nor replaced; the card goes to "<stem>.README.md".
TEST_F(ExportOutput, AFifoWhereTheCardWouldGoIsLeftAlone) {
  fs::path fifo = dir / "README.md";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Result<ExportSummary> summary = tl::unexpected(Error{ErrorKind::internal, "did not run"});
  EXPECT_TRUE(test::finishes_without_fifo_release([&] { summary = run(dir / "d.jsonl"); }, fifo))
      << "the export waited on the FIFO";
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->card_path, dir / "d.README.md");
  EXPECT_EQ(fs::symlink_status(fifo).type(), fs::file_type::fifo);
  EXPECT_TRUE(fs::exists(dir / "d.README.md"));
}

// A character device of our own (the null device's numbers, made with mknod in the test's
// folder): if the export ever replaced a device again, it would replace this one, not /dev/null.
TEST_F(ExportOutput, ACharacterDeviceIsWrittenInPlaceAndStaysADevice) {
  fs::path device = dir / "null";
  if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    GTEST_SKIP() << "cannot make a device node here (needs CAP_MKNOD): " << std::strerror(errno);
  int probe = ::open(device.c_str(), O_WRONLY | O_CLOEXEC);
  if (probe < 0)
    GTEST_SKIP() << "device nodes cannot be opened here (nodev): " << std::strerror(errno);
  ::close(probe);
  auto summary = run(device);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->train, k_samples);
  EXPECT_EQ(fs::symlink_status(device).type(), fs::file_type::character);
  EXPECT_FALSE(fs::exists(dir / "README.md")) << "no card beside a device";
}

// The decision itself, on a stat of the real /dev/null (never written here).
TEST(WriteMode, OnlyAMissingPathOrARegularFileIsReplaced) {
  EXPECT_EQ(write_mode_for("/dev/null", fs::status("/dev/null").type()), WriteMode::stream);
  EXPECT_EQ(write_mode_for("p", fs::file_type::fifo), WriteMode::stream);
  EXPECT_EQ(write_mode_for("f", fs::file_type::regular), WriteMode::replace);
  EXPECT_EQ(write_mode_for("f", fs::file_type::not_found), WriteMode::replace);
  for (auto type : {fs::file_type::directory, fs::file_type::block, fs::file_type::socket}) {
    auto refused = write_mode_for("x", type);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::io);
    EXPECT_THAT(refused.error().message, StartsWith("x is a"));
  }
}

TEST_F(ExportOutput, AKilledExportsTemporariesGoAndALiveOnesStay) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);  // reaped: its pid names no process now
  const std::string host = sys::host_name();
  const std::string dead = std::to_string(child);
  const std::string live = std::to_string(getpid());
  fs::path out = dir / "d.jsonl";
  const std::vector<std::string> gone{"d.jsonl.tmp-" + dead + "-0-" + host};
  // An older version's name says no host: it may be another machine's on a shared folder.
  const std::vector<std::string> kept{"d.jsonl.tmp-" + dead + "-4",
                                      "d.jsonl.tmp-" + live + "-7-" + host,
                                      "d.jsonl.tmp-" + dead + "-1-" + host + "-elsewhere",
                                      "d.jsonl.tmp-notapid", "e.jsonl.tmp-" + dead + "-0-" + host};
  for (const auto& name : gone)
    test::write_file(dir / name, "half a dataset");
  for (const auto& name : kept)
    test::write_file(dir / name, "someone else's");
  auto summary = run(out);
  ASSERT_TRUE(summary) << summary.error().describe();
  auto names = names_in(dir.path());
  for (const auto& name : gone)
    EXPECT_FALSE(names.contains(name)) << name << " was left behind";
  for (const auto& name : kept)
    EXPECT_TRUE(names.contains(name)) << name << " was removed";
}

}  // namespace
}  // namespace g2d::dataset
