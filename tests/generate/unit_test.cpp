// One code unit's questions and answers: retries, errors and stopping against a scripted fake
// backend (fault injection), and the real tiny model end to end.
#include "generate/unit.hpp"

#include <atomic>
#include <functional>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "llm/llama/llama_backend.hpp"
#include "support.hpp"

namespace g2d::generate {
namespace {

using ::testing::HasSubstr;

// A fake backend for fault injection: `script` decides each reply from the request and the number
// of calls of its kind so far (questions calls carry a JSON schema; answer calls do not).
class ScriptedFakeBackend : public llm::Backend {
 public:
  using Script = std::function<Result<llm::GenerateResult>(const llm::GenerateRequest&, int)>;
  explicit ScriptedFakeBackend(Script questions, Script answers)
      : m_questions(std::move(questions)), m_answers(std::move(answers)) {}

  std::string_view name() const override { return "scripted-fake"; }
  Result<llm::ModelInfo> model_info() override { return llm::ModelInfo{"fake", 4096, 4096, true}; }
  Result<int> count_tokens(std::string_view text) override {
    return static_cast<int>(text.size() / 4);
  }
  Result<llm::GenerateResult> generate(const llm::GenerateRequest& request,
                                       std::stop_token /*stop*/) override {
    std::lock_guard lock(m_mutex);
    if (request.json_schema)
      return m_questions(request, m_question_calls++);
    return m_answers(request, m_answer_calls++);
  }
  void unload() override {}

  int question_calls() const { return m_question_calls; }
  int answer_calls() const { return m_answer_calls; }

 private:
  std::mutex m_mutex;
  Script m_questions;
  Script m_answers;
  int m_question_calls = 0;
  int m_answer_calls = 0;
};

llm::GenerateResult reply(std::string text) {
  llm::GenerateResult r;
  r.text = std::move(text);
  r.prompt_tokens = 100;
  r.completion_tokens = 10;
  return r;
}

const char* const k_three = R"({"questions": ["What does add do?", "Can add overflow?",
                                              "Who calls add?"]})";

CodeUnit unit() {
  return {"github.com/o/r/add.c", "c", 1, 1, "", "int add(int a, int b) { return a + b; }\n"};
}

UnitOptions fast_options(int questions = 3) {
  UnitOptions o;
  o.questions = questions;
  o.max_tokens = 256;
  o.max_attempts = 3;
  o.backoff = std::chrono::milliseconds(1);
  o.prefix_key = "github.com/o/r/add.c";
  return o;
}

// The answer text names its question, so the pairing can be checked.
Result<llm::GenerateResult> echo_answer(const llm::GenerateRequest& r, int /*n*/) {
  const std::string& user = r.messages.back().content;
  return reply("Answer to: " + user.substr(user.rfind("Question: ") + 10));
}

TEST(GenerateUnit, AsksQuestionsThenAnswersEachInItsPair) {
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); }, echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 3u);
  for (const auto& p : *pairs)
    EXPECT_EQ(p.answer, "Answer to: " + p.question);
  EXPECT_EQ((*pairs)[1].question, "Can add overflow?");
  EXPECT_EQ(backend.question_calls(), 1);
  EXPECT_EQ(backend.answer_calls(), 3);
}

TEST(GenerateUnit, UnparsableQuestionsAreAskedAgain) {
  ScriptedFakeBackend backend(
      [](const auto&, int n) { return n == 0 ? reply("{\"questions\": [") : reply(k_three); },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(backend.question_calls(), 2);
}

TEST(GenerateUnit, ARetrySamplesAnewInsteadOfRepeatingItself) {
  std::vector<std::pair<uint32_t, double>> seen;  // seed, temperature of each questions call
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) {
        seen.emplace_back(r.seed, r.temperature);
        return n == 0 ? reply("{\"questions\": [") : reply(k_three);
      },
      echo_answer);
  UnitOptions o = fast_options();
  o.temperature = 0;
  ASSERT_TRUE(generate_unit(backend, builtin_prompts(), unit(), o, {}));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].second, 0.0);
  EXPECT_NE(seen[1].first, seen[0].first);
  EXPECT_GE(seen[1].second, 0.3);
}

TEST(GenerateUnit, OnlyTheFailedAnswerIsRetried) {
  std::atomic<bool> failed_once{false};
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); },
                              [&](const llm::GenerateRequest& r, int n) {
                                bool second =
                                    r.messages.back().content.find("overflow") != std::string::npos;
                                if (second && !failed_once.exchange(true))
                                  return Result<llm::GenerateResult>(reply("   \n"));
                                return echo_answer(r, n);
                              });
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(backend.answer_calls(), 4);  // three answers, one of them twice
  EXPECT_EQ((*pairs)[1].answer, "Answer to: Can add overflow?");
}

TEST(GenerateUnit, PermanentErrorsEndTheUnitAtOnce) {
  ScriptedFakeBackend backend(
      [](const auto&, int) -> Result<llm::GenerateResult> {
        return fail(ErrorKind::context_overflow, "the prompt is 9000 tokens");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_FALSE(pairs);
  EXPECT_EQ(pairs.error().kind, ErrorKind::context_overflow);
  EXPECT_THAT(pairs.error().message, HasSubstr("9000 tokens"));
  EXPECT_EQ(backend.question_calls(), 1);
}

TEST(GenerateUnit, TransientErrorsGiveUpAfterMaxAttempts) {
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); },
                              [](const auto&, int) -> Result<llm::GenerateResult> {
                                return fail(ErrorKind::unavailable, "connection refused");
                              });
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_FALSE(pairs);
  EXPECT_EQ(pairs.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(backend.answer_calls(), 9);  // 3 answers x 3 attempts
}

TEST(GenerateUnit, AStopDuringBackoffCancels) {
  std::stop_source stop;
  ScriptedFakeBackend backend(
      [&](const auto&, int) -> Result<llm::GenerateResult> {
        stop.request_stop();
        return fail(ErrorKind::timeout, "no progress");
      },
      echo_answer);
  UnitOptions o = fast_options();
  o.backoff = std::chrono::hours(1);  // would hang if the stop were not seen
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), o, stop.get_token());
  ASSERT_FALSE(pairs);
  EXPECT_EQ(pairs.error().kind, ErrorKind::cancelled);
}

TEST(GenerateUnit, TheTinyModelWritesPairsAndAnswersReuseTheCodesPrefix) {
  if (test::tiny_model_path().empty())
    GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
  llm::llama::EngineOptions eo;
  eo.model = test::tiny_model_path();
  eo.context_window = 2048;
  eo.max_sequences = 2;
  eo.threads = 1;
  auto backend = llm::llama::make_llama_backend(eo);
  UnitOptions o = fast_options(2);
  o.max_tokens = 200;
  o.temperature = 0;
  auto pairs = generate_unit(*backend, builtin_prompts(), unit(), o, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 2u);
  for (const auto& p : *pairs) {
    EXPECT_FALSE(p.question.empty());
    EXPECT_FALSE(p.answer.empty());
    EXPECT_GT(p.cached_prompt_tokens, 0) << "the answer call evaluated the code again";
  }
}

}  // namespace
}  // namespace g2d::generate
