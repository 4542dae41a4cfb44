// Quality measures kept with the samples (schema v4): the grounding score, and the links from a
// sample to an earlier live one with the same duplicate key or a near-identical question
// signature — set in commit_file, re-linked when the earlier sample is retired; the band index
// written in batches (schema v5), across closes and a process that died.
#include <cstdlib>
#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/migrations.hpp"
#include "store/question_index.hpp"

namespace g2d::store::test {
namespace {

class DuplicatesTest : public StoreFixture {
 protected:
  void reopen() {
    m_store.reset();
    auto opened = open_sqlite(db());
    ASSERT_TRUE(opened) << opened.error().describe();
    m_store = std::move(*opened);
  }
};

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
  // The band keys wait for a batch; closing the store writes it.
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 1);
  m_store.reset();
  EXPECT_EQ(raw_text(db(), "SELECT group_concat(band_key) FROM QuestionBands"), "11,12");
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 0);
  reopen();
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

// The band index is written in batches: links are the same whether the earlier questions' band
// keys are already in QuestionBands (written when the store closed) or still waiting.
TEST_F(DuplicatesTest, LinksReachQuestionsWhoseBandKeysAreWrittenAndOnesStillWaiting) {
  commit(store(), "r/a.c", "h1", {with(base_sample("a"), 1, signature(100), {7})});
  reopen();  // a's keys are in QuestionBands
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM QuestionBands WHERE band_key = 7"), 1);
  commit(store(), "r/b.c", "h1", {with(base_sample("b"), 2, signature(100, 8), {7, 9})});
  commit(store(), "r/c.c", "h1",
         {with(base_sample("c"), 3, signature(100, 4), {7}),     // a (written) is nearer
          with(base_sample("d"), 4, signature(100, 12), {9})});  // only b (waiting) shares 9
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 3);
  auto live = by_question(store());
  EXPECT_EQ(live["b q0"].near_duplicate_of, live["a q0"].id);
  EXPECT_EQ(live["c q0"].near_duplicate_of, live["a q0"].id);
  EXPECT_EQ(live["d q0"].near_duplicate_of, live["b q0"].id);
  EXPECT_DOUBLE_EQ(live["d q0"].near_duplicate_similarity, 60.0 / 64);

  // Retiring a (written): c is linked again through its waiting keys, to b.
  ASSERT_TRUE(store().retire_file("r/a.c"));
  live = by_question(store());
  EXPECT_EQ(live["b q0"].near_duplicate_of, 0);
  EXPECT_EQ(live["c q0"].near_duplicate_of, live["b q0"].id);
  // Retiring b (waiting): a retired waiting sample is never an original.
  commit(store(), "r/b.c", "h2", {with(base_sample("b2"), 5, signature(900), {6})});
  live = by_question(store());
  EXPECT_EQ(live["c q0"].near_duplicate_of, 0);
  EXPECT_EQ(live["d q0"].near_duplicate_of, 0);
}

// Enough waiting samples are written in one batch by the commit that reaches the limit.
TEST_F(DuplicatesTest, EnoughWaitingBandKeysAreWrittenInOneBatch) {
  constexpr int k_per_file = 64;
  const int files =
      static_cast<int>((QuestionIndex::k_flush_samples + k_per_file - 1) / k_per_file);
  for (int f = 0; f < files; ++f) {
    std::vector<SampleRecord> samples;
    for (int i = 0; i < k_per_file; ++i) {
      const int n = f * k_per_file + i;
      samples.push_back(with(base_sample("s" + std::to_string(n)), n + 1,
                             signature(static_cast<std::uint32_t>(n) * 100), {n, n + 100000}));
    }
    commit(store(), "r/f" + std::to_string(f) + ".c", "h", samples);
    if (f + 1 < files) {
      EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM QuestionBands"), 0) << f;
    }
  }
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 0);
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM QuestionBands"), 2 * files * k_per_file);
  commit(store(), "r/late.c", "h", {with(base_sample("late"), 1, signature(0, 2), {100000})});
  EXPECT_EQ(by_question(store())["late q0"].near_duplicate_of, by_question(store())["s0 q0"].id);
}

// A process that ends without closing the store leaves its band keys waiting in the database; the
// next open writes them, and later questions link to those samples.
TEST_F(DuplicatesTest, BandKeysLeftWaitingByAProcessThatDiedAreWrittenAtTheNextOpen) {
  m_store.reset();
  EXPECT_EXIT(
      {
        auto child = open_sqlite(db());
        if (!child)
          std::_Exit(2);
        auto file = make_file("r/a.c", "h1");
        auto s = with(base_sample("a"), 1, signature(100), {7, 8});
        s.file_path = file.file_path;
        if (!(*child)->commit_file(file, {s}))
          std::_Exit(3);
        std::_Exit(0);  // no destructor runs
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 1);
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM QuestionBands"), 0);
  reopen();
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 0);
  EXPECT_EQ(raw_text(db(), "SELECT group_concat(band_key) FROM QuestionBands"), "7,8");
  commit(store(), "r/b.c", "h1", {with(base_sample("b"), 2, signature(100, 4), {8})});
  auto live = by_question(store());
  EXPECT_EQ(live["b q0"].near_duplicate_of, live["a q0"].id);
}

// A commit that fails after some of its questions were indexed leaves no trace of them: a sample
// committed later under the same id is found only through its own band keys.
TEST_F(DuplicatesTest, AFailedCommitLeavesNoWaitingBandKeys) {
  auto bad = base_sample("");
  bad.question.clear();  // refused by the table's CHECK, after x was indexed
  auto file = make_file("r/x.c");
  auto x = with(base_sample("x"), 1, signature(100), {7});
  x.file_path = bad.file_path = file.file_path;
  ASSERT_FALSE(store().commit_file(file, {x, bad}));
  commit(store(), "r/y.c", "h1", {with(base_sample("y"), 2, signature(100), {8})});
  commit(store(), "r/w.c", "h1", {with(base_sample("w"), 3, signature(100), {7})});
  auto live = by_question(store());
  EXPECT_EQ(live["w q0"].near_duplicate_of, 0);  // y does not share band 7
  m_store.reset();
  EXPECT_EQ(raw_text(db(), "SELECT group_concat(band_key) FROM QuestionBands"), "7,8");
  reopen();
}

// The same for the signatures read during a failed commit: a sample committed later under the
// same id is compared by its own signature.
TEST_F(DuplicatesTest, AFailedCommitLeavesNoSignaturesBehind) {
  commit(store(), "r/a.c", "h1", {with(base_sample("a"), 1, signature(100), {7})});
  auto bad = base_sample("");
  bad.question.clear();
  auto file = make_file("r/x.c");
  auto x = with(base_sample("x"), 2, signature(100, 4), {7});
  auto y = with(base_sample("y"), 3, signature(100, 4), {7});  // compares x's signature
  x.file_path = y.file_path = bad.file_path = file.file_path;
  ASSERT_FALSE(store().commit_file(file, {x, y, bad}));
  commit(store(), "r/z.c", "h1", {with(base_sample("z"), 4, signature(900), {8})});  // x's id
  commit(store(), "r/w.c", "h1", {with(base_sample("w"), 5, signature(100, 4), {7, 8})});
  auto live = by_question(store());
  EXPECT_EQ(live["w q0"].near_duplicate_of, live["a q0"].id);  // z's question is not alike
  EXPECT_DOUBLE_EQ(live["w q0"].near_duplicate_similarity, 60.0 / 64);
}

// Another process opening the store read-write (the dashboard does) writes the band keys this
// one still keeps waiting: each question is still one candidate, and a crowded band still yields
// its earliest live ones.
TEST_F(DuplicatesTest, BandKeysWrittenByAnotherOpenAreNotCandidatesTwice) {
  auto keys = [](int own) {
    std::vector<std::int64_t> k{1};
    for (int i = 0; i < 15; ++i)
      k.push_back(1000 * own + i + 2);
    return k;
  };
  for (int i = 0; i < 16; ++i) {
    if (i == 8) {
      auto other = open_sqlite(db());  // writes x0..x7's keys
      ASSERT_TRUE(other) << other.error().describe();
      EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 0);
    }
    commit(store(), "r/x" + std::to_string(i) + ".c", "h",
           {with(base_sample("x" + std::to_string(i)), i + 1,
                 signature(static_cast<std::uint32_t>(1000 * i)), keys(i + 1))});
  }
  // 16 bands: the earliest 16 live samples of band 1 are x0..x15.
  commit(store(), "r/late.c", "h", {with(base_sample("late"), 99, signature(12000), keys(99))});
  auto live = by_question(store());
  EXPECT_EQ(live["late q0"].near_duplicate_of, live["x12 q0"].id);
}

// A database written before the band index was batched (schema v4: every band row written with
// its file) upgrades, and its questions are still found.
TEST_F(DuplicatesTest, AVersionFourDatabaseUpgradesAndItsQuestionsStillLink) {
  commit(store(), "r/a.c", "h1", {with(base_sample("a"), 1, signature(100), {7, 8})});
  m_store.reset();
  raw_exec(db(), "DROP TABLE PendingQuestionBands; PRAGMA user_version = 4;");  // as v4 left it
  reopen();
  EXPECT_EQ(store().schema_version(), latest_schema_version());
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM PendingQuestionBands"), 0);
  commit(store(), "r/b.c", "h1", {with(base_sample("b"), 2, signature(100, 4), {8})});
  auto live = by_question(store());
  EXPECT_EQ(live["b q0"].near_duplicate_of, live["a q0"].id);
}

}  // namespace
}  // namespace g2d::store::test
