// Quality measures kept with the samples (schema v4): the grounding score, and the links from a
// sample to an earlier live one with the same duplicate key or a near-identical question
// signature — set in commit_file, re-linked when the earlier sample is retired.
#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"

namespace g2d::store::test {
namespace {

using DuplicatesTest = StoreFixture;

// A 64-slot signature (4-byte slots) whose slot i is `base + i`, with the first `differ` slots
// changed: two signatures from the same base agree on the slots neither changed.
std::string signature(std::uint32_t base, int differ = 0) {
  std::string bytes(size_t{64} * 4, '\0');
  for (int i = 0; i < 64; ++i) {
    std::uint32_t v = base + static_cast<std::uint32_t>(i) + (i < differ ? 1000000u : 0u);
    std::memcpy(bytes.data() + static_cast<size_t>(i) * 4, &v, 4);
  }
  return bytes;
}

SampleRecord with(SampleRecord s, std::int64_t key, std::string sig = {},
                  std::vector<std::int64_t> bands = {}) {
  s.duplicate_key = key;
  s.question_signature = std::move(sig);
  s.question_bands = std::move(bands);
  return s;
}

// Commits `path` with one sample per (key, signature, bands); returns nothing, fails the test on
// an error.
void commit(Store& store, const std::string& path, const std::string& hash,
            const std::vector<SampleRecord>& samples_in) {
  auto file = make_file(path, hash);
  std::vector<SampleRecord> samples = samples_in;
  for (auto& s : samples)
    s.file_path = path;
  auto st = store.commit_file(file, samples);
  ASSERT_TRUE(st) << st.error().describe();
}

SampleRecord base_sample(const std::string& q) {
  auto s = make_samples(make_file("x"), 1, q)[0];
  return s;
}

std::map<std::string, SampleRecord> by_question(Store& store) {
  std::map<std::string, SampleRecord> out;
  for (auto& s : live_samples(store))
    out[s.question] = s;
  return out;
}

TEST_F(DuplicatesTest, QualityMeasuresRoundTrip) {
  auto s = with(base_sample("a"), 42, signature(7), {11, 12});
  s.grounding = 0.75;
  commit(store(), "r/a.c", "h1", {s, base_sample("b")});
  auto live = by_question(store());
  EXPECT_EQ(live["a q0"].grounding, std::optional<double>(0.75));
  EXPECT_EQ(live["a q0"].duplicate_key, 42);
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM QuestionSignatures WHERE length(signature) = 256"),
            1);
  EXPECT_EQ(raw_text(db(), "SELECT group_concat(band_key) FROM QuestionBands"), "11,12");
  EXPECT_EQ(live["a q0"].repo, make_file("r/a.c").repo);
  EXPECT_EQ(live["b q0"].grounding, std::nullopt);  // not measured
  EXPECT_EQ(live["b q0"].duplicate_key, 0);
}

TEST_F(DuplicatesTest, AnExactDuplicateLinksToTheEarliestLiveCopy) {
  commit(store(), "r/a.c", "h1", {with(base_sample("a"), 42)});
  commit(store(), "r/b.c", "h1", {with(base_sample("b"), 42), with(base_sample("c"), 43)});
  commit(store(), "r/c.c", "h1", {with(base_sample("d"), 42)});
  auto live = by_question(store());
  EXPECT_EQ(live["a q0"].duplicate_of, 0);
  EXPECT_EQ(live["b q0"].duplicate_of, live["a q0"].id);
  EXPECT_EQ(live["c q0"].duplicate_of, 0);
  EXPECT_EQ(live["d q0"].duplicate_of, live["a q0"].id);
}

TEST_F(DuplicatesTest, RetiringTheOriginalRelinksItsCopiesToTheNextOne) {
  commit(store(), "r/a.c", "h1", {with(base_sample("a"), 42)});
  commit(store(), "r/b.c", "h1", {with(base_sample("b"), 42)});
  commit(store(), "r/c.c", "h1", {with(base_sample("c"), 42)});
  auto b_id = by_question(store())["b q0"].id;
  auto retired = store().retire_file("r/a.c");
  ASSERT_TRUE(retired) << retired.error().describe();
  auto live = by_question(store());
  EXPECT_EQ(live["b q0"].duplicate_of, 0);  // now the earliest copy: kept
  EXPECT_EQ(live["c q0"].duplicate_of, b_id);

  // A new version of b.c replaces its sample: c's copy is the only one left.
  commit(store(), "r/b.c", "h2", {with(base_sample("b2"), 99)});
  live = by_question(store());
  EXPECT_EQ(live["c q0"].duplicate_of, 0);
}

TEST_F(DuplicatesTest, ANearDuplicateQuestionLinksToTheMostAlikeEarlierOne) {
  commit(store(), "r/a.c", "h1",
         {with(base_sample("a"), 1, signature(100), {7, 8}),
          with(base_sample("b"), 2, signature(100, 16), {8, 9})});  // 48 of 64 agree with a
  commit(store(), "r/b.c", "h1",
         {with(base_sample("c"), 3, signature(100, 4), {7}),     // 60 of 64 with a
          with(base_sample("d"), 4, signature(100, 40), {7}),    // 24 of 64 with a, 28 with c
          with(base_sample("e"), 5, signature(100, 0), {55})});  // same signature, no shared band
  auto live = by_question(store());
  EXPECT_EQ(live["a q0"].near_duplicate_of, 0);
  EXPECT_EQ(live["b q0"].near_duplicate_of, live["a q0"].id);  // within one commit too
  EXPECT_DOUBLE_EQ(live["b q0"].near_duplicate_similarity, 0.75);
  EXPECT_EQ(live["c q0"].near_duplicate_of, live["a q0"].id);
  EXPECT_DOUBLE_EQ(live["c q0"].near_duplicate_similarity, 60.0 / 64);
  EXPECT_EQ(live["d q0"].near_duplicate_of, 0);
  EXPECT_EQ(live["d q0"].near_duplicate_similarity, 0);
  EXPECT_EQ(live["e q0"].near_duplicate_of, 0);  // candidates come from shared bands only
}

// A question asked of hundreds of files fills its bands: each new copy still links to the earliest
// live one (the candidates are the earliest of each band), and a band crowded with other
// questions does not hide an alike one found through another band.
TEST_F(DuplicatesTest, AQuestionAskedOfManyFilesLinksToItsEarliestLiveCopy) {
  for (int i = 0; i < 300; ++i)
    commit(store(), "r/f" + std::to_string(i) + ".c", "h",
           {with(base_sample("same " + std::to_string(i)), 1000 + i, signature(100),
                 {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})});
  commit(store(), "r/late.c", "h",
         {with(base_sample("late"), 9, signature(100),
               {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
          with(base_sample("other"), 10, signature(5000, 8), {1, 77})});
  commit(store(), "r/alike.c", "h", {with(base_sample("alike"), 11, signature(5000), {1, 77})});
  auto live = by_question(store());
  const std::int64_t first = live["same 0 q0"].id;
  EXPECT_EQ(live["same 299 q0"].near_duplicate_of, first);
  EXPECT_EQ(live["late q0"].near_duplicate_of, first);
  EXPECT_DOUBLE_EQ(live["late q0"].near_duplicate_similarity, 1.0);
  // Band 1 holds 301 earlier samples; band 77 only "other".
  EXPECT_EQ(live["alike q0"].near_duplicate_of, live["other q0"].id);
  EXPECT_DOUBLE_EQ(live["alike q0"].near_duplicate_similarity, 56.0 / 64);
}

TEST_F(DuplicatesTest, RetiringTheNearOriginalRelinksToTheNextBestLiveOne) {
  commit(store(), "r/a.c", "h1", {with(base_sample("a"), 1, signature(100), {7})});
  commit(store(), "r/b.c", "h1", {with(base_sample("b"), 2, signature(100, 8), {7})});
  commit(store(), "r/c.c", "h1", {with(base_sample("c"), 3, signature(100, 4), {7})});
  auto before = by_question(store());
  EXPECT_EQ(before["c q0"].near_duplicate_of, before["a q0"].id);
  ASSERT_TRUE(store().retire_file("r/a.c"));
  auto live = by_question(store());
  EXPECT_EQ(live["b q0"].near_duplicate_of, 0);
  EXPECT_EQ(live["c q0"].near_duplicate_of, before["b q0"].id);
  EXPECT_DOUBLE_EQ(live["c q0"].near_duplicate_similarity, 60.0 / 64);  // differ on slots 4..7
}

TEST_F(DuplicatesTest, ARetiredSampleIsNeverAnOriginal) {
  commit(store(), "r/a.c", "h1", {with(base_sample("a"), 42, signature(1), {5})});
  commit(store(), "r/a.c", "h2", {with(base_sample("a2"), 43, signature(900), {6})});
  commit(store(), "r/b.c", "h1", {with(base_sample("b"), 42, signature(1), {5})});
  auto live = by_question(store());
  EXPECT_EQ(live["b q0"].duplicate_of, 0);
  EXPECT_EQ(live["b q0"].near_duplicate_of, 0);
}

}  // namespace
}  // namespace g2d::store::test
