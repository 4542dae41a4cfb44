// The prompt templates, their stable-first layout, overrides and the questions' schema.
#include "generate/prompts.hpp"

#include <algorithm>
#include <sstream>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/text.hpp"
#include "llm/json_schema.hpp"
#include "support.hpp"

namespace g2d::generate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

CodeUnit unit(std::string code = "int add(int a, int b) { return a + b; }\n") {
  return {"github.com/o/r/src/add.c", "c", 3, 5, "", std::move(code)};
}

// The built-in set with an answer prompt that quotes the definition ({{excerpt}}), as a
// prompts_dir may have it.
PromptSet quoting_prompts() {
  PromptSet p = builtin_prompts();
  p.answer =
      "Answer from the code above in one to three sentences.\n{{excerpt}}\nQuestion: "
      "{{question}}\n";
  return p;
}

TEST(Prompts, BuiltinSetIsVersionedAndComplete) {
  PromptSet p = builtin_prompts();
  EXPECT_EQ(p.version, "builtin-6");
  for (const std::string* text : {&p.system, &p.code, &p.questions, &p.answer, &p.pairs})
    EXPECT_FALSE(text->empty());
  EXPECT_THAT(p.code, HasSubstr("{{code}}"));
  EXPECT_THAT(p.questions, HasSubstr("{{count}}"));
  EXPECT_THAT(p.answer, HasSubstr("{{question}}"));
  EXPECT_THAT(p.pairs, HasSubstr("{{count}}"));
}

// The questions prompt asks for varied questions in prose, never as a list the model could copy
// into its reply (a list of topics became the questions, issue 17); the answer prompt says how
// long an answer should be, so that a normal answer fits its budget.
TEST(Prompts, TheTasksAskForVariedQuestionsAndSayHowLongAnAnswerIs) {
  PromptSet p = builtin_prompts();
  EXPECT_THAT(p.questions, HasSubstr("vary the kind of question"));
  std::istringstream lines(p.questions);
  for (std::string line; std::getline(lines, line);) {
    std::string_view t = trim(line);
    EXPECT_FALSE(t.starts_with("- ") || t.starts_with("* ") ||
                 (!t.empty() && t[0] >= '0' && t[0] <= '9'))
        << "a list line in questions.txt: " << line;
  }
  EXPECT_THAT(p.answer, HasSubstr("one to\nthree sentences"));
}

TEST(Prompts, QuestionAndAnswerCallsShareTheirPrefix) {
  PromptSet p = builtin_prompts();
  auto q = question_messages(p, unit(), 5);
  auto a1 = answer_messages(p, unit(), "What does add return?");
  auto a2 = answer_messages(p, unit(), "Can add overflow?");
  ASSERT_EQ(q.size(), 2u);
  ASSERT_EQ(a1.size(), 2u);
  EXPECT_EQ(q[0].role, llm::Role::system);
  EXPECT_EQ(q[1].role, llm::Role::user);
  EXPECT_EQ(q[0].content, a1[0].content);
  // Everything up to the task is identical: the code is evaluated once per file.
  std::string code_part = q[1].content.substr(0, q[1].content.find("Write 5 questions"));
  EXPECT_THAT(code_part, HasSubstr("int add(int a, int b)"));
  EXPECT_THAT(code_part, HasSubstr("github.com/o/r/src/add.c"));
  EXPECT_THAT(code_part, HasSubstr("lines 3-5"));
  EXPECT_THAT(a1[1].content, StartsWith(code_part));
  EXPECT_THAT(a2[1].content, StartsWith(code_part));
  EXPECT_THAT(q[1].content, HasSubstr("Write 5 questions"));
  // A further call lists the questions the unit has, after the same prefix.
  auto again = question_messages(p, unit(), 1, {"What does add return?"});
  EXPECT_THAT(again[1].content, StartsWith(code_part));
  EXPECT_THAT(again[1].content, HasSubstr("Write 1 questions"));
  EXPECT_THAT(again[1].content, HasSubstr("- What does add return?"));
  EXPECT_THAT(a1[1].content, HasSubstr("Question: What does add return?"));
}

// The built-in answer prompt quotes nothing under the question: a paired blind reading found its
// answers as good without the quote (docs/benchmarks.md), and the quote cost a fifth of two-step
// mode's prompt tokens.
TEST(Prompts, TheBuiltInAnswerCallQuotesNoDefinition) {
  PromptSet p = builtin_prompts();
  EXPECT_FALSE(quotes_definitions(p));
  CodeUnit u{"src/m.c", "c", 10, 14, "", "int a;\nint add(int x, int y) {\n  return x + y;\n}\n"};
  std::string content = answer_messages(p, u, "What does `add` return?")[1].content;
  EXPECT_EQ(content.find("int add(int x, int y) {"), content.rfind("int add(int x, int y) {"));
  EXPECT_THAT(content, HasSubstr("sentences.\nQuestion: What does `add` return?"));
}

// The definition the question names is quoted again under it, with its lines in the file; a
// question naming nothing the unit defines gets the prompt as before.
TEST(Prompts, AnAnswerCallQuotesTheDefinitionItsQuestionNames) {
  PromptSet p = quoting_prompts();
  EXPECT_TRUE(quotes_definitions(p));
  CodeUnit u{
      "src/m.c",
      "c",
      10,
      14,
      "",
      "int a;\nint add(int x, int y) {\n  return x + y;\n}\nint neg(int x) { return -x; }\n"};
  auto a = answer_messages(p, u, "What does `add` return?");
  EXPECT_THAT(a[1].content,
              HasSubstr("(lines 11-13):\n\n```c\nint add(int x, int y) {\n  return x + y;\n}\n```"
                        "\n\nQuestion: What does `add` return?"));
  // The prefix is the questions call's: the excerpt comes after the code and the task's start.
  auto q = question_messages(p, u, 3);
  std::string code_part = q[1].content.substr(0, q[1].content.find("Write 3 questions"));
  EXPECT_THAT(a[1].content, StartsWith(code_part));
  for (const auto& plain : {answer_messages(p, u, "What does `printf` do?"),
                            answer_messages(p, u, "What does `add` return?", false)}) {
    EXPECT_THAT(plain[1].content, Not(HasSubstr("```c\nint add")));
    EXPECT_THAT(plain[1].content, HasSubstr("sentences.\n\nQuestion: What does `"));
  }
}

// A long definition is quoted in fewer lines until it fits k_excerpt_bytes and the tokens kept
// for it; one whose shortest excerpt is still too long, or a table of digits, is not quoted.
TEST(Prompts, AnExcerptIsShortenedToFitItsRoomOrLeftOut) {
  auto body = [](int lines, int width, char fill) {
    std::string code = "int before;\nvoid f(void) {\n";
    for (int i = 0; i < lines; ++i)
      code += "  x(\"" + std::string(static_cast<size_t>(width), fill) + "\");\n";
    return code + "}\nint after;\n";
  };
  PromptSet p = quoting_prompts();
  auto quoted = [&](const std::string& code) {
    CodeUnit u{"m.c", "c", 1, 40, "", code};
    std::string content = answer_messages(p, u, "What does `f` do?")[1].content;
    auto open = content.find("```c\nvoid f");
    if (open == std::string::npos)
      return -1;
    auto close = content.find("\n```", open + 4);
    std::string_view text(content.data() + open, close - open);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  };
  EXPECT_EQ(quoted(body(10, 20, 'a')), 12);   // all of it: 12 lines
  EXPECT_EQ(quoted(body(30, 40, 'a')), 16);   // 24 lines are over 1 KiB; 16 are not
  EXPECT_EQ(quoted(body(30, 110, 'a')), 8);   // only 8 fit
  EXPECT_EQ(quoted(body(30, 200, 'a')), -1);  // not even 8
  EXPECT_EQ(quoted(body(30, 40, '7')), 8);    // digits, a token each: 16 lines are too many
  EXPECT_EQ(quoted(body(30, 80, '7')), -1);
}

TEST(Prompts, InsertedTextIsNeverScannedForPlaceholders) {
  PromptSet p = builtin_prompts();
  auto a = answer_messages(p, unit("puts(\"{{question}} {{count}}\");\n"), "Why {{code}}?");
  EXPECT_THAT(a[1].content, HasSubstr("puts(\"{{question}} {{count}}\");"));
  EXPECT_THAT(a[1].content, HasSubstr("Question: Why {{code}}?"));
}

TEST(Prompts, TheScopeOfAChunkIsShown) {
  CodeUnit u = unit();
  u.scope = "struct Parser";
  auto q = question_messages(builtin_prompts(), u, 1);
  EXPECT_THAT(q[1].content, HasSubstr("struct Parser"));
}

TEST(Prompts, AFolderOverridesSomeFilesAndChangesTheVersion) {
  test::TempDir dir;
  test::write_file(dir / "system.txt", "You are terse.\n");
  auto loaded = load_prompts(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().describe();
  EXPECT_EQ(loaded->system, "You are terse.\n");
  EXPECT_EQ(loaded->answer, builtin_prompts().answer);
  EXPECT_THAT(loaded->version, StartsWith("custom-"));
  EXPECT_EQ(loaded->version.size(), std::string("custom-").size() + 12);
  test::write_file(dir / "system.txt", "You are verbose.\n");
  auto again = load_prompts(dir.path());
  ASSERT_TRUE(again);
  EXPECT_NE(again->version, loaded->version);
}

TEST(Prompts, BadOverridesAreNamed) {
  test::TempDir dir;
  auto missing = load_prompts(dir / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  test::write_file(dir / "answer.txt", "Answer {{questoin}}\n");
  auto typo = load_prompts(dir.path());
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().kind, ErrorKind::config);
  EXPECT_THAT(typo.error().message, HasSubstr("answer.txt"));
  EXPECT_THAT(typo.error().message, HasSubstr("{{questoin}}"));
  test::write_file(dir / "answer.txt", "");
  auto empty = load_prompts(dir.path());
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("answer.txt"));
}

TEST(Prompts, AnOversizedOrSpecialFileIsRefusedWithItsName) {
  test::TempDir dir;
  test::write_file(dir / "system.txt", std::string(k_max_prompt_bytes + 1, 'x'));
  auto big = load_prompts(dir.path());
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::config);
  EXPECT_THAT(big.error().message, HasSubstr("system.txt: the prompt template is larger than the "
                                             "256 KiB allowed"));
  std::filesystem::remove(dir / "system.txt");
  ASSERT_EQ(::mkfifo((dir / "code.txt").c_str(), 0600), 0);
  auto fifo = load_prompts(dir.path());  // must not wait for a writer
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().kind, ErrorKind::io);
  EXPECT_THAT(fifo.error().message, HasSubstr("code.txt: is a FIFO (named pipe), not a prompt"));
}

TEST(Prompts, QuestionsSchemaDemandsExactlyNQuestions) {
  auto schema = questions_schema(3);
  EXPECT_TRUE(llm::json_schema_to_gbnf(schema).has_value());
  nlohmann::json three = {{"questions", {"What is `a`?", "What is `b`?", "What is `c`?"}}};
  nlohmann::json two = {{"questions", {"What is `a`?", "What is `b`?"}}};
  EXPECT_TRUE(llm::validate_json(three, schema).empty());
  EXPECT_FALSE(llm::validate_json(two, schema).empty());
}

// The grammar shapes each question as far as a pattern can: a capital letter first, one name in
// backticks, one '?' at the end — no list number, no topic without a question, no second question.
TEST(Prompts, QuestionsSchemaShapesEachQuestion) {
  auto schema = questions_schema(1);
  auto valid = [&](const std::string& q) {
    return llm::validate_json(nlohmann::json{{"questions", {q}}}, schema).empty();
  };
  EXPECT_TRUE(valid("What does `add` return when `a` is negative?"));
  EXPECT_TRUE(valid("Why is `Parser::next_token` called twice?"));
  EXPECT_FALSE(valid("1.0.0.0"));
  EXPECT_FALSE(valid("2. Why is `add` written this way?"));
  EXPECT_FALSE(valid("What does the code do?"));                    // names nothing
  EXPECT_FALSE(valid("What does `add` do? It adds `a` and `b`."));  // an embedded answer
  EXPECT_FALSE(valid("What does `add` do? Why?"));                  // two questions
  EXPECT_FALSE(valid("Why is `add` written this way"));             // no question mark
}

// Pairs mode: one call writes question and answer together. The grammar writes an object's
// properties in key order, so the keys sort in the order the model must write them: the question
// ("question"), then its answer ("response").
TEST(Prompts, PairsSchemaDemandsExactlyNPairsEachAQuestionBeforeItsAnswer) {
  auto schema = pairs_schema(2);
  auto grammar = llm::json_schema_to_gbnf(schema);
  ASSERT_TRUE(grammar.has_value()) << grammar.error().describe();
  EXPECT_LT(grammar->find("question"), grammar->find("response"));
  auto pair = [](std::string q, std::string a) {
    return nlohmann::json{{"question", std::move(q)}, {"response", std::move(a)}};
  };
  nlohmann::json two = {{"pairs",
                         {pair("What does `add` return?", "The sum of `a` and `b`."),
                          pair("Can `add` overflow?", "Yes: `int` addition overflows.")}}};
  EXPECT_TRUE(llm::validate_json(two, schema).empty());
  nlohmann::json one = {{"pairs", {pair("What does `add` return?", "The sum.")}}};
  EXPECT_FALSE(llm::validate_json(one, schema).empty());
  nlohmann::json no_question = {
      {"pairs", {pair("What does the code do?", "It adds."), pair("Can `add` overflow?", "Yes.")}}};
  EXPECT_FALSE(llm::validate_json(no_question, schema).empty());
  nlohmann::json empty_answer = {
      {"pairs", {pair("What does `add` return?", ""), pair("Can `add` overflow?", "Yes.")}}};
  EXPECT_FALSE(llm::validate_json(empty_answer, schema).empty());
}

// A pairs call is budgeted for its questions at their longest and each answer at the answers'
// budget, so a reply that follows the prompt is never cut.
TEST(Prompts, ThePairsBudgetHoldsEveryQuestionAndAnswer) {
  EXPECT_GE(pairs_budget(3, 256), questions_budget(3) + 3 * 256);
  EXPECT_LT(pairs_budget(3, 256), questions_budget(3) + 3 * 256 + 64);
  EXPECT_GT(pairs_budget(3, 512), pairs_budget(3, 256));
}

TEST(Prompts, PairsCallsShareTheUnitsPrefixAndListWhatIsWritten) {
  PromptSet p = builtin_prompts();
  auto q = question_messages(p, unit(), 5);
  auto first = pair_messages(p, unit(), 3);
  auto again = pair_messages(p, unit(), 1, {"What does `add` return?"});
  std::string code_part = q[1].content.substr(0, q[1].content.find("Write 5 questions"));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].content, q[0].content);
  EXPECT_THAT(first[1].content, StartsWith(code_part));
  EXPECT_THAT(first[1].content, HasSubstr("Write 3 questions"));
  EXPECT_THAT(first[1].content, HasSubstr("\"response\""));
  EXPECT_THAT(again[1].content, StartsWith(code_part));
  EXPECT_THAT(again[1].content, HasSubstr("- What does `add` return?"));
}

// The mode is part of what the prompts' version says: two-step keeps the set's own version (a
// database written before pairs mode existed stays current); pairs mode adds the pairs prompt's
// hash, so editing pairs.txt regenerates the files written in pairs mode only.
TEST(Prompts, PairsModeHasItsOwnVersionThatItsPromptDecides) {
  PromptSet p = builtin_prompts();
  EXPECT_EQ(prompts_version(p, GenerationMode::two_step), "builtin-6");
  std::string pairs = prompts_version(p, GenerationMode::pairs);
  EXPECT_THAT(pairs, StartsWith("builtin-6+pairs-"));
  test::TempDir dir;
  test::write_file(dir / "pairs.txt", "Write {{count}} pairs.\n");
  auto loaded = load_prompts(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().describe();
  EXPECT_EQ(loaded->pairs, "Write {{count}} pairs.\n");
  EXPECT_EQ(prompts_version(*loaded, GenerationMode::two_step), "builtin-6");
  EXPECT_NE(prompts_version(*loaded, GenerationMode::pairs), pairs);
  test::write_file(dir / "pairs.txt", "Write {{count}} {{question}}.\n");
  auto bad = load_prompts(dir.path());
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("pairs.txt"));
}

}  // namespace
}  // namespace g2d::generate
