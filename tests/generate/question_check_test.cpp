// What makes a stored question usable: one specific, well-formed question about its code.
#include "generate/question_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace g2d::generate {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view k_code =
    "export function compileTrust(val) {\n"
    "  if (typeof val === 'function') return val;\n"
    "  return val === true ? trustAll : trustNone; // a ? b : c\n"
    "}\n"
    "int add(int a, int b) { return a + b; }\n";

std::string usable(std::string_view raw, std::string_view prompt = "") {
  auto q = usable_question(raw, k_code, prompt);
  return q ? *q : "ERROR: " + q.error().message;
}

TEST(QuestionCheck, AWellFormedQuestionNamingItsCodeIsKeptAsWritten) {
  EXPECT_EQ(usable("What does `compileTrust` return when `val` is already a function?"),
            "What does `compileTrust` return when `val` is already a function?");
  // A plain word that is a name in the code counts as naming it.
  EXPECT_EQ(usable("Can add overflow for large inputs?"), "Can add overflow for large inputs?");
}

TEST(QuestionCheck, ListMarkersNumberingAndWrappingQuotesAreStripped) {
  EXPECT_EQ(usable("1. What does `add` return?"), "What does `add` return?");
  EXPECT_EQ(usable("  2) Why does `compileTrust` accept `true`?"),
            "Why does `compileTrust` accept `true`?");
  EXPECT_EQ(usable("- **What does `add` return?**"), "What does `add` return?");
  EXPECT_EQ(usable("Q3: What does `add` return?"), "What does `add` return?");
  EXPECT_EQ(usable("Question 4: What does `add` return?"), "What does `add` return?");
  EXPECT_EQ(usable("\"What does `add` return?\""), "What does `add` return?");
}

TEST(QuestionCheck, TextThatIsNotAQuestionIsRefusedWithItsReason) {
  EXPECT_THAT(usable("2. Why it is written this way"), HasSubstr("not a question"));
  EXPECT_THAT(usable("How does the `compileTrust`\xE7\xB1\xBB"), HasSubstr("not a question"));
  EXPECT_THAT(usable("?"), HasSubstr("too short"));
}

TEST(QuestionCheck, AQuestionNamingNothingInItsCodeIsRefused) {
  EXPECT_THAT(usable("What does the code do?"), HasSubstr("names nothing in its code"));
  EXPECT_THAT(usable("Why is it written this way?"), HasSubstr("names nothing in its code"));
  EXPECT_THAT(usable("What does `parseConfig` return?"), HasSubstr("names nothing in its code"));
}

// A question about a file that is neither its unit's file nor named in its code asks about code
// the model did not see ("What does the `file` function in `src/file.c` do?" of validation.c).
TEST(QuestionCheck, AQuestionNamingAFileItsCodeDoesNotIsRefused) {
  auto check = [](std::string_view q, std::string_view path) {
    auto r = usable_question(q, "#include \"util.h\"\nint add(int a, int b) { return a + b; }\n",
                             "", path);
    return r ? *r : "ERROR: " + r.error().message;
  };
  EXPECT_THAT(check("What does the `add` function in `src/file.c` do?", "src/validation.c"),
              HasSubstr("names a file its code does not: src/file.c"));
  EXPECT_THAT(check("How does add in other.py handle overflow?", "src/m.c"),
              HasSubstr("names a file its code does not: other.py"));
  // Its own file, by name or path, and a file its code names are fine; so are dotted names.
  EXPECT_EQ(check("What does `add` in validation.c return?", "src/validation.c"),
            "What does `add` in validation.c return?");
  EXPECT_EQ(check("What does `add` in `src/validation.c` return?", "src/validation.c"),
            "What does `add` in `src/validation.c` return?");
  EXPECT_EQ(check("Which functions of `util.h` does `add` use?", "src/m.c"),
            "Which functions of `util.h` does `add` use?");
  EXPECT_EQ(check("Is `add` exported through `module.exports`?", "src/m.c"),
            "Is `add` exported through `module.exports`?");
  EXPECT_EQ(check("Does `add` use `Math.hypot`?", "src/m.c"), "Does `add` use `Math.hypot`?");
}

TEST(QuestionCheck, OnlyTheFirstQuestionIsKeptAndAnEmbeddedAnswerIsDropped) {
  EXPECT_EQ(usable("What does `compileTrust` do? It takes a boolean and returns a function."),
            "What does `compileTrust` do?");
  EXPECT_EQ(usable("What does `add` do? Why is it written this way? How is it tested?"),
            "What does `add` do?");
  // A '?' inside a code span is code, not the end of the question.
  EXPECT_EQ(usable("When does `val === true ? trustAll : trustNone` give `trustNone`?"),
            "When does `val === true ? trustAll : trustNone` give `trustNone`?");
}

// Two questions joined into one sentence ask two things: the answer to one of them is short.
TEST(QuestionCheck, TwoQuestionsJoinedByAndAreRefused) {
  EXPECT_THAT(usable("What is the purpose of the `add` function, and is it a member function?"),
              HasSubstr("two questions in one"));
  EXPECT_THAT(usable("What does `compileTrust` return and why does it accept `true`?"),
              HasSubstr("two questions in one"));
  EXPECT_THAT(usable("What does `add` do, and how is it used?"), HasSubstr("two questions in one"));
  EXPECT_THAT(usable("What is `add` for, and is`compileTrust` a function?"),
              HasSubstr("two questions in one"));
  // The question word may be followed by punctuation (the quick start stored this one).
  EXPECT_THAT(usable("What is the SHA256 function in `sha256.cpp`, and what,`return`, does it "
                     "return when it is called?"),
              HasSubstr("two questions in one"));
  EXPECT_EQ(usable("What does `add` return for `a` and whatever `b` holds?"),
            "What does `add` return for `a` and whatever `b` holds?");
  // "and" inside one question, or inside code, is no second question.
  EXPECT_EQ(usable("What does `add` return for `a` and `b` both negative?"),
            "What does `add` return for `a` and `b` both negative?");
  EXPECT_EQ(usable("Why does `compileTrust` compare `val` with `true` and return `trustAll`?"),
            "Why does `compileTrust` compare `val` with `true` and return `trustAll`?");
  EXPECT_EQ(usable("What does `a, and why` mean in `add`?"),
            "What does `a, and why` mean in `add`?");
}

// A question the grammar's length cap (or the model) ended mid-sentence: its last word cannot end
// a question. Prepositions can ("What does `add` depend on?"), articles and joiners cannot.
TEST(QuestionCheck, AQuestionThatStopsMidSentenceIsRefused) {
  EXPECT_THAT(
      usable("What happens if `add` is called with a string that is not a number or a non-?"),
      HasSubstr("stops mid-sentence"));
  EXPECT_THAT(usable("What does the `add` function return when?"), HasSubstr("stops mid-sentence"));
  EXPECT_THAT(usable("How does `add` handle a value of the?"), HasSubstr("stops mid-sentence"));
  EXPECT_THAT(usable("Does `add` check `a` and?"), HasSubstr("stops mid-sentence"));
  EXPECT_EQ(usable("What does `add` depend on?"), "What does `add` depend on?");
  EXPECT_EQ(usable("What is `add` used for?"), "What is `add` used for?");
  EXPECT_EQ(usable("Does `add` take `B` or A?"), "Does `add` take `B` or A?");  // a name
  EXPECT_EQ(usable("Which value does `add` return when `a` is `-1`?"),
            "Which value does `add` return when `a` is `-1`?");
}

TEST(QuestionCheck, AnOverlongQuestionIsRefused) {
  std::string longest = "Why does `add` " + std::string(300, 'x') + "?";
  EXPECT_THAT(usable(longest), HasSubstr("too long"));
}

TEST(QuestionCheck, AnEchoOfThePromptsOwnWordingIsRefused) {
  std::string_view prompt =
      "Write questions: what it does, why it is written this way, how its parts interact.";
  EXPECT_THAT(usable("Why is `add` written this way, and why it is written this way?", prompt),
              HasSubstr("the prompt's own words"));
  EXPECT_EQ(usable("Why is `add` written with `int` arguments?", prompt),
            "Why is `add` written with `int` arguments?");
}

TEST(QuestionCheck, CandidatesComeFromJsonACutReplyOrAList) {
  EXPECT_EQ(candidate_questions(R"({"questions": ["A?", "B?"]})"),
            (std::vector<std::string>{"A?", "B?"}));
  // Cut at the token limit: the complete strings are kept.
  EXPECT_EQ(candidate_questions(R"({"questions": ["A \"x\"?", "B?", "C is cu)"),
            (std::vector<std::string>{"A \"x\"?", "B?"}));
  EXPECT_EQ(candidate_questions("Here:\n1. What is A?\n2. What is B?\nThanks"),
            (std::vector<std::string>{"What is A?", "What is B?"}));
  EXPECT_TRUE(candidate_questions("no questions here").empty());
}

// Servers that do not enforce the schema (mlx_lm.server): models wrap the JSON in prose or a fence.
TEST(QuestionCheck, CandidatesComeFromJsonInsideProseOrAFence) {
  for (std::string_view reply :
       {"Here you are:\n```json\n{\"questions\": [\"Why does `add` exist?\", \"How to call "
        "`add`?\"]}\n```\n",
        "Sure! {\"questions\": [\"Why does `add` exist?\", \"How to call `add`?\"]} Hope it "
        "helps."})
    EXPECT_EQ(candidate_questions(reply),
              (std::vector<std::string>{"Why does `add` exist?", "How to call `add`?"}))
        << reply;
}

TEST(QuestionCheck, AListWrittenOnOneLineOfProseGivesOneCandidatePerItem) {
  EXPECT_EQ(candidate_questions("Here are two questions: 1. What does add do? 2. Can it overflow?"),
            (std::vector<std::string>{"What does add do?", "Can it overflow?"}));
  EXPECT_EQ(candidate_questions("Is `a ? b : c` safe? Why is `n` 2?"),
            (std::vector<std::string>{"Is `a ? b : c` safe?", "Why is `n` 2?"}));
}

TEST(QuestionCheck, AShortNameInACodeSpanNamesItsCode) {
  constexpr std::string_view code = "int f0(int x) { return x; }";
  auto short_name = usable_question("What does `f0` compute?", code, "");
  ASSERT_TRUE(short_name) << short_name.error().message;
  EXPECT_EQ(*short_name, "What does `f0` compute?");
  auto unknown = usable_question("What does `g1` compute?", code, "");
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message, HasSubstr("names nothing"));
}

// Pairs mode: the pairs of a {"pairs": [{"question", "response"}]} reply, in order; when the reply
// was cut, or wraps the JSON in prose or a fence (a server that does not enforce the schema), the
// complete pairs; "answer" is read as "response" (models that write without the grammar).
TEST(QuestionCheck, CandidatePairsComeFromJsonACutReplyOrProse) {
  using Pairs = std::vector<CandidatePair>;
  EXPECT_EQ(candidate_pairs(R"({"pairs": [{"question": "A?", "response": "a"},
                                          {"question": "B?", "response": "b \"q\" {x}"}]})"),
            (Pairs{{"A?", "a"}, {"B?", "b \"q\" {x}"}}));
  EXPECT_EQ(candidate_pairs(R"({"pairs": [{"question": "A?", "response": "a }"}, {"question": "B?",
                                          "response": "cut he)"),
            (Pairs{{"A?", "a }"}}));
  EXPECT_EQ(candidate_pairs("Sure:\n```json\n{\"pairs\": [{\"question\": \"A?\", \"answer\": "
                            "\"a\"}]}\n```\n"),
            (Pairs{{"A?", "a"}}));
  // An object without both strings is no pair; the others are kept.
  EXPECT_EQ(candidate_pairs(R"({"pairs": [{"question": "A?"}, {"question": "B?", "response": "b"},
                                          {"question": 3, "response": "c"}]})"),
            (Pairs{{"B?", "b"}}));
  EXPECT_TRUE(candidate_pairs("no pairs here").empty());
  EXPECT_TRUE(candidate_pairs(R"({"questions": ["A?"]})").empty());
}

// A reply cut inside a pair's answer (its budget spent, or stopped in a loop) still holds that
// pair's question: it can be answered alone instead of written again.
TEST(QuestionCheck, TheQuestionOfThePairAReplyWasCutInsideIsFound) {
  EXPECT_EQ(
      cut_question(R"({"pairs": [{"question": "A?", "response": "a }"}, {"question": "B \"x\"?",
                                          "response": "cut he)"),
      "B \"x\"?");
  EXPECT_EQ(cut_question(R"({"pairs": [{"question": "A?", "respo)"), "A?");
  EXPECT_EQ(cut_question(R"({"pairs": [{"question": "A?", "answer": "a, b)"), "A?");
  EXPECT_EQ(cut_question(R"({"pairs": [{"question": "A?", "response": "a"}, {"question": "B)"),
            std::nullopt);
  EXPECT_EQ(cut_question(R"({"pairs": [{"question": "A?", "response": "a"}]})"), std::nullopt);
  EXPECT_EQ(cut_question(R"({"pairs": [{"question": "A?", "response": "a"}, )"), std::nullopt);
  EXPECT_EQ(cut_question(R"({"pairs": [{"response": "a", "question": "A?")"), std::nullopt);
  EXPECT_EQ(cut_question("no pairs here"), std::nullopt);
}

}  // namespace
}  // namespace g2d::generate
