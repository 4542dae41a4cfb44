// Change detection against a real SQLite store.
#include "pipeline/plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d::pipeline {
namespace {

using ::testing::ElementsAre;

constexpr const char* kFp = "fp-1";

discover::SourceFile source(const std::string& path, const std::string& hash) {
  discover::SourceFile f;
  f.repo = "github.com/o/r";
  f.path = path;
  f.file_path = f.repo + "/" + path;
  f.language = "c";
  f.sha256 = hash;
  return f;
}

store::FileRecord record(const std::string& path, const std::string& hash,
                         store::FileStatus status = store::FileStatus::done,
                         const std::string& fingerprint = kFp) {
  store::FileRecord r;
  r.file_path = "github.com/o/r/" + path;
  r.repo = "github.com/o/r";
  r.file_hash = hash;
  r.status = status;
  r.settings_fingerprint = fingerprint;
  return r;
}

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite(dir / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::move(*opened);
  }

  void commit(const store::FileRecord& r) {
    store::SampleRecord s;
    s.file_path = r.file_path;
    s.question = "q?";
    s.answer = "a.";
    ASSERT_TRUE(db->commit_file(r, {s}));
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> db;
};

TEST(PlanClassify, DecidesFromHashFingerprintAndStatus) {
  auto f = source("a.c", "h1");
  std::string why;
  EXPECT_EQ(classify(f, nullptr, kFp), Change::new_file);
  auto done = record("a.c", "h1");
  EXPECT_EQ(classify(f, &done, kFp), Change::unchanged);
  auto edited = record("a.c", "h0");
  EXPECT_EQ(classify(f, &edited, kFp, &why), Change::changed);
  EXPECT_EQ(why, "content changed");
  auto other_settings = record("a.c", "h1", store::FileStatus::done, "fp-0");
  EXPECT_EQ(classify(f, &other_settings, kFp, &why), Change::changed);
  EXPECT_EQ(why, "generation settings changed");
  auto failed = record("a.c", "h1", store::FileStatus::failed);
  EXPECT_EQ(classify(f, &failed, kFp), Change::retry);
  auto pending = record("a.c", "h1", store::FileStatus::pending);
  EXPECT_EQ(classify(f, &pending, kFp), Change::retry);
  auto failed_then_edited = record("a.c", "h0", store::FileStatus::failed);
  EXPECT_EQ(classify(f, &failed_then_edited, kFp), Change::changed);
  auto retired = record("a.c", "h1", store::FileStatus::retired);
  EXPECT_EQ(classify(f, &retired, kFp), Change::new_file);
}

TEST(PlanFingerprint, DependsOnModelPromptsAndQuestionCount) {
  Settings base{"llama_cpp:m.gguf", "v1", 5};
  std::string fp = settings_fingerprint(base);
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp, settings_fingerprint(base));
  Settings model = base;
  model.model = "llama_cpp:n.gguf";
  Settings prompt = base;
  prompt.prompt_version = "v2";
  Settings questions = base;
  questions.questions_per_file = 6;
  EXPECT_NE(fp, settings_fingerprint(model));
  EXPECT_NE(fp, settings_fingerprint(prompt));
  EXPECT_NE(fp, settings_fingerprint(questions));
  // No ambiguity from concatenation.
  EXPECT_NE(settings_fingerprint({"a", "bc", 1}), settings_fingerprint({"ab", "c", 1}));
}

TEST_F(PlanTest, ComparesDiscoveryWithTheStore) {
  commit(record("same.c", "h1"));
  commit(record("edited.c", "old"));
  commit(record("gone.c", "h3"));
  commit(record("now_skipped.c", "h4"));
  commit(record("already_retired.c", "h5"));
  ASSERT_TRUE(db->retire_file("github.com/o/r/already_retired.c"));
  ASSERT_TRUE(db->record_failure("github.com/o/r/edited.c", "timeout", "slow", 1));

  DiscoveredRepo repo;
  repo.commit = "c0ffee";
  repo.repository.repo = "github.com/o/r";
  repo.repository.files = {source("edited.c", "new"), source("fresh.c", "h9"),
                           source("same.c", "h1")};
  repo.repository.skipped = {
      {"github.com/o/r/now_skipped.c", discover::SkipReason::too_large, "big"},
      {"github.com/o/r/README.md", discover::SkipReason::not_source, "ext"}};

  auto plan = make_plan(db.get(), {repo}, kFp);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->files.size(), 3u);
  EXPECT_EQ(plan->files[0].file.path, "edited.c");
  EXPECT_EQ(plan->files[0].change, Change::changed);
  EXPECT_EQ(plan->files[0].commit, "c0ffee");
  EXPECT_EQ(plan->files[1].change, Change::new_file);
  EXPECT_EQ(plan->files[2].change, Change::unchanged);
  EXPECT_THAT(plan->deleted, ElementsAre("github.com/o/r/gone.c", "github.com/o/r/now_skipped.c"));
  EXPECT_EQ(plan->count(Change::new_file), 1);
  EXPECT_EQ(plan->count(Change::changed), 1);
  EXPECT_EQ(plan->count(Change::unchanged), 1);
  EXPECT_EQ(plan->count(Change::retry), 0);
  EXPECT_EQ(plan->count(Change::deleted), 2);
  EXPECT_EQ(plan->skipped.size(), 2u);
  EXPECT_EQ(plan->skipped[0].file_path, "github.com/o/r/README.md");
  EXPECT_EQ(plan->skip_counts.at(discover::SkipReason::too_large), 1);
  EXPECT_EQ(plan->skip_counts.at(discover::SkipReason::not_source), 1);
}

TEST_F(PlanTest, AFailedFileWithTheSameContentIsRetriedWithItsLastError) {
  commit(record("a.c", "h1"));
  ASSERT_TRUE(db->record_failure("github.com/o/r/a.c", "timeout", "no progress for 300 s", 1));
  DiscoveredRepo repo;
  repo.repository.repo = "github.com/o/r";
  repo.repository.files = {source("a.c", "h1")};
  auto plan = make_plan(db.get(), {repo}, kFp);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->files.size(), 1u);
  EXPECT_EQ(plan->files[0].change, Change::retry);
  EXPECT_THAT(plan->files[0].why, ::testing::HasSubstr("no progress for 300 s"));
}

TEST_F(PlanTest, AnEmptyStoreMakesEverythingNew) {
  DiscoveredRepo a;
  a.repository.repo = "github.com/o/r";
  a.repository.files = {source("x.c", "1"), source("y.c", "2")};
  auto plan = make_plan(db.get(), {a}, kFp);
  ASSERT_TRUE(plan) << plan.error().describe();
  EXPECT_EQ(plan->count(Change::new_file), 2);
  EXPECT_TRUE(plan->deleted.empty());
}

TEST_F(PlanTest, RepositoriesWhoseNamesShareAPrefixMergeInByteOrder) {
  // "o/r-x/..." sorts before "o/r/..." and "o/r.x/..." after "o/r-x" ('-' < '.' < '/').
  for (const char* repo : {"github.com/o/r", "github.com/o/r-x", "github.com/o/r.x"}) {
    store::FileRecord r = record("a.c", "h1");
    r.repo = repo;
    r.file_path = std::string(repo) + "/a.c";
    commit(r);
    r.file_path = std::string(repo) + "/gone.c";
    commit(r);
  }
  std::vector<DiscoveredRepo> repos;
  for (const char* repo : {"github.com/o/r.x", "github.com/o/r", "github.com/o/r-x"}) {
    DiscoveredRepo d;
    d.repository.repo = repo;
    auto f = source("a.c", "h1");
    f.repo = repo;
    f.file_path = std::string(repo) + "/a.c";
    d.repository.files = {f};
    repos.push_back(d);
  }
  auto plan = make_plan(db.get(), repos, kFp);
  ASSERT_TRUE(plan) << plan.error().describe();
  EXPECT_EQ(plan->count(Change::unchanged), 3);
  EXPECT_EQ(plan->count(Change::new_file), 0);
  EXPECT_THAT(plan->deleted, ElementsAre("github.com/o/r-x/gone.c", "github.com/o/r.x/gone.c",
                                         "github.com/o/r/gone.c"));
}

TEST_F(PlanTest, WhatDiscoveryCouldNotJudgeIsNeverDeleted) {
  commit(record("unreadable.c", "h1"));
  commit(record("sub/inside.c", "h1"));
  commit(record("really_gone.c", "h1"));
  DiscoveredRepo repo;
  repo.repository.repo = "github.com/o/r";
  repo.repository.skipped = {
      {"github.com/o/r/unreadable.c", discover::SkipReason::unreadable, "EIO"},
      {"github.com/o/r/sub/", discover::SkipReason::unreadable, "EIO"}};
  repo.repository.unwalked = {"github.com/o/r/sub/"};
  auto plan = make_plan(db.get(), {repo}, kFp);
  ASSERT_TRUE(plan) << plan.error().describe();
  EXPECT_THAT(plan->deleted, ElementsAre("github.com/o/r/really_gone.c"));

  DiscoveredRepo missing;  // the whole repository could not be read
  missing.repository.repo = "github.com/o/r";
  missing.repository.unwalked = {"github.com/o/r/"};
  auto none = make_plan(db.get(), {missing}, kFp);
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_TRUE(none->deleted.empty());
}

TEST(PlanWithoutStore, EverythingIsNew) {
  DiscoveredRepo a;
  a.repository.repo = "github.com/o/r";
  a.repository.files = {source("x.c", "1")};
  auto plan = make_plan(nullptr, {a}, kFp);
  ASSERT_TRUE(plan) << plan.error().describe();
  EXPECT_EQ(plan->count(Change::new_file), 1);
}

}  // namespace
}  // namespace g2d::pipeline
