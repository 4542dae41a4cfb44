// `git2dataset retry`: failed files go back to the queue, all of them or the paths named.
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RetryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(ws / "git2dataset.yaml", "pipeline:\n  database: g2d.db\n");
    auto db = store::open_sqlite(ws / "g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    for (const char* path : {"r/a.c", "r/b.c", "r/c.c"}) {
      store::FileRecord f;
      f.file_path = path;
      f.repo = "r";
      f.file_hash = "h";
      store::SampleRecord s;
      s.file_path = path;
      s.question = "q?";
      s.answer = "a.";
      ASSERT_TRUE((*db)->commit_file(f, {s}));
      ASSERT_TRUE((*db)->record_failure(path, "timeout", "no progress", 1));
    }
  }

  sys::ProcessResult retry(std::vector<std::string> paths) {
    std::vector<std::string> args{"retry", "--config", (ws / "git2dataset.yaml").string()};
    args.insert(args.end(), paths.begin(), paths.end());
    return test::run_git2dataset(std::move(args));
  }

  std::vector<std::string> failed() {
    auto db = store::open_sqlite(ws / "g2d.db", store::OpenMode::read_only);
    std::vector<std::string> out;
    EXPECT_TRUE(db);
    if (!db)
      return out;
    auto list = (*db)->failed_files();
    EXPECT_TRUE(list);
    if (list)
      for (const auto& f : *list)
        out.push_back(f.file_path);
    return out;
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
};

TEST_F(RetryCli, NamedPathsAreRequeuedAndUnknownOnesReported) {
  auto r = retry({"r/b.c", "r/nope.c"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("re-queued r/b.c"));
  EXPECT_THAT(r.output, HasSubstr("r/nope.c: not a failed file"));
  EXPECT_THAT(failed(), ::testing::ElementsAre("r/a.c", "r/c.c"));
  auto db = store::open_sqlite(ws / "g2d.db", store::OpenMode::read_only);
  ASSERT_TRUE(db);
  auto b = (*db)->get_file("r/b.c");
  ASSERT_TRUE(b && b->has_value());
  EXPECT_EQ((*b)->status, store::FileStatus::pending);
}

TEST_F(RetryCli, WithoutPathsEveryFailedFileIsRequeued) {
  auto r = retry({});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("re-queued 3 failed files"));
  EXPECT_TRUE(failed().empty());
  auto again = retry({});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("no failed files"));
}

TEST_F(RetryCli, AMissingDatabaseIsAClearError) {
  fs::remove(ws / "g2d.db");
  auto r = retry({});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("g2d.db"));
  EXPECT_FALSE(fs::exists(ws / "g2d.db"));
}

}  // namespace
}  // namespace g2d
