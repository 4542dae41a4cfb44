// run_prepare against a real SQLite store and real files, with the scripted fake backend for fault
// injection: retries, files that always fail, partial work kept across runs, context overflow and
// re-chunking, stopping and abandoning, and a store that fails.
#include "pipeline/prepare.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_backend.hpp"
#include "pipeline/file_units.hpp"
#include "support.hpp"
#include "sys/sha256.hpp"

namespace g2d::pipeline {
namespace {

using test::echo_answer;
using test::fake_questions;
using test::fake_reply;
using test::ScriptedFakeBackend;
using ::testing::HasSubstr;

constexpr const char* kRepo = "github.com/o/r";

// Which file a request is about: its prefix key starts with the file's path.
bool about(const llm::GenerateRequest& r, const std::string& name) {
  return r.prefix_key.starts_with(std::string(kRepo) + "/" + name);
}

Result<llm::GenerateResult> two_questions(const llm::GenerateRequest& request, int) {
  return fake_reply(fake_questions(request, 2));
}

// `count` functions of C, each `body_lines` lines long.
std::string c_functions(int count, int body_lines = 3) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += "int f" + std::to_string(i) + "(int x) {\n";
    for (int l = 0; l < body_lines; ++l)
      out += "  x = x * " + std::to_string(l + 2) + " + " + std::to_string(i) + ";\n";
    out += "  return x;\n}\n\n";
  }
  return out;
}

// A store that fails its n-th commit_file or n-th save_partials (fault injection; 0: never);
// everything else goes to a real one.
class FailingStore : public store::Store {
 public:
  FailingStore(store::Store& real, int fail_commit_at, int fail_partial_at = 0)
      : m_real(real), m_fail_at(fail_commit_at), m_fail_partial_at(fail_partial_at) {}
  int schema_version() const override { return m_real.schema_version(); }
  Result<std::optional<store::FileRecord>> get_file(std::string_view p) override {
    return m_real.get_file(p);
  }
  Status for_each_file(const store::FileVisitor& v) override { return m_real.for_each_file(v); }
  Status commit_file(const store::FileRecord& f,
                     const std::vector<store::SampleRecord>& s) override {
    if (++m_commits == m_fail_at)
      return fail(ErrorKind::store, "disk I/O error (injected)");
    return m_real.commit_file(f, s);
  }
  Status record_failure(std::string_view p, std::string_view k, std::string_view m,
                        std::int64_t now) override {
    return m_real.record_failure(p, k, m, now);
  }
  Result<std::int64_t> retire_file(std::string_view p) override { return m_real.retire_file(p); }
  Status save_partials(const std::vector<store::PartialRecord>& w) override {
    if (++m_partials == m_fail_partial_at)
      return fail(ErrorKind::store, "database or disk is full (injected)");
    return m_real.save_partials(w);
  }
  Result<std::vector<store::PartialRecord>> partials(std::string_view p, std::string_view h,
                                                     std::string_view f) override {
    return m_real.partials(p, h, f);
  }
  Result<std::vector<store::FailedRecord>> failed_files() override { return m_real.failed_files(); }
  Result<bool> clear_failure(std::string_view p) override { return m_real.clear_failure(p); }
  Result<std::int64_t> clear_all_failures() override { return m_real.clear_all_failures(); }
  Result<std::optional<std::string>> get_state(std::string_view k) override {
    return m_real.get_state(k);
  }
  Status set_state(std::string_view k, std::string_view v) override {
    return m_real.set_state(k, v);
  }
  Result<std::map<std::string, std::string>> state() override { return m_real.state(); }
  Result<store::RunRecord> read_run() override { return m_real.read_run(); }
  Status write_run(const store::RunRecord& r, store::RunFields f) override {
    return m_real.write_run(r, f);
  }
  Result<store::Counts> counts() override { return m_real.counts(); }
  Status for_each_sample(const store::SampleVisitor& v) override {
    return m_real.for_each_sample(v);
  }

 private:
  store::Store& m_real;
  int m_fail_at;
  int m_fail_partial_at;
  std::atomic<int> m_commits{0};
  std::atomic<int> m_partials{0};
};

class PrepareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite(dir.path() / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::move(*opened);
    options.repos_dir = dir.path() / "repos";
    options.model = "fake";
    options.settings_fingerprint = "fp";
    options.questions_per_file = 2;
    options.max_tokens = 64;
    options.max_retries = 2;
    options.concurrent_files = 2;
    options.backoff = std::chrono::milliseconds(1);
  }

  // Writes the file into the repository and plans it as new.
  void add(const std::string& name, const std::string& content, const std::string& language = "c") {
    test::write_file(options.repos_dir / kRepo / name, content);
    PlannedFile p;
    p.file.repo = kRepo;
    p.file.path = name;
    p.file.file_path = std::string(kRepo) + "/" + name;
    p.file.language = language;
    p.file.size = content.size();
    p.file.sha256 = sys::sha256_hex(content);
    p.commit = "c0ffee";
    plan.files.push_back(p);
  }

  Result<PrepareSummary> run(llm::Backend& backend, store::Store* s = nullptr) {
    return run_prepare(s != nullptr ? *s : *db, backend, generate::builtin_prompts(), plan,
                       options);
  }

  std::vector<store::SampleRecord> samples_of(const std::string& name) {
    std::vector<store::SampleRecord> out;
    auto st = db->for_each_sample([&](const store::SampleRecord& s) -> Status {
      if (s.file_path == std::string(kRepo) + "/" + name)
        out.push_back(s);
      return {};
    });
    EXPECT_TRUE(st) << st.error().describe();
    return out;
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> db;
  PrepareOptions options;
  Plan plan;
};

// A gate that stays shut (a machine paused for good) until `stop` is requested; false when no
// stop came within a minute (a failing test, not a pace).
bool stays_shut_until_stopped(const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, std::chrono::seconds(60), [] { return false; });
  return stop.stop_requested();
}

TEST_F(PrepareTest, EveryFileIsCommittedWithItsPairsAndLineRange) {
  const std::string code = c_functions(2);
  add("a.c", code);
  add("b.c", "int b;\n");
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 2);
  EXPECT_EQ(summary->samples, 4);
  EXPECT_FALSE(summary->stopped);
  auto a = samples_of("a.c");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].line_start, 1);
  EXPECT_EQ(a[0].line_end, static_cast<int>(std::count(code.begin(), code.end(), '\n')));
  EXPECT_EQ(a[0].answer, "Answer to: " + a[0].question);
  EXPECT_EQ(a[0].code, code);  // the unit's code is kept with its samples
  EXPECT_EQ(a[1].code, code);
  EXPECT_EQ(samples_of("b.c").size(), 2u);
  EXPECT_EQ(backend.question_calls(), 2);
  EXPECT_EQ(backend.answer_calls(), 4);
}

// Pairs mode: one call per unit writes its pairs; they are stored as the two-step mode's are, with
// pairs mode's prompt version.
TEST_F(PrepareTest, PairsModeStoresEachUnitsPairsFromOneCall) {
  add("a.c", c_functions(2));
  add("b.c", "int b;\n");
  options.mode = generate::GenerationMode::pairs;
  ScriptedFakeBackend backend(
      [](const llm::GenerateRequest& r, int) { return fake_reply(test::fake_pairs(r, 2)); },
      echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 2);
  EXPECT_EQ(summary->samples, 4);
  EXPECT_EQ(backend.question_calls(), 2);
  EXPECT_EQ(backend.answer_calls(), 0);
  auto a = samples_of("a.c");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].answer, "Answer to: " + a[0].question);
  EXPECT_EQ(a[1].answer, "Answer to: " + a[1].question);
  EXPECT_NE(a[0].question, a[1].question);
  EXPECT_EQ(a[0].prompt_version, generate::prompts_version(generate::builtin_prompts(),
                                                           generate::GenerationMode::pairs));
  EXPECT_GT(a[0].completion_tokens, 0);
}

// A pairs call's reply needs room for every answer: the code's budget leaves it, and an answer's
// budget is cut so that the whole reply fits.
TEST(TokenBudgets, PairsModeLeavesRoomForTheWholeReply) {
  ScriptedFakeBackend backend(two_questions, echo_answer, 4096);
  generate::UnitOptions o;
  o.questions = 5;
  o.max_tokens = 4096;
  o.longer_max_tokens = 8192;
  auto two_step = token_budgets(backend, generate::builtin_prompts(), o);
  ASSERT_TRUE(two_step) << two_step.error().describe();
  o.mode = generate::GenerationMode::pairs;
  auto pairs = token_budgets(backend, generate::builtin_prompts(), o);
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_GT(pairs->answer, 64);
  EXPECT_LT(pairs->answer, two_step->answer);
  EXPECT_LE(pairs->code + generate::pairs_budget(5, pairs->answer), 4096);
  o.max_tokens = 100;  // small answers: the reply's room is what they need, and the code gets more
  o.longer_max_tokens = 200;
  auto small = token_budgets(backend, generate::builtin_prompts(), o);
  ASSERT_TRUE(small) << small.error().describe();
  EXPECT_EQ(small->answer, 100);
  EXPECT_GT(small->code, pairs->code);
}

// An answer call may quote the definition its question names (answer.txt's {{excerpt}}): in
// two-step mode the code's budget keeps room for it, and only when the answer prompt has one;
// pairs mode's answer calls quote none.
TEST(TokenBudgets, TheAnswersExcerptHasItsRoom) {
  ScriptedFakeBackend backend(two_questions, echo_answer, 4096);
  generate::UnitOptions o;
  o.questions = 3;
  o.max_tokens = 256;
  generate::PromptSet with = generate::builtin_prompts();
  with.questions = "Write {{count}}.";  // shorter than the answer prompt: the answer's room counts
  with.answer = "Answer this.\n{{excerpt}}\nQuestion: {{question}}\n";
  generate::PromptSet without = with;
  without.answer = "Answer this.\n\nQuestion: {{question}}\n";
  auto a = token_budgets(backend, with, o);
  auto b = token_budgets(backend, without, o);
  ASSERT_TRUE(a && b);
  EXPECT_NEAR(b->code - a->code, generate::k_excerpt_tokens, 4);
  o.mode = generate::GenerationMode::pairs;
  with.pairs = without.pairs = "Write {{count}}.";
  auto c = token_budgets(backend, with, o);
  auto d = token_budgets(backend, without, o);
  ASSERT_TRUE(c && d);
  EXPECT_NEAR(c->code, d->code, 4);
}

// The model sees the file's path in its repository, never the folder it was cloned into under
// repos_dir; the sample is stored with the repository's published name.
TEST_F(PrepareTest, ThePromptShowsThePathInTheRepository) {
  add("src/x.c", "int x(void) { return 1; }\n");
  options.repo_urls[kRepo] = "acme/r";
  std::mutex m;
  std::vector<std::string> prompts;
  auto record = [&](const llm::GenerateRequest& r) {
    std::lock_guard lock(m);
    std::string all;
    for (const auto& message : r.messages)
      all += message.content + "\n";
    prompts.push_back(all);
  };
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) {
        record(r);
        return two_questions(r, n);
      },
      [&](const llm::GenerateRequest& r, int n) {
        record(r);
        return echo_answer(r, n);
      });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  ASSERT_EQ(prompts.size(), 3u);
  for (const auto& prompt : prompts) {
    EXPECT_THAT(prompt, HasSubstr("src/x.c"));
    EXPECT_THAT(prompt, ::testing::Not(HasSubstr(kRepo)));
  }
  auto samples = samples_of("src/x.c");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].repo_url, "acme/r");
}

// Each sample is stored with its quality measures: flags of the answer, its grounding in the code,
// and links to an earlier identical pair.
TEST_F(PrepareTest, SamplesAreStoredWithTheirQualityMeasures) {
  const std::string code = "int add(int a, int b) { return a + b; }\n";
  add("a.c", code);
  add("b.c", code);  // a copy: the same questions and answers again
  options.concurrent_files = 1;
  ScriptedFakeBackend backend(two_questions, [](const llm::GenerateRequest& r, int) {
    const std::string& user = r.messages.back().content;
    if (user.find("in case 1?") != std::string::npos)
      return Result<llm::GenerateResult>(
          fake_reply("I'm sorry, but I cannot answer questions about this code."));
    return Result<llm::GenerateResult>(fake_reply(
        "`add` calls `parse_yaml_config()` and then `HttpRetryPolicy::flush_all_buffers()`."));
  });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  auto a = samples_of("a.c");
  auto b = samples_of("b.c");
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(a[0].quality_flags, "refusal,names_no_code");
  EXPECT_EQ(a[1].quality_flags, "");
  ASSERT_TRUE(a[1].grounding.has_value());
  EXPECT_LE(*a[1].grounding, 0.3);  // only `add` of four names is in the code
  EXPECT_EQ(a[0].duplicate_of, 0);
  EXPECT_EQ(b[0].duplicate_of, a[0].id);
  EXPECT_EQ(b[1].duplicate_of, a[1].id);
  EXPECT_EQ(b[1].near_duplicate_of, a[1].id);  // the same question
  EXPECT_DOUBLE_EQ(b[1].near_duplicate_similarity, 1.0);
}

// A sample carries its code, so the same question and answer about other code is another sample
// (every `main` gets its "What does `main` do?"): neither a duplicate nor a near duplicate.
TEST_F(PrepareTest, TheSameQuestionAboutOtherCodeIsNotADuplicate) {
  add("a.c", "int add(int a, int b) { return a + b; }\n");
  add("b.c", "int add(int a, int b) { return b + a; }\n");
  options.concurrent_files = 1;
  ScriptedFakeBackend backend(two_questions, [](const llm::GenerateRequest&, int) {
    return Result<llm::GenerateResult>(fake_reply("`add` returns the sum of `a` and `b`."));
  });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  auto a = samples_of("a.c");
  auto b = samples_of("b.c");
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(a[0].question, b[0].question);
  for (const auto& s : b) {  // (a link to b.c's other question, alike in part, is fine)
    EXPECT_EQ(s.duplicate_of, 0) << s.question;
    EXPECT_NE(s.near_duplicate_of, a[0].id) << s.question;
    EXPECT_NE(s.near_duplicate_of, a[1].id) << s.question;
  }
}

// NUL, ESC, BEL and bidirectional controls from the model, in an answer or a question, flag the
// sample (control_chars); TAB, newlines and CRLF do not.
TEST_F(PrepareTest, ControlCharactersFromTheModelFlagTheSample) {
  add("a.c", "int add(int a, int b) { return a + b; }\n");
  options.concurrent_files = 1;
  options.questions_per_file = 4;
  auto questions = [](const llm::GenerateRequest&, int) {
    nlohmann::json q = {{"questions",
                         {"What does add return?", "What does add take?",
                          "Why does add \xE2\x80\xAEreturn?", "How is add laid out?"}}};
    return Result<llm::GenerateResult>(fake_reply(q.dump()));
  };
  ScriptedFakeBackend backend(questions, [](const llm::GenerateRequest& r, int) {
    const std::string& user = r.messages.back().content;
    std::string answer = "It returns `a + b`.";
    if (user.find("add return?") != std::string::npos)
      answer = "`add` returns \x1b]0;pwned\x07 the sum.";
    else if (user.find("add take?") != std::string::npos)
      answer = std::string("`add` takes \0 two ints.", 24);
    else if (user.find("laid out?") != std::string::npos)
      answer = "Like this:\r\n\tint add(int a, int b) {\n\t  return a + b;\n\t}";
    return Result<llm::GenerateResult>(fake_reply(answer));
  });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  auto a = samples_of("a.c");
  ASSERT_EQ(a.size(), 4u);
  std::map<std::string, std::string> flags;
  for (const auto& sample : a)
    flags[sample.question] = sample.quality_flags;
  EXPECT_EQ(flags["What does add return?"], "control_chars");
  EXPECT_EQ(flags["What does add take?"], "control_chars");
  EXPECT_EQ(flags["Why does add \xE2\x80\xAEreturn?"], "control_chars");
  EXPECT_EQ(flags["How is add laid out?"], "");
}

// An answer may rightly name what another file of its repository defines — even a file this run
// does not process (unchanged) — but not what only another repository has.
TEST_F(PrepareTest, GroundingCountsWhatTheRepositoryHoldsButNotOtherRepositories) {
  add("a.c", "int add(int a, int b) { return a + b; }\n");
  add("lib/util.c", "int parse_yaml_config(const char *path) { return path != 0; }\n");
  plan.files.back().change = Change::unchanged;
  const std::string other = "github.com/o/other";
  const std::string other_code = "struct HttpRetryPolicy { int flush_all_buffers; };\n";
  test::write_file(options.repos_dir / other / "policy.c", other_code);
  PlannedFile p;
  p.file.repo = other;
  p.file.path = "policy.c";
  p.file.file_path = other + "/policy.c";
  p.file.language = "c";
  p.file.sha256 = sys::sha256_hex(other_code);
  p.change = Change::unchanged;
  plan.files.push_back(p);
  ScriptedFakeBackend backend(two_questions, [](const llm::GenerateRequest&, int) {
    return Result<llm::GenerateResult>(fake_reply(
        "`add` calls `parse_yaml_config()` and then `HttpRetryPolicy::flush_all_buffers()`."));
  });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  auto a = samples_of("a.c");
  ASSERT_EQ(a.size(), 2u);
  for (const auto& s : a) {
    ASSERT_TRUE(s.grounding.has_value());
    EXPECT_DOUBLE_EQ(*s.grounding, 0.5);  // add (its code), parse_yaml_config (its repository)
  }
}

TEST_F(PrepareTest, ACallThatFailsThenSucceedsIsRetried) {
  add("a.c", c_functions(1));
  ScriptedFakeBackend backend(
      [](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        if (n == 0)
          return fail(ErrorKind::unavailable, "the server went away");
        return two_questions(r, n);
      },
      echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 1);
  EXPECT_EQ(summary->failed, 0);
  EXPECT_EQ(backend.question_calls(), 2);
}

TEST_F(PrepareTest, ATokenCountThatFailsForAMomentIsRetried) {
  add("big.c", c_functions(60, 4));  // over the budget: split, so its tokens are counted
  options.max_tokens = 1000;
  ScriptedFakeBackend backend(two_questions, echo_answer, 2000);
  // Every other count fails as a busy server would (the run's own first counts included).
  backend.fail_token_counts([](int n) -> std::optional<Error> {
    if (n % 2 == 0)
      return Error{ErrorKind::unavailable, "503 loading"};
    return std::nullopt;
  });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 1);
  EXPECT_EQ(summary->failed, 0);
  EXPECT_GT(samples_of("big.c").size(), 2u);
  EXPECT_GT(backend.token_counts(), 4);
}

TEST_F(PrepareTest, ATokenCountThatCannotSucceedFailsTheFileWithItsReason) {
  add("big.c", c_functions(60, 4));
  add("small.c", "int small;\n");
  options.max_tokens = 1000;
  ScriptedFakeBackend backend(two_questions, echo_answer, 2000);
  // The run's two counts of its prompts succeed; every later count is refused for good.
  backend.fail_token_counts([](int n) -> std::optional<Error> {
    if (n >= 2)
      return Error{ErrorKind::rejected, "401 tokenize is not allowed"};
    return std::nullopt;
  });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->failed, 2);  // both files are measured; neither can be
  auto failed = db->failed_files();
  ASSERT_TRUE(failed);
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].error_kind, "rejected");
  EXPECT_NE((*failed)[0].error_message.find("tokenize is not allowed"), std::string::npos);
  EXPECT_EQ(backend.token_counts(), 4) << "a permanent error is not asked again";
}

TEST_F(PrepareTest, AFileThatAlwaysFailsIsRecordedAndItsFinishedAnswersAreNotPaidForAgain) {
  add("a.c", c_functions(1));
  add("bad.c", c_functions(2));
  add("c.c", c_functions(1));
  // The second question about bad.c is always refused; everything else works.
  auto refuse_bad_second = [](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
    if (about(r, "bad.c") && r.messages.back().content.find("in case 2?") != std::string::npos)
      return fail(ErrorKind::rejected, "refused (injected)");
    return echo_answer(r, n);
  };
  ScriptedFakeBackend failing(two_questions, refuse_bad_second);
  auto first = run(failing);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->done, 2);
  EXPECT_EQ(first->failed, 1);
  auto failed = db->failed_files();
  ASSERT_TRUE(failed);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].file_path, std::string(kRepo) + "/bad.c");
  EXPECT_EQ((*failed)[0].error_kind, "rejected");
  EXPECT_THAT((*failed)[0].error_message, HasSubstr("refused (injected)"));
  EXPECT_EQ((*failed)[0].retry_count, 1);
  EXPECT_TRUE(samples_of("bad.c").empty());

  // The next run asks only for the answer that failed.
  plan.files.erase(plan.files.begin());  // a.c and c.c are done now
  plan.files.pop_back();
  ScriptedFakeBackend healthy(two_questions, echo_answer);
  auto second = run(healthy);
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_EQ(second->done, 1);
  EXPECT_EQ(healthy.question_calls(), 0);
  EXPECT_EQ(healthy.answer_calls(), 1);
  auto bad = samples_of("bad.c");
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].answer, "Answer to: " + bad[0].question);
  EXPECT_EQ(bad[1].answer, "Answer to: " + bad[1].question);
  EXPECT_TRUE(db->failed_files()->empty());
}

TEST_F(PrepareTest, AFileIsLeftAloneAfterMaxRetriesFailedRuns) {
  add("a.c", c_functions(1));
  for (int i = 0; i < options.max_retries; ++i)
    ASSERT_TRUE(db->record_failure(std::string(kRepo) + "/a.c", "timeout", "slow", i));
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->skipped, 1);
  EXPECT_EQ(backend.question_calls(), 0);
}

TEST_F(PrepareTest, ALargeFileIsSplitIntoUnitsThatFitAndCoverIt) {
  // 2,000 tokens of context: 1,000 reserved for the reply, the rest for prompts and code.
  std::string code = c_functions(60, 4);
  add("big.c", code);
  options.max_tokens = 1000;
  std::set<std::pair<int, int>> units;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        size_t chars = r.messages[0].content.size() + r.messages.back().content.size();
        EXPECT_LE(chars / 4 + r.max_tokens, 2000u) << "a unit over the context";
        return two_questions(r, n);
      },
      echo_answer, 2000);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 1);
  auto samples = samples_of("big.c");
  ASSERT_GT(samples.size(), 2u) << "not split";
  for (const auto& s : samples)
    units.emplace(s.line_start, s.line_end);
  EXPECT_EQ(samples.size(), units.size() * 2);
  int next = 1;
  for (auto [start, end] : units) {
    EXPECT_EQ(start, next) << "units must cover the file without gaps or overlaps";
    next = end + 1;
  }
  EXPECT_EQ(next - 1, static_cast<int>(std::count(code.begin(), code.end(), '\n')));
}

// Several servers (the router) name the model that answered each call: each sample records it;
// a backend that names none leaves the run's model.
TEST_F(PrepareTest, EachSampleRecordsTheModelThatAnsweredIt) {
  add("a.c", "int alpha(int x) { return x + 1; }\n");
  add("b.c", "int beta(int x) { return x - 1; }\n");
  ScriptedFakeBackend backend(
      two_questions, [](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        auto reply = echo_answer(r, n);
        if (reply && r.messages.back().content.find("beta") != std::string::npos)
          reply->model = "served-by-gpu1";
        return reply;
      });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  ASSERT_EQ(summary->done, 2);
  for (const auto& sample : samples_of("a.c"))
    EXPECT_EQ(sample.model_used, "fake");
  auto b = samples_of("b.c");
  ASSERT_FALSE(b.empty());
  for (const auto& sample : b)
    EXPECT_EQ(sample.model_used, "served-by-gpu1");
}

// A unit's prefix is ended once, after its last call (the router frees the unit's place on its
// server, llama-server the unit's slot) — also for a unit that fails.
TEST_F(PrepareTest, EveryUnitsPrefixIsEndedOnceAfterItsLastCall) {
  add("big.c", c_functions(60, 4));
  add("bad.c", "int broken(void) { return 0; }\n");
  options.max_tokens = 1000;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        if (r.messages.back().content.find("broken") != std::string::npos)
          return fail(ErrorKind::rejected, "refused (fake)");
        return two_questions(r, n);
      },
      echo_answer, 2000);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->failed, 1);
  std::map<std::string, int> calls;
  std::map<std::string, int> ends;
  for (const auto& [key, what] : backend.prefix_events()) {
    ASSERT_FALSE(key.empty());
    if (what == "call") {
      EXPECT_EQ(ends[key], 0) << "a call after its prefix ended: " << key;
      ++calls[key];
    } else {
      ++ends[key];
    }
  }
  ASSERT_GT(calls.size(), 2U);
  for (const auto& [key, n] : calls)
    EXPECT_EQ(ends[key], 1) << key;
  EXPECT_EQ(ends.size(), calls.size());
}

// The units of a file, in order, checked to cover all of its lines without gaps or overlaps.
std::vector<std::pair<int, int>> covering_units(const std::vector<store::SampleRecord>& samples,
                                                const std::string& code) {
  std::set<std::pair<int, int>> units;
  for (const auto& s : samples)
    units.emplace(s.line_start, s.line_end);
  int next = 1;
  for (auto [start, end] : units) {
    EXPECT_EQ(start, next) << "units must cover the file without gaps or overlaps";
    next = end + 1;
  }
  EXPECT_EQ(next - 1, static_cast<int>(std::count(code.begin(), code.end(), '\n')));
  return {units.begin(), units.end()};
}

// The line of `needle` in `code`, 1-based.
int line_of(const std::string& code, const std::string& needle) {
  auto at = code.find(needle);
  return 1 + static_cast<int>(std::count(code.begin(), code.begin() + static_cast<long>(at), '\n'));
}

TEST_F(PrepareTest, AContextOverflowSplitsThatUnitAgainAtItsPlaceInTheFile) {
  // Cut into several units by a small context; the unit holding f40 overflows anyway (as if the
  // backend's tokenizer undercounted there), so it alone is cut again — into halves that fit.
  const std::string code = c_functions(60, 4);
  add("a.c", code);
  options.max_tokens = 1000;
  int overflows = 0;
  std::pair<int, int> overflowed{0, 0};  // the lines of the unit that overflowed, from its prompt
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        const std::string& user = r.messages.back().content;
        if (user.find("int f40(") != std::string::npos && user.size() > 2000) {
          ++overflows;
          std::sscanf(user.c_str() + user.find("(lines "), "(lines %d-%d", &overflowed.first,
                      &overflowed.second);
          return fail(ErrorKind::context_overflow, "the prompt is 5000 tokens (injected)");
        }
        return two_questions(r, n);
      },
      echo_answer, 2000);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 1);
  EXPECT_EQ(summary->failed, 0);
  EXPECT_EQ(overflows, 1);
  auto units = covering_units(samples_of("a.c"), code);
  // The pieces carry the file's line numbers: f40's piece lies inside the unit that overflowed,
  // past the file's first unit, and is at most about half of it.
  int f40 = line_of(code, "int f40(");
  auto holding = std::find_if(units.begin(), units.end(),
                              [&](auto u) { return u.first <= f40 && f40 <= u.second; });
  ASSERT_NE(holding, units.end());
  EXPECT_GT(overflowed.first, 1);
  EXPECT_GE(holding->first, overflowed.first);
  EXPECT_LE(holding->second, overflowed.second);
  EXPECT_LT((holding->second - holding->first) * 4, (overflowed.second - overflowed.first) * 3)
      << "f40's unit was not cut again";
  EXPECT_TRUE(std::count(units.begin(), units.end(), overflowed) == 0);
}

TEST_F(PrepareTest, AFailedAnswerInALaterUnitIsTheOnlyCallOfTheNextRun) {
  const std::string code = c_functions(60, 4);
  add("big.c", code);
  options.max_tokens = 1000;
  auto refuse_f30 = [](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
    const std::string& user = r.messages.back().content;
    if (user.find("int f30(") != std::string::npos && user.find("in case 2?") != std::string::npos)
      return fail(ErrorKind::rejected, "refused (injected)");
    return echo_answer(r, n);
  };
  ScriptedFakeBackend failing(two_questions, refuse_f30, 2000);
  auto first = run(failing);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->failed, 1);
  // A file stops at its first unit that fails: the units before it and the failed one's
  // questions are kept.
  int asked = failing.question_calls();
  ASSERT_GE(asked, 2) << "f30 is not in the first unit";

  ScriptedFakeBackend healthy(two_questions, echo_answer, 2000);
  auto second = run(healthy);
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_EQ(second->done, 1);
  auto samples = samples_of("big.c");
  int units = static_cast<int>(covering_units(samples, code).size());
  ASSERT_GT(units, asked) << "f30 is in the last unit";
  EXPECT_EQ(samples.size(), static_cast<size_t>(units) * 2);
  // Only the failed answer, and the units never reached, are paid for.
  EXPECT_EQ(healthy.question_calls(), units - asked);
  EXPECT_EQ(healthy.answer_calls(), 1 + 2 * (units - asked));
}

TEST_F(PrepareTest, AbandoningCancelsInFlightWorkWithoutMarkingAnything) {
  add("a.c", c_functions(1));
  std::stop_source abandon;
  options.abandon = abandon.get_token();
  options.concurrent_files = 1;
  ScriptedFakeBackend backend(two_questions, echo_answer);
  backend.hold_calls([](const llm::GenerateRequest& r) {
    return r.messages.back().content.find("in case 2?") != std::string::npos;
  });
  // Abandoned once the second answer is in flight and the first one is answered (or after a
  // minute, which fails the test below instead of hanging it).
  std::atomic<bool> reached{false};
  std::jthread abandoner([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((backend.held_calls() == 0 || backend.answer_calls() == 0) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    reached = backend.held_calls() > 0;
    abandon.request_stop();
  });
  auto summary = run(backend);
  abandoner.join();
  EXPECT_TRUE(reached) << "the second answer was never in flight";
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_TRUE(summary->stopped);
  EXPECT_EQ(summary->done, 0);
  EXPECT_EQ(summary->failed, 0);
  EXPECT_TRUE(db->failed_files()->empty());
  EXPECT_EQ(db->counts()->files_done, 0);
  auto kept = db->partials(std::string(kRepo) + "/a.c", plan.files[0].file.sha256, "fp");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->size(), 2u) << "the questions and the finished answer are kept";
}

TEST_F(PrepareTest, AStoreThatCannotKeepAFailedFilesWorkStopsTheRun) {
  add("a.c", c_functions(1));
  add("b.c", c_functions(1));
  FailingStore failing(*db, 0, 1);
  options.concurrent_files = 1;
  ScriptedFakeBackend backend(
      two_questions, [](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        if (r.messages.back().content.find("in case 2?") != std::string::npos)
          return fail(ErrorKind::rejected, "refused (injected)");
        return echo_answer(r, n);
      });
  auto summary = run(backend, &failing);
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().kind, ErrorKind::store);
  EXPECT_THAT(summary.error().message, HasSubstr("disk is full"));
  EXPECT_EQ(backend.question_calls(), 1) << "no file may be started once nothing can be kept";
  EXPECT_EQ(db->counts()->files_done, 0);
}

TEST_F(PrepareTest, AHealthyFileWritesNoPartialWork) {
  add("a.c", c_functions(1));
  FailingStore failing(*db, 0, 1);  // any partial write would fail the run
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend, &failing);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 1);
}

TEST_F(PrepareTest, AnEmptyFileIsDoneWithNoSamplesAndNoCall) {
  add("empty.c", "");
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 1);
  EXPECT_EQ(summary->samples, 0);
  EXPECT_EQ(backend.question_calls(), 0);
}

TEST_F(PrepareTest, TheGateIsAskedBeforeEachFileAndNeverWhenNothingIsLeft) {
  add("a.c", c_functions(1));
  add("b.c", c_functions(1));
  options.concurrent_files = 1;
  std::atomic<int> asked{0};
  options.before_take = [&](std::stop_token) { ++asked; };
  ScriptedFakeBackend backend(two_questions, echo_answer);
  ASSERT_TRUE(run(backend));
  EXPECT_EQ(asked, 2);

  // A gate that would block for ever is never entered when there is nothing to do.
  plan.files.clear();
  options.before_take = [](std::stop_token stop) { stays_shut_until_stopped(stop); };
  ASSERT_TRUE(run(backend));
}

TEST_F(PrepareTest, AStoreFailureReleasesWorkersWaitingAtTheGate) {
  add("a.c", c_functions(1));
  add("b.c", c_functions(1));
  add("c.c", c_functions(1));
  FailingStore failing(*db, 1);
  options.concurrent_files = 2;
  // The second worker waits at the gate until the run's own stop (the failed commit) frees it.
  std::atomic<int> entered{0};
  options.before_take = [&](std::stop_token stop) {
    if (++entered == 1)
      return;
    stays_shut_until_stopped(stop);
  };
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend, &failing);
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().kind, ErrorKind::store);
}

TEST_F(PrepareTest, AGracefulStopFinishesTheFileInFlightAndTakesNoMore) {
  add("a.c", c_functions(1));
  add("b.c", c_functions(1));
  std::stop_source stop_taking;
  options.stop_taking = stop_taking.get_token();
  options.concurrent_files = 1;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) {
        stop_taking.request_stop();
        return two_questions(r, n);
      },
      echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_TRUE(summary->stopped);
  EXPECT_EQ(summary->done, 1);
  EXPECT_EQ(backend.question_calls(), 1);
}

TEST_F(PrepareTest, AGracefulStopReleasesAWorkerWaitingAtTheGate) {
  add("a.c", c_functions(1));
  add("b.c", c_functions(1));
  std::stop_source stop_taking;
  options.stop_taking = stop_taking.get_token();
  options.concurrent_files = 1;
  // The second wait at the gate (a paused machine, say) ends only by the stop it is given; the
  // stop is requested once the worker waits there.
  std::atomic<int> entered{0};
  std::promise<void> waiting;
  std::atomic<bool> released{false};
  options.before_take = [&](std::stop_token stop) {
    if (++entered == 1)
      return;
    waiting.set_value();
    released = stays_shut_until_stopped(stop);
  };
  std::jthread stopper([&] {
    waiting.get_future().wait();
    stop_taking.request_stop();
  });
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_TRUE(released) << "the gate was left waiting";
  EXPECT_TRUE(summary->stopped);
  EXPECT_EQ(summary->done, 1);
}

TEST_F(PrepareTest, AFailingStoreEndsTheRunWithItsError) {
  add("a.c", c_functions(1));
  add("b.c", c_functions(1));
  FailingStore failing(*db, 1);
  options.concurrent_files = 1;
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend, &failing);
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().kind, ErrorKind::store);
  EXPECT_THAT(summary.error().message, HasSubstr("injected"));
  EXPECT_EQ(db->counts()->files_done, 0);
}

TEST_F(PrepareTest, AFileEditedSinceDiscoveryIsLeftForTheNextRun) {
  add("a.c", c_functions(1));
  test::write_file(options.repos_dir / kRepo / "a.c", "int edited;\n");
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->skipped, 1);
  EXPECT_EQ(backend.question_calls(), 0);
}

// The progress observer: every file taken is started and ended once, whatever its end (done,
// failed, edited since discovery); a processed file's outcome is told while it is in flight (none
// for the edited one); the calls that finished are counted.
TEST_F(PrepareTest, ObserversSeeEachFileStartAndEndAndEveryFinishedCall) {
  add("a.c", c_functions(1));
  add("b.c", "int b;\n");
  add("edited.c", c_functions(1));
  test::write_file(options.repos_dir / kRepo / "edited.c", "int edited;\n");
  add("bad.c", "int bad;\n");
  struct Observer final : ProgressObserver {
    void on_file_started(const std::string& path) override {
      std::lock_guard lock(m);
      started.insert(path);
      in_flight.insert(path);
    }
    void on_file_done(const FileOutcome& outcome) override {
      std::lock_guard lock(m);
      done_in_flight = done_in_flight && in_flight.count(outcome.file_path) == 1;
      (outcome.ok ? ok : failed).insert(outcome.file_path);
    }
    void on_file_ended(const std::string& path) override {
      std::lock_guard lock(m);
      ended.insert(path);
      ended_unstarted = ended_unstarted || in_flight.erase(path) != 1;
    }
    void on_call_done(int q, int a) override {
      questions += q;
      answers += a;
    }
    std::mutex m;
    std::set<std::string> in_flight;
    std::multiset<std::string> started;
    std::multiset<std::string> ended;
    std::set<std::string> ok;
    std::set<std::string> failed;
    bool ended_unstarted = false;
    bool done_in_flight = true;
    std::atomic<int> questions{0};
    std::atomic<int> answers{0};
  } observer;
  options.progress = &observer;
  ScriptedFakeBackend backend(
      two_questions, [](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        if (about(r, "bad.c"))
          return fail(ErrorKind::rejected, "refused (injected)");
        return echo_answer(r, n);
      });
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 2);
  EXPECT_EQ(summary->failed, 1);
  EXPECT_EQ(summary->skipped, 1);
  std::multiset<std::string> all;
  for (const char* name : {"a.c", "b.c", "bad.c", "edited.c"})
    all.insert(std::string(kRepo) + "/" + name);
  EXPECT_EQ(observer.started, all);
  EXPECT_EQ(observer.ended, all);
  EXPECT_FALSE(observer.ended_unstarted);
  EXPECT_TRUE(observer.in_flight.empty());
  EXPECT_TRUE(observer.done_in_flight) << "an outcome is told before its file ends";
  EXPECT_EQ(observer.ok,
            (std::set<std::string>{std::string(kRepo) + "/a.c", std::string(kRepo) + "/b.c"}));
  EXPECT_EQ(observer.failed, std::set<std::string>{std::string(kRepo) + "/bad.c"});
  EXPECT_EQ(observer.questions.load(), 6);  // a.c, b.c and bad.c asked 2 each
  EXPECT_EQ(observer.answers.load(), 4);    // bad.c's answers failed
  EXPECT_EQ(backend.question_calls(), 3);
}

}  // namespace
}  // namespace g2d::pipeline
