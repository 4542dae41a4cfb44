// The unit of work: committing a finished file version, replacing an older one atomically, and
// retiring a deleted file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/store.hpp"
#include "support.hpp"

namespace g2d::store {
namespace {

using namespace g2d::store::test;

class CommitTest : public StoreFixture {};

TEST_F(CommitTest, InsertsSamplesAndMarksTheFileDone) {
  auto file = make_file("github.com/o/r/src/a.c");
  file.status = FileStatus::pending;  // ignored: a committed file is done
  auto samples = make_samples(file, 3);
  auto st = store().commit_file(file, samples);
  ASSERT_TRUE(st) << st.error().describe();

  auto got = store().get_file(file.file_path);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->status, FileStatus::done);
  EXPECT_EQ((*got)->file_hash, "h1");
  EXPECT_EQ((*got)->repo, "github.com/o/r");
  EXPECT_EQ((*got)->last_processed, 1000);

  auto live = live_samples(store());
  ASSERT_EQ(live.size(), 3u);
  for (std::size_t i = 0; i < live.size(); ++i) {
    SampleRecord expected = samples[i];
    expected.id = live[i].id;
    expected.language = file.language;  // read back from the file's record
    expected.repo = file.repo;
    EXPECT_EQ(live[i], expected);  // every provenance column round-trips
    EXPECT_GT(live[i].id, 0);
  }
  Counts want;
  want.files_done = 1;
  want.live_samples = 3;
  EXPECT_EQ(store().counts().value(), want);
  EXPECT_FALSE(store().get_file("github.com/o/r/other.c").value().has_value());
}

TEST_F(CommitTest, ACommittedFileWithoutSamplesIsDone) {
  auto file = make_file("github.com/o/r/empty.c");
  ASSERT_TRUE(store().commit_file(file, {}));
  EXPECT_EQ(store().get_file(file.file_path).value()->status, FileStatus::done);
  EXPECT_EQ(store().counts()->live_samples, 0);
}

TEST_F(CommitTest, CommittingAgainRetiresTheOldSamples) {
  auto v1 = make_file("github.com/o/r/a.c", "h1", 1000);
  auto other = make_file("github.com/o/r/b.c");
  ASSERT_TRUE(store().commit_file(v1, make_samples(v1, 3, "v1")));
  ASSERT_TRUE(store().commit_file(other, make_samples(other, 1, "b")));
  auto v2 = make_file("github.com/o/r/a.c", "h2", 2000);
  ASSERT_TRUE(store().commit_file(v2, make_samples(v2, 2, "v2")));

  EXPECT_EQ(store().get_file(v2.file_path).value(), v2);
  std::vector<std::string> questions;
  for (const auto& s : live_samples(store()))
    questions.push_back(s.question);
  EXPECT_THAT(questions, ::testing::ElementsAre("b q0", "v2 q0", "v2 q1"));

  auto c = store().counts().value();
  EXPECT_EQ(c.files_done, 2);
  EXPECT_EQ(c.live_samples, 3);
  EXPECT_EQ(c.retired_samples, 3);
  // Retired rows stay in the database, flagged.
  EXPECT_EQ(raw_int(db(),
                    "SELECT count(*) FROM TrainingSamples WHERE retired = 1 AND question "
                    "LIKE 'v1 %'"),
            3);
}

TEST_F(CommitTest, AFailureMidwayLeavesTheOldStateIntact) {
  auto v1 = make_file("github.com/o/r/a.c", "h1", 1000);
  ASSERT_TRUE(store().commit_file(v1, make_samples(v1, 2, "v1")));
  ASSERT_TRUE(store().record_failure("github.com/o/r/a.c", "timeout", "slow", 1500));

  auto v2 = make_file("github.com/o/r/a.c", "h2", 2000);
  auto bad = make_samples(v2, 3, "v2");
  bad[1].answer = "";  // violates a constraint after the first sample went in
  auto st = store().commit_file(v2, bad);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::store);
  EXPECT_THAT(st.error().message, ::testing::HasSubstr("github.com/o/r/a.c"));

  auto file = store().get_file(v1.file_path).value();
  ASSERT_TRUE(file);
  EXPECT_EQ(file->file_hash, "h1");
  EXPECT_EQ(file->status, FileStatus::failed);
  auto live = live_samples(store());
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].question, "v1 q0");
  EXPECT_EQ(store().failed_files()->size(), 1u);
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM TrainingSamples"), 2);

  // The store is still usable afterwards.
  ASSERT_TRUE(store().commit_file(v2, make_samples(v2, 1, "v2")));
  EXPECT_EQ(live_samples(store()).size(), 1u);
}

TEST_F(CommitTest, RejectsSamplesOfAnotherFileBeforeWriting) {
  auto a = make_file("github.com/o/r/a.c");
  auto samples = make_samples(a, 2);
  samples[1].file_path = "github.com/o/r/b.c";
  auto st = store().commit_file(a, samples);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::invalid_argument);
  EXPECT_FALSE(store().get_file(a.file_path).value().has_value());
  EXPECT_EQ(store().counts()->live_samples, 0);

  auto nameless = make_file("");
  EXPECT_EQ(store().commit_file(nameless, {}).error().kind, ErrorKind::invalid_argument);
}

TEST_F(CommitTest, RetireFileRetiresSamplesAndStatus) {
  auto a = make_file("github.com/o/r/a.c");
  auto b = make_file("github.com/o/r/b.c");
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 3, "a")));
  ASSERT_TRUE(store().commit_file(b, make_samples(b, 1, "b")));
  ASSERT_TRUE(store().record_failure(a.file_path, "io", "gone", 5));

  auto retired = store().retire_file(a.file_path);
  ASSERT_TRUE(retired) << retired.error().describe();
  EXPECT_EQ(*retired, 3);
  EXPECT_EQ(store().get_file(a.file_path).value()->status, FileStatus::retired);
  auto live = live_samples(store());
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].file_path, b.file_path);
  EXPECT_TRUE(store().failed_files()->empty());
  auto c = store().counts().value();
  EXPECT_EQ(c.files_retired, 1);
  EXPECT_EQ(c.files_done, 1);
  EXPECT_EQ(c.retired_samples, 3);

  EXPECT_EQ(store().retire_file(a.file_path).value(), 0);  // idempotent
  EXPECT_EQ(store().retire_file("github.com/o/r/never.c").value(), 0);
  EXPECT_FALSE(store().get_file("github.com/o/r/never.c").value().has_value());

  // A file that comes back is committed like a new one.
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 1, "again")));
  EXPECT_EQ(store().get_file(a.file_path).value()->status, FileStatus::done);
  EXPECT_EQ(live_samples(store()).size(), 2u);
}

TEST_F(CommitTest, ListFilesReturnsEveryRecordInPathOrder) {
  auto b = make_file("github.com/o/r/b.c");
  auto a = make_file("github.com/o/r/a.c");
  ASSERT_TRUE(store().commit_file(b, {}));
  ASSERT_TRUE(store().commit_file(a, {}));
  ASSERT_TRUE(store().retire_file(b.file_path));
  auto files = store().list_files();
  ASSERT_TRUE(files) << files.error().describe();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0], a);
  b.status = FileStatus::retired;
  EXPECT_EQ((*files)[1], b);
}

}  // namespace
}  // namespace g2d::store
