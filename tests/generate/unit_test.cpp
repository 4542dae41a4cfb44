// One code unit's questions and answers: retries, errors and stopping against a scripted fake
// backend (fault injection), and the real tiny model end to end.
#include "generate/unit.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_backend.hpp"
#include "generate/question_check.hpp"
#include "llm/llama/llama_backend.hpp"
#include "support.hpp"

namespace g2d::generate {
namespace {

using ::testing::HasSubstr;

using test::echo_answer;
using test::ScriptedFakeBackend;

llm::GenerateResult reply(std::string text) {
  return test::fake_reply(std::move(text));
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

// A reply with fewer questions than asked, none of them refused (a list of two where three were
// asked), is no failure when no call is left: the unit keeps what it has.
TEST(GenerateUnit, FewerQuestionsThanAskedWithNoCallLeftAreKept) {
  ScriptedFakeBackend backend(
      [](const auto&, int) {
        return reply(R"({"questions": ["What does `add` return?", "Can `add` overflow?"]})");
      },
      echo_answer);
  UnitOptions o = fast_options(3);
  o.max_attempts = 1;
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), o, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(pairs->size(), 2u);
  EXPECT_EQ(backend.question_calls(), 1);
}

// An answer call whose quoted definition does not fit the context is asked again without it.
TEST(GenerateUnit, AnAnswerThatOverflowsWithItsExcerptIsAskedWithoutIt) {
  CodeUnit u{"o/r/m.c", "c", 1,
             5,         "",  "int zero;\nint add(int a, int b) {\n  return a + b;\n}\nint one;\n"};
  std::vector<bool> excerpted;
  std::vector<double> temperatures;
  ScriptedFakeBackend backend(
      [](const auto&, int) { return reply(R"({"questions": ["What does `add` return?"]})"); },
      [&](const llm::GenerateRequest& r, int n) -> Result<llm::GenerateResult> {
        bool with = r.messages.back().content.find("```c\nint add") != std::string::npos;
        excerpted.push_back(with);
        temperatures.push_back(r.temperature);
        if (with)
          return fail(ErrorKind::context_overflow, "the prompt is 9000 tokens");
        return echo_answer(r, n);
      });
  UnitOptions o = fast_options(1);
  o.max_attempts = 1;  // asking without the excerpt spends no attempt
  o.temperature = 0;
  PromptSet quoting =
      builtin_prompts();  // as a prompts_dir may have it: the built-in one quotes none
  quoting.answer = "Answer it.\n{{excerpt}}\nQuestion: {{question}}\n";
  auto pairs = generate_unit(backend, quoting, u, o, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_EQ((*pairs)[0].answer, "Answer to: What does `add` return?");
  EXPECT_EQ(excerpted, (std::vector<bool>{true, false}));
  EXPECT_EQ(temperatures, (std::vector<double>{0.0, 0.0}));  // the same try, not a retry
  // Pairs mode's answer calls quote no definition (its budget keeps no room for one).
  excerpted.clear();
  UnitOptions p = o;
  p.mode = GenerationMode::pairs;
  auto two = generate_unit(backend, quoting, u, p, {});
  ASSERT_TRUE(two) << two.error().describe();
  EXPECT_EQ(excerpted, (std::vector<bool>{false}));
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

std::vector<std::string> three_questions() {
  return {"What does add do?", "Can add overflow?", "Who calls add?"};
}

TEST(GenerateUnit, ResumesFromEarlierWorkAndPaysOnlyForWhatIsMissing) {
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); }, echo_answer);
  UnitProgress known;
  known.questions = three_questions();
  known.answers[1] = Pair{"Can add overflow?", "Yes, signed overflow.", 100, 90, 5, false, {}};
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {}, known);
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(backend.question_calls(), 0);
  EXPECT_EQ(backend.answer_calls(), 2);
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[0].answer, "Answer to: What does add do?");
  EXPECT_EQ((*pairs)[1], known.answers[1]);
  EXPECT_EQ((*pairs)[2].answer, "Answer to: Who calls add?");
}

TEST(GenerateUnit, EarlierQuestionsBeyondTheCountAreAskedAgain) {
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); }, echo_answer);
  UnitProgress known;
  known.questions = {"What does add do?", "Can add overflow?", "Who calls add?", "Why int?"};
  known.answers[0] = Pair{"What does add do?", "Adds.", 1, 0, 1, false, {}};
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {}, known);
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(backend.question_calls(), 1);
  EXPECT_EQ(backend.answer_calls(), 3);
}

TEST(GenerateUnit, AUnitThatKeptFewerQuestionsResumesWithThem) {
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); }, echo_answer);
  UnitProgress known;
  known.questions = {"Can add overflow?"};
  known.answers[0] = Pair{"Can add overflow?", "Yes.", 1, 0, 1, false, {}};
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {}, known);
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(backend.question_calls(), 0);
  EXPECT_EQ(backend.answer_calls(), 0);
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_EQ((*pairs)[0].answer, "Yes.");
}

TEST(GenerateUnit, EachFinishedCallIsReportedAndAFailedAnswerLosesNoSibling) {
  ScriptedFakeBackend backend(
      [](const auto&, int) { return reply(k_three); },
      [](const llm::GenerateRequest& r, int n) {
        if (r.messages.back().content.find("overflow") != std::string::npos)
          return Result<llm::GenerateResult>(fail(ErrorKind::rejected, "refused"));
        return echo_answer(r, n);
      });
  std::mutex m;
  std::vector<std::string> questions;
  std::map<int, Pair> answers;
  UnitHooks hooks;
  hooks.on_questions = [&](const std::vector<std::string>& q) { questions = q; };
  hooks.on_answer = [&](int i, const Pair& p) {
    std::lock_guard lock(m);
    answers[i] = p;
  };
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {}, {}, hooks);
  ASSERT_FALSE(pairs);
  EXPECT_EQ(pairs.error().kind, ErrorKind::rejected);
  EXPECT_THAT(pairs.error().message, HasSubstr("answer 2"));
  EXPECT_EQ(questions, three_questions());
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].answer, "Answer to: What does add do?");
  EXPECT_EQ(answers[2].answer, "Answer to: Who calls add?");
}

TEST(GenerateUnit, ARepeatedQuestionKeepsTheOthersAndOnlyTheMissingOneIsAskedFor) {
  std::vector<llm::GenerateRequest> asked;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) {
        asked.push_back(r);
        return n == 0 ? reply(R"({"questions": ["What does add do?", "What does add do?",
                                                "Can add overflow?"]})")
                      : reply(R"({"questions": ["Who calls add?"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[2].question, "Who calls add?");
  ASSERT_EQ(asked.size(), 2u);
  // The second call asks for one question, shows the two it has, and is budgeted for one.
  EXPECT_EQ((*asked[1].json_schema)["properties"]["questions"]["maxItems"], 1);
  EXPECT_THAT(asked[1].messages.back().content, HasSubstr("Can add overflow?"));
  EXPECT_LT(asked[1].max_tokens, asked[0].max_tokens);
  // It shares the unit's prefix: the same system message and code.
  EXPECT_EQ(asked[1].messages.front().content, asked[0].messages.front().content);
  EXPECT_EQ(asked[1].prefix_key, asked[0].prefix_key);
}

TEST(GenerateUnit, QuestionsThatAreNotQuestionsAreReplacedNeverStored) {
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest&, int n) {
        return n == 0 ? reply(R"({"questions": ["1. What it does", "2. Why it is written this way",
                                                "3. What does add return?"]})")
                      : reply(R"({"questions": ["Can add overflow?", "Who calls add?"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  std::vector<std::string> questions;
  for (const auto& p : *pairs)
    questions.push_back(p.question);
  EXPECT_EQ(questions, (std::vector<std::string>{"What does add return?", "Can add overflow?",
                                                 "Who calls add?"}));
  EXPECT_EQ(backend.question_calls(), 2);
}

TEST(GenerateUnit, AUnitKeepsItsGoodQuestionsWhenItsRetriesRunOut) {
  ScriptedFakeBackend backend(
      [](const auto&, int n) {
        return n == 0 ? reply(R"({"questions": ["What does add do?", "What does add do?",
                                                "Can add overflow?"]})")
                      : reply(R"({"questions": ["1. What it does"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(pairs->size(), 2u);
  EXPECT_EQ(backend.question_calls(), 3);  // max_attempts
}

// A model that has no other question about a small unit asks the same ones again however often it
// is told which it has: once a reply holds nothing but questions the unit has, asking again
// only spends calls.
TEST(GenerateUnit, AReplyOfOnlyQuestionsItHasEndsTheAsking) {
  ScriptedFakeBackend backend(
      [](const auto&, int n) {
        return n == 0 ? reply(R"({"questions": ["What does add do?", "Can add overflow?"]})")
                      : reply(R"({"questions": ["What does `add` do?"]})");
      },
      echo_answer);
  auto options = fast_options();
  options.max_attempts = 4;
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), options, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(pairs->size(), 2u);
  EXPECT_EQ(backend.question_calls(), 2);
}

TEST(GenerateUnit, ACutReplyOfARepeatedQuestionDoesNotEndTheAsking) {
  ScriptedFakeBackend backend(
      [](const auto&, int n) {
        if (n == 0)
          return reply(R"({"questions": ["What does add do?", "Can add overflow?"]})");
        if (n == 1) {
          auto cut = reply(R"({"questions": ["What does `add` do?", "Who)");
          cut.finish = llm::FinishReason::length;
          return cut;
        }
        return reply(R"({"questions": ["Who calls add?"]})");
      },
      echo_answer);
  auto options = fast_options();
  options.max_attempts = 4;
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), options, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(pairs->size(), 3u);
  EXPECT_EQ(backend.question_calls(), 3);
}

TEST(GenerateUnit, AUnitWithoutOneUsableQuestionHasNoPairsAndIsNoFailure) {
  ScriptedFakeBackend backend(
      [](const auto&, int) { return reply(R"({"questions": ["What does the code do?"]})"); },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(1), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_TRUE(pairs->empty());
  EXPECT_EQ(backend.question_calls(), 3);  // max_attempts
  EXPECT_EQ(backend.answer_calls(), 0);
}

TEST(GenerateUnit, AReplyCutAtItsBudgetKeepsItsCompleteQuestions) {
  ScriptedFakeBackend backend(
      [](const auto&, int n) {
        return n == 0 ? reply(R"({"questions": ["What does add do?", "Can add overflow?", "Who ca)")
                      : reply(R"({"questions": ["Who calls add?"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[1].question, "Can add overflow?");
}

TEST(GenerateUnit, TheQuestionsBudgetHoldsTheLongestReplyItsSchemaAllows) {
  std::vector<llm::GenerateRequest> asked;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int) {
        asked.push_back(r);
        return reply(k_three);
      },
      echo_answer);
  UnitOptions o = fast_options();
  o.max_tokens = 64;  // answers are short; the questions' room does not depend on it
  ASSERT_TRUE(generate_unit(backend, builtin_prompts(), unit(), o, {}));
  ASSERT_EQ(asked.size(), 1u);
  const auto& items = (*asked[0].json_schema)["properties"]["questions"];
  // At most one token per character of every question, and the JSON around them.
  EXPECT_GE(asked[0].max_tokens,
            items["maxItems"].get<int>() * items["items"]["maxLength"].get<int>());
  EXPECT_EQ(asked[0].max_tokens, questions_budget(3));
}

llm::GenerateResult ended(std::string text, llm::FinishReason finish) {
  llm::GenerateResult r = reply(std::move(text));
  r.finish = finish;
  return r;
}

TEST(GenerateUnit, AnAnswerThatFellIntoALoopIsAskedAgainAndTheGoodOneKept) {
  std::vector<int> budgets;
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); },
                              [&](const llm::GenerateRequest& r, int n) {
                                budgets.push_back(r.max_tokens);
                                return n == 0 ? ended("`add` adds. `add` adds.",
                                                      llm::FinishReason::loop)
                                              : reply("`add` returns `a + b`.");
                              });
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(1), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_EQ((*pairs)[0].answer, "`add` returns `a + b`.");
  EXPECT_FALSE((*pairs)[0].truncated);
  EXPECT_EQ(budgets, (std::vector<int>{256, 256}));
}

TEST(GenerateUnit, AnAnswerThatLoopsOnEveryAttemptIsKeptAsTruncatedNotFailed) {
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); },
                              [&](const llm::GenerateRequest&, int) {
                                return ended("`add` adds `a`", llm::FinishReason::loop);
                              });
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), fast_options(1), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_TRUE((*pairs)[0].truncated);
  EXPECT_EQ((*pairs)[0].answer, "`add` adds `a`");
  EXPECT_EQ(backend.answer_calls(), 3);  // max_attempts
}

TEST(GenerateUnit, AnAnswerCutAtItsBudgetIsAskedOnceMoreWithTheLargerBudget) {
  std::vector<int> budgets;
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); },
                              [&](const llm::GenerateRequest& r, int n) {
                                budgets.push_back(r.max_tokens);
                                return n == 0 ? ended("`add` returns", llm::FinishReason::length)
                                              : reply("`add` returns `a + b`.");
                              });
  UnitOptions o = fast_options(1);
  o.longer_max_tokens = 1024;
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), o, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ((*pairs)[0].answer, "`add` returns `a + b`.");
  EXPECT_FALSE((*pairs)[0].truncated);
  EXPECT_EQ(budgets, (std::vector<int>{256, 1024}));
}

TEST(GenerateUnit, AnAnswerCutTwiceIsStoredTruncatedAfterOneLongerTry) {
  std::vector<int> budgets;
  ScriptedFakeBackend backend([](const auto&, int) { return reply(k_three); },
                              [&](const llm::GenerateRequest& r, int) {
                                budgets.push_back(r.max_tokens);
                                return ended("`add` returns", llm::FinishReason::length);
                              });
  UnitOptions o = fast_options(1);
  o.longer_max_tokens = 1024;
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), o, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_TRUE((*pairs)[0].truncated);
  EXPECT_EQ(budgets, (std::vector<int>{256, 1024}));
  // Without a larger budget to give, a cut answer is stored at once.
  budgets.clear();
  o.longer_max_tokens = 0;
  ASSERT_TRUE(generate_unit(backend, builtin_prompts(), unit(), o, {}));
  EXPECT_EQ(budgets, (std::vector<int>{256}));
}

// Pairs mode: one call writes every pair of the unit.
UnitOptions pairs_options(int pairs = 3) {
  UnitOptions o = fast_options(pairs);
  o.mode = GenerationMode::pairs;
  return o;
}

std::string pairs_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [q, a] : pairs)
    list.push_back({{"question", q}, {"response", a}});
  return nlohmann::json{{"pairs", list}}.dump();
}

const std::vector<std::pair<std::string, std::string>> k_three_pairs{
    {"What does `add` return?", "The sum of `a` and `b`."},
    {"Can `add` overflow?", "Yes: `a + b` is `int` addition."},
    {"Which types does `add` take?", "Two `int` values."}};

TEST(GenerateUnit, PairsModeWritesEveryPairInOneCall) {
  std::vector<llm::GenerateRequest> asked;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int) {
        asked.push_back(r);
        llm::GenerateResult result = reply(pairs_json(k_three_pairs));
        result.prompt_tokens = 120;
        result.cached_prompt_tokens = 30;
        result.completion_tokens = 61;
        return result;
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*pairs)[i].question, k_three_pairs[i].first);
    EXPECT_EQ((*pairs)[i].answer, k_three_pairs[i].second);
    EXPECT_FALSE((*pairs)[i].truncated);
  }
  EXPECT_EQ(backend.question_calls(), 1);
  EXPECT_EQ(backend.answer_calls(), 0);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ((*asked[0].json_schema)["properties"]["pairs"]["maxItems"], 3);
  EXPECT_EQ(asked[0].max_tokens, pairs_budget(3, 256));
  // The call's tokens are shared out: the sums are the call's, nothing counted twice.
  int prompt = 0, cached = 0, completion = 0;
  for (const auto& p : *pairs) {
    prompt += p.prompt_tokens;
    cached += p.cached_prompt_tokens;
    completion += p.completion_tokens;
  }
  EXPECT_EQ(prompt, 120);
  EXPECT_EQ(cached, 30);
  EXPECT_EQ(completion, 61);
}

// A pair whose question is unusable, repeated, or whose answer is empty is dropped; the missing
// ones are asked in two steps — one questions call for them, showing those kept, on the unit's
// prefix, then an answer call each — not in another whole pairs reply, which pays every answer
// again and, from a small model, often brings back a question already kept.
TEST(GenerateUnit, PairsModeAsksTheMissingPairsInTwoSteps) {
  std::vector<llm::GenerateRequest> asked;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int n) {
        asked.push_back(r);
        if (n == 0)
          return reply(pairs_json({k_three_pairs[0],
                                   {"What does the code do?", "It adds."},
                                   {"What does `add` return?", "Again."},
                                   {"Can `add` overflow?", "   "}}));
        return reply(R"({"questions":["Can `add` overflow?","Which types does `add` take?"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[0].question, k_three_pairs[0].first);
  EXPECT_EQ((*pairs)[0].answer, k_three_pairs[0].second);
  EXPECT_EQ((*pairs)[1].answer, "Answer to: Can `add` overflow?");
  EXPECT_EQ((*pairs)[2].question, "Which types does `add` take?");
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_TRUE(asked[1].json_schema->at("properties").contains("questions"));
  EXPECT_EQ((*asked[1].json_schema)["properties"]["questions"]["maxItems"], 2);
  EXPECT_THAT(asked[1].messages.back().content, HasSubstr("- What does `add` return?"));
  EXPECT_EQ(asked[1].messages.front().content, asked[0].messages.front().content);
  EXPECT_EQ(asked[1].prefix_key, asked[0].prefix_key);
  EXPECT_EQ(backend.answer_calls(), 2);
}

// A reply cut at its budget or stopped in a loop keeps its complete pairs.
TEST(GenerateUnit, PairsModeKeepsTheCompletePairsOfACutReply) {
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest&, int n) {
        if (n == 0) {
          std::string text = pairs_json(k_three_pairs);
          return ended(text.substr(0, text.find("Which types")), llm::FinishReason::loop);
        }
        return reply(R"({"questions":["Which types does `add` take?"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[1].answer, k_three_pairs[1].second);
  EXPECT_EQ((*pairs)[2].answer, "Answer to: Which types does `add` take?");
  EXPECT_EQ(backend.question_calls(), 2);
  EXPECT_EQ(backend.answer_calls(), 1);
}

// A pairs reply cut inside an answer (its budget spent, or stopped in a loop) keeps that pair's
// question: it is answered alone, as in two steps, and the missing questions are asked in one
// questions call — never a whole pairs reply again, which a model whose answers outgrow the
// pairs budget would cut again. The cut call's tokens count toward the pair it wrote.
TEST(GenerateUnit, PairsModeAnswersTheQuestionOfACutPairAloneAndAsksTheRestInTwoSteps) {
  std::vector<llm::GenerateRequest> asked;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int) {
        asked.push_back(r);
        if (r.json_schema->at("properties").contains("pairs")) {
          auto cut = ended(R"({"pairs":[{"question":"What does `add` return?","response":"It)",
                           llm::FinishReason::length);
          cut.completion_tokens = 500;
          return cut;
        }
        return reply(R"({"questions":["Can `add` overflow?"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(2), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].question, "What does `add` return?");
  EXPECT_EQ((*pairs)[0].answer, "Answer to: What does `add` return?");
  EXPECT_EQ((*pairs)[1].question, "Can `add` overflow?");
  EXPECT_EQ((*pairs)[1].answer, "Answer to: Can `add` overflow?");
  ASSERT_EQ(asked.size(), 2u);  // one pairs call, one questions call for the one missing
  EXPECT_TRUE(asked[1].json_schema->at("properties").contains("questions"));
  EXPECT_EQ((*asked[1].json_schema)["properties"]["questions"]["maxItems"], 1);
  EXPECT_THAT(asked[1].messages.back().content, HasSubstr("- What does `add` return?"));
  EXPECT_EQ(asked[1].prefix_key, asked[0].prefix_key);
  EXPECT_EQ(backend.answer_calls(), 2);
  EXPECT_GE((*pairs)[0].completion_tokens, 500);
}

// The questions a cut reply left are kept for the unit's next attempt, as each answer is.
TEST(GenerateUnit, PairsModeReportsTheQuestionOfACutPairBeforeItsAnswer) {
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest&, int) {
        std::string text = pairs_json(k_three_pairs);
        return ended(text.substr(0, text.find("Yes:")), llm::FinishReason::loop);
      },
      echo_answer);
  std::vector<std::vector<std::string>> reported;
  std::map<int, Pair> answers;
  std::vector<std::string> events;  // in order: "questions N", "answer I"
  std::mutex events_mutex;          // answers come from their own threads
  UnitHooks hooks;
  hooks.on_questions = [&](const std::vector<std::string>& q) {
    std::lock_guard lock(events_mutex);
    reported.push_back(q);
    events.push_back("questions " + std::to_string(q.size()));
  };
  hooks.on_answer = [&](int i, const Pair& p) {
    std::lock_guard lock(events_mutex);
    answers[i] = p;
    events.push_back("answer " + std::to_string(i));
  };
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(2), {}, {}, hooks);
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].answer, k_three_pairs[0].second);
  EXPECT_EQ((*pairs)[1].answer, "Answer to: " + k_three_pairs[1].first);
  ASSERT_FALSE(reported.empty());
  EXPECT_EQ(reported.back(),
            (std::vector<std::string>{k_three_pairs[0].first, k_three_pairs[1].first}));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1].question, k_three_pairs[1].first);
  // Both questions are kept before the cut one's answer comes, so a crash in between resumes with
  // them (the resume path is PairsModeResumesWithTheKnownQuestions).
  EXPECT_EQ(events, (std::vector<std::string>{"questions 2", "answer 0", "answer 1"}));
  EXPECT_EQ(backend.question_calls(), 1);
  EXPECT_EQ(backend.answer_calls(), 1);
}

// A model that writes no usable pair in every pairs call it is given (not even a question before
// its answer is cut) gets the unit in two steps: its questions, then an answer each.
TEST(GenerateUnit, PairsModeWithoutOneUsablePairAsksInTwoSteps) {
  std::vector<llm::GenerateRequest> asked;
  ScriptedFakeBackend backend(
      [&](const llm::GenerateRequest& r, int) {
        asked.push_back(r);
        if (r.json_schema->at("properties").contains("pairs"))
          return ended(R"({"pairs":[{"question":"What does `add` ret)", llm::FinishReason::length);
        return reply(R"({"questions":["What does `add` return?","Can `add` overflow?"]})");
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(2), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].question, "What does `add` return?");
  EXPECT_EQ((*pairs)[0].answer, "Answer to: What does `add` return?");
  ASSERT_EQ(asked.size(), 4u);  // max_attempts pairs calls, then one questions call
  EXPECT_TRUE(asked[3].json_schema->at("properties").contains("questions"));
  EXPECT_EQ(asked[3].prefix_key, asked[0].prefix_key);
  EXPECT_EQ(backend.answer_calls(), 2);
}

// Neither way gives a usable question: the unit has nothing worth storing, and no failure.
TEST(GenerateUnit, PairsModeWithoutOneUsablePairHasNoPairsAndIsNoFailure) {
  ScriptedFakeBackend backend(
      [](const auto&, int) {
        return reply(pairs_json({{"What does the code do?", "Adds."}}));
      },
      echo_answer);
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(), {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_TRUE(pairs->empty());
  EXPECT_EQ(backend.question_calls(), 6);  // max_attempts pairs calls, then questions calls
  EXPECT_EQ(backend.answer_calls(), 0);
}

TEST(GenerateUnit, PairsModeReportsThePairsAsTheyAreKeptAndEndsOnAPermanentError) {
  ScriptedFakeBackend backend(
      [](const auto&, int n) {
        if (n == 0)
          return Result<llm::GenerateResult>(reply(pairs_json({k_three_pairs[0]})));
        return Result<llm::GenerateResult>(fail(ErrorKind::rejected, "refused"));
      },
      [](const auto&, int) -> Result<llm::GenerateResult> {
        return fail(ErrorKind::rejected, "refused");
      });
  std::vector<std::string> questions;
  std::map<int, Pair> answers;
  UnitHooks hooks;
  hooks.on_questions = [&](const std::vector<std::string>& q) { questions = q; };
  hooks.on_answer = [&](int i, const Pair& p) { answers[i] = p; };
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(), {}, {}, hooks);
  ASSERT_FALSE(pairs);
  EXPECT_EQ(pairs.error().kind, ErrorKind::rejected);
  // What the first call wrote is kept for the unit's next attempt.
  EXPECT_EQ(questions, (std::vector<std::string>{k_three_pairs[0].first}));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].answer, k_three_pairs[0].second);
}

// Resumed (a crash after some pairs were stored): the unit keeps what it has and asks for the
// missing answers one by one; it never writes its questions anew.
TEST(GenerateUnit, PairsModeResumesWithTheKnownQuestions) {
  ScriptedFakeBackend backend([](const auto&, int) { return reply(pairs_json(k_three_pairs)); },
                              echo_answer);
  UnitProgress known;
  for (const auto& [q, a] : k_three_pairs)
    known.questions.push_back(q);
  known.answers[0] = Pair{k_three_pairs[0].first, k_three_pairs[0].second, 1, 0, 1, false, {}};
  auto pairs = generate_unit(backend, builtin_prompts(), unit(), pairs_options(), {}, known);
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[0].answer, k_three_pairs[0].second);
  EXPECT_EQ((*pairs)[1].answer, "Answer to: " + k_three_pairs[1].first);
  EXPECT_EQ(backend.question_calls(), 0);
  EXPECT_EQ(backend.answer_calls(), 2);
}

// The embedded engine on the tiny model, one thread, `sequences` decoded together.
std::unique_ptr<llm::Backend> tiny_engine(int sequences) {
  llm::llama::EngineOptions eo;
  eo.model = test::tiny_model_path();
  eo.context_window = 2048;
  eo.max_sequences = sequences;
  eo.threads = 1;
  return llm::llama::make_llama_backend(eo);
}

TEST(GenerateUnit, TheTinyModelWritesSchemaValidPairsInOneCall) {
  if (test::tiny_model_path().empty())
    GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
  auto backend = tiny_engine(1);
  UnitOptions o = pairs_options(2);
  o.max_tokens = 120;
  o.max_attempts = 1;
  o.temperature = 0;
  auto pairs = generate_unit(*backend, builtin_prompts(), unit(), o, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_FALSE(pairs->empty()) << "the tiny model wrote no usable pair about add.c";
  for (const auto& p : *pairs) {
    EXPECT_TRUE(usable_question(p.question, unit().code, builtin_prompts().pairs)) << p.question;
    EXPECT_FALSE(p.answer.empty());
    EXPECT_GT(p.completion_tokens, 0);
  }
}

TEST(GenerateUnit, TheTinyModelWritesPairsAndAnswersReuseTheCodesPrefix) {
  if (test::tiny_model_path().empty())
    GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
  auto backend = tiny_engine(2);
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
