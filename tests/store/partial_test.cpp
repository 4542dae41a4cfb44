// PartialWork: a file version's finished calls, kept until the file is committed or retired, so a
// failed or interrupted file pays only for what is missing on its next run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"
#include "support.hpp"

namespace g2d::store {
namespace {

using namespace g2d::store::test;
using ::testing::ElementsAre;

class PartialTest : public StoreFixture {};

PartialRecord partial(const std::string& path, const std::string& unit, int slot,
                      const std::string& payload, const std::string& hash = "h1",
                      const std::string& fingerprint = "fp1") {
  return PartialRecord{path, hash, fingerprint, unit, slot, payload};
}

std::vector<PartialRecord> read(Store& store, const std::string& path,
                                const std::string& hash = "h1",
                                const std::string& fingerprint = "fp1") {
  auto got = store.partials(path, hash, fingerprint);
  EXPECT_TRUE(got) << got.error().describe();
  return got ? *got : std::vector<PartialRecord>{};
}

TEST_F(PartialTest, SavedWorkComesBackOrderedByUnitAndSlot) {
  const std::string path = "github.com/o/r/a.c";
  ASSERT_TRUE(store().save_partial(partial(path, "30-60", 2, R"({"a":2})")));
  ASSERT_TRUE(store().save_partial(partial(path, "1-29", 0, R"({"q":[]})")));
  ASSERT_TRUE(store().save_partial(partial(path, "30-60", 0, R"({"q":[1]})")));
  EXPECT_THAT(read(store(), path), ElementsAre(partial(path, "1-29", 0, R"({"q":[]})"),
                                               partial(path, "30-60", 0, R"({"q":[1]})"),
                                               partial(path, "30-60", 2, R"({"a":2})")));
  EXPECT_TRUE(read(store(), "github.com/o/r/other.c").empty());
}

TEST_F(PartialTest, SavingTheSameSlotAgainReplacesIt) {
  const std::string path = "github.com/o/r/a.c";
  ASSERT_TRUE(store().save_partial(partial(path, "1-9", 1, "first")));
  ASSERT_TRUE(store().save_partial(partial(path, "1-9", 1, "second")));
  EXPECT_THAT(read(store(), path), ElementsAre(partial(path, "1-9", 1, "second")));
}

TEST_F(PartialTest, AnotherVersionOrFingerprintIsNotReturnedAndReplacesTheOldWork) {
  const std::string path = "github.com/o/r/a.c";
  ASSERT_TRUE(store().save_partial(partial(path, "1-9", 1, "old")));
  EXPECT_TRUE(read(store(), path, "h2").empty());
  EXPECT_TRUE(read(store(), path, "h1", "fp2").empty());
  // Work on a newer version makes the old version's work useless: it goes.
  ASSERT_TRUE(store().save_partial(partial(path, "1-9", 1, "new", "h2")));
  EXPECT_TRUE(read(store(), path).empty());
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PartialWork"), 1);
}

TEST_F(PartialTest, CommitAndRetireDropTheFilesPartialWorkOnly) {
  auto a = make_file("github.com/o/r/a.c", "h1");
  auto b = make_file("github.com/o/r/b.c", "h1");
  ASSERT_TRUE(store().save_partial(partial(a.file_path, "1-9", 1, "x")));
  ASSERT_TRUE(store().save_partial(partial(b.file_path, "1-9", 1, "y")));
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 1)));
  EXPECT_TRUE(read(store(), a.file_path).empty());
  EXPECT_EQ(read(store(), b.file_path).size(), 1u);
  ASSERT_TRUE(store().retire_file(b.file_path));
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PartialWork"), 0);
}

TEST_F(PartialTest, ManyRecordsAreKeptInOneTransactionOrNotAtAll) {
  const std::string path = "github.com/o/r/a.c";
  ASSERT_TRUE(store().save_partials({partial(path, "1-9", 0, "q"), partial(path, "1-9", 1, "a1"),
                                     partial(path, "1-9", 2, "a2")}));
  EXPECT_EQ(read(store(), path).size(), 3u);
  auto bad = store().save_partials({partial(path, "1-9", 3, "a3"), partial(path, "", 4, "x")});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(read(store(), path).size(), 3u) << "a rejected batch writes nothing";
  EXPECT_TRUE(store().save_partials({}));
}

TEST_F(PartialTest, FailureKeepsPartialWork) {
  const std::string path = "github.com/o/r/a.c";
  ASSERT_TRUE(store().save_partial(partial(path, "1-9", 0, "q")));
  ASSERT_TRUE(store().record_failure(path, "timeout", "slow", 1));
  EXPECT_EQ(read(store(), path).size(), 1u);
}

TEST_F(PartialTest, RejectsARecordWithoutItsKeys) {
  auto st = store().save_partial(partial("", "1-9", 0, "q"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::invalid_argument);
  st = store().save_partial(partial("github.com/o/r/a.c", "", 0, "q"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::invalid_argument);
  st = store().save_partial(partial("github.com/o/r/a.c", "1-9", -1, "q"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::invalid_argument);
}

TEST_F(PartialTest, AVersionOneDatabaseIsMigrated) {
  // A database written before PartialWork existed gains the table and keeps its data.
  auto file = make_file("github.com/o/r/a.c", "h1");
  m_store.reset();
  write_schema_version_one(db(), file, 2);
  auto reopened = open_sqlite(db());
  ASSERT_TRUE(reopened) << reopened.error().describe();
  EXPECT_EQ((*reopened)->schema_version(), latest_schema_version());
  EXPECT_EQ(live_samples(**reopened).size(), 2u);
  ASSERT_TRUE((*reopened)->save_partial(partial(file.file_path, "1-9", 0, "q")));
  EXPECT_EQ(read(**reopened, file.file_path).size(), 1u);
}

}  // namespace
}  // namespace g2d::store
