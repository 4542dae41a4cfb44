// FailedFiles: one row per path, retry counts, and never marking a failed file done.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/store.hpp"
#include "support.hpp"

namespace g2d::store {
namespace {

using namespace g2d::store::test;

class FailureTest : public StoreFixture {};

TEST_F(FailureTest, RecordFailureCountsRetriesInOneRow) {
  const std::string path = "github.com/o/r/a.c";
  ASSERT_TRUE(store().record_failure(path, "timeout", "no progress for 300 s", 100));
  ASSERT_TRUE(store().record_failure(path, "bad_output", "not JSON", 200));
  ASSERT_TRUE(store().record_failure(path, "bad_output", "still not JSON", 300));

  auto failed = store().failed_files();
  ASSERT_TRUE(failed) << failed.error().describe();
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0], (FailedRecord{path, "bad_output", "still not JSON", 3, 300}));
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM FailedFiles"), 1);
  // A failure alone creates no file record: the file has never been processed.
  EXPECT_FALSE(store().get_file(path).value().has_value());
  EXPECT_EQ(store().counts()->failed_files, 1);
}

TEST_F(FailureTest, FailureNeverMarksDoneNorTouchesSamples) {
  auto v1 = make_file("github.com/o/r/a.c", "h1");
  ASSERT_TRUE(store().commit_file(v1, make_samples(v1, 2)));
  auto before = live_samples(store());

  ASSERT_TRUE(store().record_failure(v1.file_path, "unavailable", "server down", 2000));
  auto file = store().get_file(v1.file_path).value();
  ASSERT_TRUE(file);
  EXPECT_EQ(file->status, FileStatus::failed);
  EXPECT_EQ(file->file_hash, "h1");  // the stored version is still the last finished one
  EXPECT_EQ(file->last_processed, v1.last_processed);
  EXPECT_EQ(live_samples(store()), before);

  auto c = store().counts().value();
  EXPECT_EQ(c.files_done, 0);
  EXPECT_EQ(c.files_failed, 1);
  EXPECT_EQ(c.live_samples, 2);
  EXPECT_EQ(c.failed_files, 1);
}

TEST_F(FailureTest, CommitAfterFailuresClearsThem) {
  auto a = make_file("github.com/o/r/a.c");
  auto b = make_file("github.com/o/r/b.c");
  ASSERT_TRUE(store().record_failure(a.file_path, "timeout", "x", 1));
  ASSERT_TRUE(store().record_failure(a.file_path, "timeout", "x", 2));
  ASSERT_TRUE(store().record_failure(b.file_path, "timeout", "y", 3));

  ASSERT_TRUE(store().commit_file(a, make_samples(a, 1)));
  auto failed = store().failed_files().value();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].file_path, b.file_path);
  EXPECT_EQ(store().get_file(a.file_path).value()->status, FileStatus::done);

  // A later failure of the same path starts counting again.
  ASSERT_TRUE(store().record_failure(a.file_path, "timeout", "z", 4));
  auto again = store().failed_files().value();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].file_path, a.file_path);
  EXPECT_EQ(again[0].retry_count, 1);
}

TEST_F(FailureTest, ClearFailureRequeuesOnePath) {
  auto a = make_file("github.com/o/r/a.c");
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 1)));
  ASSERT_TRUE(store().record_failure(a.file_path, "timeout", "x", 1));
  ASSERT_TRUE(store().record_failure("github.com/o/r/b.c", "timeout", "y", 2));

  EXPECT_EQ(store().clear_failure(a.file_path).value(), true);
  EXPECT_EQ(store().clear_failure(a.file_path).value(), false);
  EXPECT_EQ(store().clear_failure("github.com/o/r/none.c").value(), false);
  EXPECT_EQ(store().get_file(a.file_path).value()->status, FileStatus::pending);
  EXPECT_EQ(store().failed_files()->size(), 1u);
  EXPECT_EQ(live_samples(store()).size(), 1u);  // the earlier version's samples stay
}

TEST_F(FailureTest, ClearAllFailures) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store().record_failure(fmt::format("github.com/o/r/{}.c", i), "io", "x", i));
  }
  auto done = make_file("github.com/o/r/ok.c");
  auto failed = make_file("github.com/o/r/failed.c");
  ASSERT_TRUE(store().commit_file(done, {}));
  ASSERT_TRUE(store().commit_file(failed, make_samples(failed, 1)));
  ASSERT_TRUE(store().record_failure(failed.file_path, "io", "x", 9));
  EXPECT_EQ(store().clear_all_failures().value(), 5);
  EXPECT_TRUE(store().failed_files()->empty());
  EXPECT_EQ(store().clear_all_failures().value(), 0);
  EXPECT_EQ(store().get_file(done.file_path).value()->status, FileStatus::done);
  EXPECT_EQ(store().get_file(failed.file_path).value()->status, FileStatus::pending);
  EXPECT_EQ(store().counts()->live_samples, 1);
}

}  // namespace
}  // namespace g2d::store
