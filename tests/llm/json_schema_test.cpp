// JSON Schema subset: the validator, the GBNF converter, and the converter's grammars checked by
// llama.cpp itself (its parser, token-by-token acceptance, and greedy generation with the real
// tiny model).
#include "llm/json_schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <llama-cpp.h>
#include <llama.h>

#include "support.hpp"

namespace g2d::llm {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json questions_schema(int n) {
  return {{"type", "object"},
          {"properties",
           {{"questions",
             {{"type", "array"},
              {"items", {{"type", "string"}, {"minLength", 10}, {"maxLength", 200}}},
              {"minItems", n},
              {"maxItems", n}}}}},
          {"required", {"questions"}},
          {"additionalProperties", false}};
}

json object_of(json properties, json required, bool closed = true) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", !closed}};
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

std::string all(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems)
    out += p + "\n";
  return out;
}

// ---- validator ----

TEST(JsonSchemaValidate, AcceptsAValidDocument) {
  json doc = {{"questions", {"What does max_int return?", "Why start from values[0]?"}}};
  EXPECT_TRUE(validate_json(doc, questions_schema(2)).empty())
      << all(validate_json(doc, questions_schema(2)));
}

TEST(JsonSchemaValidate, WrongTypeNamesThePath) {
  json doc = {{"questions", {"What does max_int return?", 3}}};
  auto problems = validate_json(doc, questions_schema(2));
  ASSERT_EQ(problems.size(), 1U) << all(problems);
  EXPECT_EQ(problems[0], "/questions/1: expected string, got integer");
  EXPECT_EQ(validate_json(json::array(), questions_schema(1)),
            std::vector<std::string>{"(root): expected object, got array"});
}

TEST(JsonSchemaValidate, ItemCounts) {
  json few = {{"questions", {"What does max_int return?"}}};
  EXPECT_EQ(validate_json(few, questions_schema(2)),
            std::vector<std::string>{"/questions: expected at least 2 items, got 1"});
  json many = {{"questions", {"What does max_int return?", "Why start from values[0]?"}}};
  EXPECT_EQ(validate_json(many, questions_schema(1)),
            std::vector<std::string>{"/questions: expected at most 1 items, got 2"});
}

TEST(JsonSchemaValidate, RequiredAndAdditionalProperties) {
  EXPECT_EQ(validate_json(json::object(), questions_schema(1)),
            std::vector<std::string>{"(root): missing required property \"questions\""});
  json extra = {{"questions", {"What does max_int return?"}}, {"answer", 42}};
  EXPECT_EQ(
      validate_json(extra, questions_schema(1)),
      std::vector<std::string>{"/answer: property not allowed (additionalProperties is false)"});
  json open = object_of({{"a", {{"type", "integer"}}}}, {"a"}, false);
  EXPECT_TRUE(validate_json({{"a", 1}, {"b", 2}}, open).empty());
}

TEST(JsonSchemaValidate, StringLengthsCountCodePoints) {
  json schema = {{"type", "string"}, {"minLength", 3}, {"maxLength", 4}};
  EXPECT_TRUE(validate_json("été", schema).empty());  // 3 code points, 5 bytes
  EXPECT_EQ(validate_json("ab", schema),
            std::vector<std::string>{"(root): expected at least 3 characters, got 2"});
  EXPECT_EQ(validate_json("abcde", schema),
            std::vector<std::string>{"(root): expected at most 4 characters, got 5"});
  json short_question = {{"questions", {"Why?"}}};
  EXPECT_EQ(validate_json(short_question, questions_schema(1)),
            std::vector<std::string>{"/questions/0: expected at least 10 characters, got 4"});
}

TEST(JsonSchemaValidate, EnumAndConst) {
  json colour = {{"enum", {"red", "green", 3, true, nullptr}}};
  EXPECT_TRUE(validate_json("green", colour).empty());
  EXPECT_TRUE(validate_json(3.0, colour).empty());  // numbers compare by value
  EXPECT_TRUE(validate_json(nullptr, colour).empty());
  EXPECT_EQ(
      validate_json("blue", colour),
      std::vector<std::string>{R"((root): "blue" is not one of ["red","green",3,true,null])"});
  json fixed = {{"const", "v1"}};
  EXPECT_TRUE(validate_json("v1", fixed).empty());
  EXPECT_EQ(validate_json("v2", fixed),
            std::vector<std::string>{R"((root): expected "v1", got "v2")"});
}

TEST(JsonSchemaValidate, ScalarTypes) {
  json integer = {{"type", "integer"}};
  EXPECT_TRUE(validate_json(-7, integer).empty());
  EXPECT_TRUE(validate_json(2.0, integer).empty());  // JSON Schema: a zero fraction is integral
  EXPECT_EQ(validate_json(2.5, integer),
            std::vector<std::string>{"(root): expected integer, got number"});
  json number = {{"type", "number"}};
  EXPECT_TRUE(validate_json(2, number).empty());
  EXPECT_TRUE(validate_json(2.5, number).empty());
  EXPECT_EQ(validate_json("2", number),
            std::vector<std::string>{"(root): expected number, got string"});
  EXPECT_TRUE(validate_json(false, {{"type", "boolean"}}).empty());
  EXPECT_FALSE(validate_json(0, {{"type", "boolean"}}).empty());
  EXPECT_TRUE(validate_json(nullptr, {{"type", "null"}}).empty());
  EXPECT_FALSE(validate_json("null", {{"type", "null"}}).empty());
}

TEST(JsonSchemaValidate, TypeArrays) {
  json nullable = {{"type", {"string", "null"}}, {"minLength", 2}};
  EXPECT_TRUE(validate_json("ok", nullable).empty());
  EXPECT_TRUE(validate_json(nullptr, nullable).empty());
  EXPECT_EQ(validate_json(5, nullable),
            std::vector<std::string>{"(root): expected string or null, got integer"});
  EXPECT_EQ(validate_json("x", nullable),
            std::vector<std::string>{"(root): expected at least 2 characters, got 1"});
}

TEST(JsonSchemaValidate, NestedPathsAreJsonPointers) {
  json schema = object_of(
      {{"a/b~c",
        object_of({{"list", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}, {"list"})}},
      {"a/b~c"});
  json doc = {{"a/b~c", {{"list", {1, 2, "three"}}}}};
  EXPECT_EQ(validate_json(doc, schema),
            std::vector<std::string>{"/a~1b~0c/list/2: expected integer, got string"});
}

TEST(JsonSchemaValidate, ReportsEveryProblem) {
  json doc = {{"questions", {"Why?", 7, "What does max_int return?"}}, {"extra", true}};
  auto problems = validate_json(doc, questions_schema(2));
  EXPECT_EQ(problems.size(), 4U) << all(problems);
  EXPECT_TRUE(mentions(problems, "/questions: expected at most 2 items")) << all(problems);
  EXPECT_TRUE(mentions(problems, "/questions/0: expected at least 10")) << all(problems);
  EXPECT_TRUE(mentions(problems, "/questions/1: expected string")) << all(problems);
  EXPECT_TRUE(mentions(problems, "/extra: property not allowed")) << all(problems);
}

TEST(JsonSchemaValidate, LongValuesAreCutShortInMessages) {
  std::string long_text(100, 'x');
  long_text[58] = '\xc3';  // "é", whose second byte would be the first cut off
  long_text[59] = '\xa9';
  auto problems = validate_json(long_text, {{"const", "short"}});
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0], "(root): expected \"short\", got \"" + std::string(58, 'x') + "...");
  auto invalid = validate_json(std::string("\xff"), {{"type", "integer"}});  // does not throw
  EXPECT_EQ(invalid, std::vector<std::string>{"(root): expected integer, got string"});
}

TEST(JsonSchemaValidate, UnsupportedSchemaIsOneProblem) {
  json schema = {{"type", "string"}, {"format", "date"}};
  EXPECT_EQ(validate_json("a", schema),
            std::vector<std::string>{"unsupported JSON Schema keyword \"format\" at (root)"});
  json lazy = {{"type", "string"}, {"pattern", "^a*?$"}};
  EXPECT_EQ(validate_json("a", lazy),
            std::vector<std::string>{
                "unsupported \"pattern\" at (root): lazy quantifier \"*?\" at offset 2"});
}

void expect_rejected(const json& schema, const std::string& message) {
  auto grammar = json_schema_to_gbnf(schema);
  ASSERT_FALSE(grammar) << *grammar;
  EXPECT_EQ(grammar.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(grammar.error().message, message);
}

// ---- patterns ----

// A generated question: a capital letter, one identifier in backticks, its only '?' at the end.
const char* const k_question_pattern =
    "^[A-Z][^`?\\n]{2,70}`[A-Za-z_][A-Za-z0-9_.:]{0,40}`[^?\\n]{0,80}\\?$";

json pattern_schema(const std::string& pattern) {
  return {{"type", "string"}, {"pattern", pattern}};
}

// Pattern, text, whether the text matches.
struct PatternCase {
  std::string pattern;
  std::string text;
  bool matches;
  // Whether the grammar lets the string through: the same, except where the grammar narrows the
  // pattern ('.' and negated classes never emit '"', '\\' or control characters).
  std::optional<bool> grammar_matches = std::nullopt;
};

std::vector<PatternCase> pattern_cases() {
  const std::string question = k_question_pattern;
  return {
      {question, "What does `max_int` return?", true},
      {question, "Why does `std::vector` hold ints here?", true},
      {question,
       "Does `f` handle \xc3\xbcn\xc3\xaf"
       "code?",
       true},
      {question, "Does `f` handle \"quotes\" or a \\ backslash?", true, false},
      {question, "Is `a` or `b` used?", true},
      {question, "what does `max_int` return?", false},  // lowercase start
      {question,
       "\xc3\x9c"
       "ber `x` what?",
       false},                                                 // not [A-Z]
      {question, "What does max_int return?", false},          // no backticks
      {question, "What does `max_int` return? Why?", false},   // a second '?'
      {question, "What does `max_int` return", false},         // no '?'
      {question, "Wh?at `x`?", false},                         // '?' before the identifier
      {question, "What does `max_int`\n return?", false},      // newline
      {question, "What does `9lives` return?", false},         // identifier starts with a digit
      {question, "Wh `x`?", true},                             // 2 characters after the capital
      {question, "W `x`?", false},                             // 1 character
      {question, "W" + std::string(70, 'a') + "`x`?", true},   // 70 characters
      {question, "W" + std::string(71, 'a') + "`x`?", false},  // 71 characters
      {question, "What is `" + std::string(41, 'a') + "`?", true},  // 1 + 40 identifier characters
      {question, "What is `" + std::string(42, 'a') + "`?", false},
      {"^abc$", "abc", true},
      {"^abc$", "abcd", false},
      {"^abc$", "xabc", false},
      {"^$", "", true},
      {"^$", "a", false},
      {"^.{3}$", "\xc3\xa9t\xc3\xa9", true},  // code points, not bytes
      {"^.{3}$", "ab", false},
      {"^.$", "\n", false},
      {"^.$", "\r", false},
      {"^.$", "\"", true, false},
      {"^[\"\\\\]$", "\"", true},
      {"^[\"\\\\]$", "\\", true},
      {"^[a-c]+$", "abcab", true},
      {"^[a-c]+$", "abd", false},
      {"^[a-c]+$", "", false},
      {"^[^a-c]$", "d", true},
      {"^[^a-c]$", "b", false},
      {"^[-a]$", "-", true},
      {"^[a-]$", "-", true},
      {"^[\\]\\-]$", "]", true},
      {"^[\\]\\-]$", "-", true},
      {"^[\\d_]$", "7", true},
      {"^[\\d_]$", "_", true},
      {"^[\\d_]$", "a", false},
      {"^[\xc3\xa0-\xc3\xbf]$", "\xc3\xa9", true},  // a range of non-ASCII characters
      {"^[\xc3\xa0-\xc3\xbf]$", "e", false},
      {"^\\d\\w\\s$", "1a ", true},
      {"^\\d\\w\\s$", "1a\t", true},
      {"^\\d\\w\\s$", "a1 ", false},
      {"^\\w+$", "snake_Case9", true},
      {"^\\w+$", "kebab-case", false},
      {"^a\\.b\\*\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\/\\\\$", "a.b*?()[]{}|^$/\\", true},
      {"^a\\nb\\tc$", "a\nb\tc", true},
      {"^(cat|dog)s?$", "cats", true},
      {"^(cat|dog)s?$", "dog", true},
      {"^(cat|dog)s?$", "cow", false},
      {"^(?:ab)+$", "ababab", true},
      {"^(?:ab)+$", "aba", false},
      {"^(a|ab)(c|bcd)$", "abcd", true},  // needs backtracking into the first group
      {"^(a|)b$", "b", true},
      {"^(a|aa)+b$", std::string(60, 'a'), false},  // no exponential backtracking
      {"^(a|aa)+b$", "aaab", true},
      {"^(a*b?){2}c$", "aabc", true},
      {"^a{2}$", "aa", true},
      {"^a{2}$", "aaa", false},
      {"^a{2,}$", "aaaaaaa", true},
      {"^a{2,}$", "a", false},
      {"^a{1,3}$", "aaa", true},
      {"^a{1,3}$", "aaaa", false},
      {"^a{0}b$", "b", true},
      {"^x*y+z?$", "yy", true},
      {"^x*y+z?$", "xxz", false},
      {"^\xe6\x97\xa5\xe6\x9c\xac$", "\xe6\x97\xa5\xe6\x9c\xac", true},
      {"^a}]$", "a}]", true},
  };
}

// prefixItems (JSON Schema 2020-12): element i follows prefixItems[i], later ones `items`.
json prefix_schema(int min, std::optional<int> max, std::optional<json> items = std::nullopt) {
  json schema = {
      {"type", "array"},
      {"prefixItems",
       {{{"type", "string"}, {"pattern", "^A.*$"}}, {{"type", "string"}, {"pattern", "^B.*$"}}}},
      {"minItems", min}};
  if (max)
    schema["maxItems"] = *max;
  if (items)
    schema["items"] = *items;
  return schema;
}

TEST(JsonSchemaValidate, PrefixItemsCheckEachPositionAgainstItsOwnSchema) {
  EXPECT_TRUE(validate_json(json{"Ax", "By"}, prefix_schema(2, 2)).empty());
  auto swapped = validate_json(json{"Bx", "Ay"}, prefix_schema(2, 2));
  ASSERT_EQ(swapped.size(), 2u);
  EXPECT_THAT(swapped[0], HasSubstr("/0"));
  EXPECT_THAT(swapped[1], HasSubstr("/1"));
  EXPECT_EQ(validate_json(json{"Ax"}, prefix_schema(2, 2)).size(), 1u);
  const json later = {{"type", "string"}, {"pattern", "^C.*$"}};
  EXPECT_TRUE(validate_json(json{"Ax", "By", "Cz", "Cw"}, prefix_schema(1, 4, later)).empty());
  auto third = validate_json(json{"Ax", "By", "Dz"}, prefix_schema(1, 4, later));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_THAT(third[0], HasSubstr("/2"));
}

TEST(JsonSchemaToGbnf, PrefixItemsNeedItemsForElementsBeyondThem) {
  EXPECT_TRUE(json_schema_to_gbnf(prefix_schema(2, 2)));
  EXPECT_TRUE(json_schema_to_gbnf(prefix_schema(0, 1)));
  EXPECT_TRUE(json_schema_to_gbnf(prefix_schema(1, std::nullopt, json{{"type", "string"}})));
  auto unbounded = json_schema_to_gbnf(prefix_schema(2, std::nullopt));
  ASSERT_FALSE(unbounded);
  EXPECT_THAT(unbounded.error().message, HasSubstr("\"items\""));
  auto refused = validate_json(json{"Ax"}, prefix_schema(2, std::nullopt));  // the same refusal
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_THAT(refused[0], HasSubstr("\"items\""));
  auto not_a_list =
      json_schema_to_gbnf(json{{"type", "array"}, {"prefixItems", {{"type", "string"}}}});
  ASSERT_FALSE(not_a_list);
  EXPECT_THAT(not_a_list.error().message, HasSubstr("prefixItems"));
}

TEST(JsonSchemaValidate, PatternsMatchTheWholeString) {
  for (const PatternCase& c : pattern_cases()) {
    auto problems = validate_json(c.text, pattern_schema(c.pattern));
    EXPECT_EQ(problems.empty(), c.matches)
        << c.pattern << " on " << c.text << ": " << all(problems);
  }
  // Counts do not multiply the work: positions that repeat before the minimum are followed once.
  json nested = pattern_schema("^((a?){1000}){1000}b$");
  EXPECT_FALSE(validate_json(std::string(200, 'a'), nested).empty());
  EXPECT_TRUE(validate_json(std::string(200, 'a') + "b", nested).empty());
}

TEST(JsonSchemaValidate, PatternMismatchNamesThePattern) {
  json schema = questions_schema(1);
  schema["properties"]["questions"]["items"]["pattern"] = "^[A-Z].*\\?$";
  EXPECT_EQ(
      validate_json({{"questions", {"why is this so long?"}}}, schema),
      std::vector<std::string>{
          R"(/questions/0: "why is this so long?" does not match the pattern "^[A-Z].*\\?$")"});
  // Lengths are still checked beside the pattern.
  EXPECT_EQ(validate_json({{"questions", {"Why?"}}}, schema),
            std::vector<std::string>{"/questions/0: expected at least 10 characters, got 4"});
  EXPECT_TRUE(validate_json(3, {{"type", {"string", "integer"}}, {"pattern", "^a$"}}).empty());
}

TEST(JsonSchemaToGbnf, UnsupportedPatternsSayWhat) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc$", "missing \"^\" at the start"},
      {"^abc", "missing \"$\" at the end"},
      {"^a$b", "\"$\" before the end at offset 2"},
      {"^a^b$", "\"^\" after the start at offset 2"},
      {"^a|b$", "\"|\" outside a group at offset 2 (put the alternatives in a group)"},
      {"^a*?$", "lazy quantifier \"*?\" at offset 2"},
      {"^a{2,3}?$", "lazy quantifier \"{2,3}?\" at offset 2"},
      {"^(?=a)$", "group \"(?=\" at offset 1"},
      {"^(?<n>a)$", "group \"(?<\" at offset 1"},
      {"^(?$", "group \"(?\" at offset 1"},
      {"^\\bword$", "escape \"\\b\" at offset 1"},
      {"^\\D$", "escape \"\\D\" at offset 1"},
      {"^\\u0041$", "escape \"\\u\" at offset 1"},
      {"^\\1$", "escape \"\\1\" at offset 1"},
      {"^[\\b]$", "escape \"\\b\" at offset 2"},
      {"^[\\d-z]$", "range from a class escape at offset 4"},
      {"^a{2000}$", "count 2000 at offset 2 is too large (at most 1000)"},
      {"^(a*)*b$", "\"*\" repeats a group that can match the empty string at offset 5"},
      {"^(a|b?){2,}$", "\"{2,}\" repeats a group that can match the empty string at offset 7"},
  };
  for (const auto& [pattern, what] : cases) {
    expect_rejected(pattern_schema(pattern), "unsupported \"pattern\" at (root): " + what);
  }
  json nested = object_of({{"q", pattern_schema("^a+?$")}}, {"q"});
  expect_rejected(nested,
                  "unsupported \"pattern\" at /properties/q: lazy quantifier \"+?\" at offset 2");
}

TEST(JsonSchemaToGbnf, InvalidPatternsAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"^(a$", "unbalanced \"(\" at offset 1"},
      {"^a)$", "unbalanced \")\" at offset 2"},
      {"^[ab$", "unbalanced \"[\" at offset 1"},
      {"^[]$", "empty character class at offset 1"},
      {"^[z-a]$", "range \"z-a\" out of order at offset 2"},
      {"^*a$", "nothing to repeat at offset 1"},
      {"^(+)$", "nothing to repeat at offset 2"},
      {"^a**$", "nothing to repeat at offset 3"},
      {"^a{3,2}$", "quantifier \"{3,2}\" out of order at offset 2"},
      {"^a{x}$", "\"{\" is not a quantifier at offset 2 (write \\{ for the character)"},
      {"^a{2$", "\"{\" is not a quantifier at offset 2 (write \\{ for the character)"},
      {"^{2}$", "nothing to repeat at offset 1"},
      {"^a\\", "pattern ends with \"\\\" at offset 2"},
      {"^\xff$", "invalid UTF-8 at offset 1"},
  };
  for (const auto& [pattern, what] : cases) {
    expect_rejected(pattern_schema(pattern), "invalid \"pattern\" at (root): " + what);
  }
  expect_rejected({{"type", "string"}, {"pattern", 3}},
                  "\"pattern\" at (root) must be a string, not 3");
}

// ---- converter ----

TEST(JsonSchemaToGbnf, UnsupportedKeywordsNameTheirPath) {
  json media = questions_schema(2);
  media["properties"]["questions"]["items"]["contentMediaType"] = "text/plain";
  expect_rejected(
      media, "unsupported JSON Schema keyword \"contentMediaType\" at /properties/questions/items");
  expect_rejected({{"$ref", "#/defs/a"}}, "unsupported JSON Schema keyword \"$ref\" at (root)");
  json one_of = object_of({{"x", {{"oneOf", json::array()}}}}, json::array());
  expect_rejected(one_of, "unsupported JSON Schema keyword \"oneOf\" at /properties/x");
  json format = object_of({{"a/b", {{"type", "string"}, {"format", "date"}}}}, json::array());
  expect_rejected(format, "unsupported JSON Schema keyword \"format\" at /properties/a~1b");
  expect_rejected({{"type", "number"}, {"minimum", 0}},
                  "unsupported JSON Schema keyword \"minimum\" at (root)");
}

TEST(JsonSchemaToGbnf, MalformedSchemasAreRejected) {
  expect_rejected({{"type", "array"}}, "array schema at (root) needs \"items\"");
  expect_rejected({{"description", "anything"}},
                  "schema at (root) needs \"type\", \"enum\" or \"const\"");
  expect_rejected({{"type", "text"}}, "unsupported \"type\" \"text\" at (root)");
  expect_rejected(object_of({{"a", {{"type", "string"}}}}, {"b"}),
                  "required property \"b\" at (root) is not listed in \"properties\"");
  expect_rejected({{"type", "string"}, {"minLength", 3}, {"maxLength", 2}},
                  "\"minLength\" 3 exceeds \"maxLength\" 2 at (root)");
  expect_rejected({{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", -1}},
                  "\"minItems\" at (root) must be a non-negative integer, not -1");
  expect_rejected({{"type", "object"}, {"additionalProperties", {{"type", "string"}}}},
                  "unsupported \"additionalProperties\" at (root): only true or false");
  expect_rejected({{"type", "string"}, {"enum", {1, 2}}}, "schema at (root) accepts no value");
  expect_rejected({{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 5000}},
                  "\"minItems\" 5000 at (root) is too large for a grammar (at most 1000)");
  expect_rejected(json::array(), "schema at (root) must be an object, not []");
}

TEST(JsonSchemaToGbnf, QuestionsGrammar) {
  auto grammar = json_schema_to_gbnf(questions_schema(5));
  ASSERT_TRUE(grammar) << grammar.error().describe();
  EXPECT_EQ(*grammar,
            R"(root ::= "{" ws "\"questions\"" ws ":" ws root-questions ws "}"
root-questions ::= "[" ws root-questions-item (ws "," ws root-questions-item){4} ws "]"
root-questions-item ::= "\"" char{10,200} "\""
char ::= [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-Ce-fE-F] hex{3} | [dD] [0-7] hex{2}))
hex ::= [0-9a-fA-F]
ws ::= ([ \t] | "\n" [ \t]{0,16})?
)");
  auto again = json_schema_to_gbnf(questions_schema(5));
  ASSERT_TRUE(again);
  EXPECT_EQ(*grammar, *again);
}

TEST(JsonSchemaToGbnf, OptionalPropertiesKeepTheirOrder) {
  // nlohmann::json iterates keys sorted: a, b, c, d; c is required.
  json schema = object_of({{"d", {{"type", "boolean"}}},
                           {"c", {{"type", "string"}}},
                           {"b", {{"type", "null"}}},
                           {"a", {{"type", "integer"}}}},
                          {"c"});
  auto grammar = json_schema_to_gbnf(schema);
  ASSERT_TRUE(grammar) << grammar.error().describe();
  EXPECT_EQ(*grammar, R"(root ::= "{" ws (root-from-a ws "," ws)? "\"c\"" ws ":" ws root-c )"
                      R"((ws "," ws "\"d\"" ws ":" ws root-d)? ws "}"
root-a ::= integer
root-b ::= null
root-c ::= string
root-d ::= boolean
root-from-b ::= "\"b\"" ws ":" ws root-b
root-from-a ::= "\"a\"" ws ":" ws root-a (ws "," ws root-from-b)? | root-from-b
string ::= "\"" char* "\""
char ::= [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-Ce-fE-F] hex{3} | [dD] [0-7] hex{2}))
hex ::= [0-9a-fA-F]
integer ::= "-"? ("0" | [1-9] [0-9]{0,15})
boolean ::= "true" | "false"
null ::= "null"
ws ::= ([ \t] | "\n" [ \t]{0,16})?
)");
}

TEST(JsonSchemaToGbnf, RuleNamesAreSanitizedAndUnique) {
  json schema = object_of({{"Foo_Bar", {{"type", "string"}}},
                           {"foo-bar", {{"type", "string"}}},
                           {"\xe6\x97\xa5", {{"type", "null"}}}},
                          json::array());
  auto grammar = json_schema_to_gbnf(schema);
  ASSERT_TRUE(grammar) << grammar.error().describe();
  EXPECT_NE(grammar->find("\nroot-foo-bar ::= string\n"), std::string::npos) << *grammar;
  EXPECT_NE(grammar->find("\nroot-foo-bar-2 ::= string\n"), std::string::npos) << *grammar;
  EXPECT_NE(grammar->find("\nroot-x ::= null\n"), std::string::npos) << *grammar;
}

TEST(JsonSchemaToGbnf, LargeBoundsStayLinear) {
  json schema = {{"type", "array"},
                 {"items", {{"type", "string"}, {"maxLength", 1000}}},
                 {"minItems", 1000},
                 {"maxItems", 100000}};
  auto grammar = json_schema_to_gbnf(schema);
  ASSERT_TRUE(grammar) << grammar.error().describe();
  EXPECT_LT(grammar->size(), 600U) << *grammar;
  EXPECT_NE(grammar->find("{999,}"), std::string::npos) << *grammar;  // max > 1000: unbounded
  EXPECT_NE(grammar->find("char{0,1000}"), std::string::npos) << *grammar;
}

TEST(JsonSchemaToGbnf, EnumKeepsOnlyValuesTheTypeAllows) {
  json schema = {{"type", "string"}, {"enum", {"a\"b", 1, "line\nbreak"}}};
  auto grammar = json_schema_to_gbnf(schema);
  ASSERT_TRUE(grammar) << grammar.error().describe();
  EXPECT_EQ(*grammar, "root ::= \"\\\"a\\\\\\\"b\\\"\" | \"\\\"line\\\\nbreak\\\"\"\n");
}

TEST(JsonSchemaToGbnf, PatternGrammar) {
  // Literals in their JSON form, negated classes without '"', '\\' and control characters,
  // repeated groups as rules; the lengths are left to the validator.
  json schema = {{"type", "string"},
                 {"pattern", R"re(^a"b\\[^x]{2}(c|d)*\.$)re"},
                 {"minLength", 50},
                 {"maxLength", 60}};
  auto grammar = json_schema_to_gbnf(schema);
  ASSERT_TRUE(grammar) << grammar.error().describe();
  EXPECT_EQ(*grammar, R"g(root ::= "\"" "a\\\"b\\\\" [^\x00-\x1F\x22\x5Cx]{2} root-group* "." "\""
root-group ::= "c" | "d"
)g");
  auto classes = json_schema_to_gbnf(pattern_schema(R"re(^[\t"a-c].?(x|yz)$)re"));
  ASSERT_TRUE(classes) << classes.error().describe();
  EXPECT_EQ(
      *classes,
      R"g(root ::= "\"" ([a-c] | "\\t" | "\\\"") [^\x00-\x1F\x22\x5C\u2028-\u2029]? ("x" | "yz") "\""
)g");
}

// ---- llama.cpp ----

void quiet_log(ggml_log_level level, const char* text, void* /*user*/) {
  if (level == GGML_LOG_LEVEL_ERROR)
    std::fputs(text, stderr);
}

std::vector<llama_token> tokenize(const llama_vocab* vocab, const std::string& text, bool special) {
  auto size = static_cast<int32_t>(text.size());
  int32_t n = -llama_tokenize(vocab, text.data(), size, nullptr, 0, special, special);
  std::vector<llama_token> tokens(static_cast<size_t>(std::max(n, 0)));
  llama_tokenize(vocab, text.data(), size, tokens.data(), n, special, special);
  return tokens;
}

std::vector<std::pair<std::string, json>> grammar_schemas() {
  json file = object_of({{"path", {{"type", "string"}, {"minLength", 1}}},
                         {"lines", {{"type", "integer"}}},
                         {"ratio", {{"type", "number"}}}},
                        {"path"});
  json pair = object_of({{"q", {{"type", "string"}}}, {"a", {{"type", "string"}}}}, {"q", "a"});
  json nested =
      object_of({{"file", file},
                 {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 3}}},
                 {"pairs", {{"type", "array"}, {"items", pair}}}},
                {"file", "pairs"});
  json enums = object_of({{"colour", {{"enum", {"red", "green", "blue"}}}},
                          {"level", {{"type", "integer"}, {"enum", {1, 2, 3}}}},
                          {"mixed", {{"enum", {"a\"b", 2.5, false, nullptr, "\xc3\xa9t\xc3\xa9"}}}},
                          {"version", {{"const", "v1"}}}},
                         {"colour", "version"});
  json list = {{"type", {"array", "null"}}, {"items", {{"type", {"object", "null"}}}}};
  json nullable = object_of({{"name", {{"type", {"string", "null"}}, {"maxLength", 20}}},
                             {"count", {{"type", {"integer", "null"}}}},
                             {"either", {{"type", {"integer", "number", "boolean"}}}},
                             {"list", list}},
                            json::array());
  json question_pattern_schema = questions_schema(3);
  question_pattern_schema["properties"]["questions"]["items"]["pattern"] = k_question_pattern;
  json many = {{"type", "object"}, {"properties", json::object()}};
  for (int i = 0; i < 80; ++i)
    many["properties"]["p" + std::to_string(i)] = {{"type", "integer"}};
  return {
      {"questions-1", questions_schema(1)},
      {"questions-5", questions_schema(5)},
      {"questions-20", questions_schema(20)},
      {"nested", nested},
      {"enums", enums},
      {"nullable", nullable},
      {"empty-object", {{"type", "object"}}},
      {"keys", object_of({{"a\"b\\c", {{"type", "string"}}}, {"\xe6\x97\xa5", {{"type", "null"}}}},
                         {"\xe6\x97\xa5"})},
      {"big-bounds",
       {{"type", "array"},
        {"items", {{"type", "string"}, {"minLength", 1000}, {"maxLength", 1000}}},
        {"minItems", 1000},
        {"maxItems", 1000}}},
      {"unbounded", {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 100000}}},
      {"optional-1000", {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 1000}}},
      {"80-optional-properties", many},
      {"empty-array", {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 0}}},
      {"scalar", {{"type", "number"}}},
      {"question-pattern", question_pattern_schema},
      {"pattern-pieces", pattern_schema(R"re(^[\t"a-c)re"
                                        "\xc3\xa9"
                                        R"re(]\d\w\s.?(x|yz|)[^\\"]+\\"$)re")},
      {"nested-repetitions", pattern_schema("^(a{0,40}[b-z]){0,80}$")},
  };
}

class JsonSchemaLlama : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    llama_log_set(quiet_log, nullptr);
    llama_backend_init();
  }
  void SetUp() override {
    m_path = test::tiny_model_path();
    if (m_path.empty())
      GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
    load(true);
  }
  void load(bool vocab_only) {
    llama_model_params params = llama_model_default_params();
    params.vocab_only = vocab_only;
    m_model.reset(llama_model_load_from_file(m_path.c_str(), params));
    ASSERT_NE(m_model, nullptr) << m_path;
    m_vocab = llama_model_get_vocab(m_model.get());
  }

  // Whether the grammar lets `text` through token by token and then allows the end of generation.
  bool accepts(const std::string& gbnf, const std::string& text) {
    llama_sampler_ptr grammar(llama_sampler_init_grammar(m_vocab, gbnf.c_str(), "root"));
    if (!grammar)
      return false;
    std::vector<llama_token> tokens = tokenize(m_vocab, text, false);
    tokens.push_back(llama_vocab_eos(m_vocab));
    for (llama_token token : tokens) {
      llama_token_data data{token, 0.0F, 0.0F};
      llama_token_data_array candidates{&data, 1, -1, false};
      llama_sampler_apply(grammar.get(), &candidates);
      if (std::isinf(data.logit))
        return false;
      if (llama_vocab_is_eog(m_vocab, token))
        return true;
      llama_sampler_accept(grammar.get(), token);
    }
    return false;
  }

  std::string gbnf(const json& schema) {
    auto grammar = json_schema_to_gbnf(schema);
    EXPECT_TRUE(grammar) << grammar.error().describe();
    return grammar ? *grammar : std::string();
  }

  std::string m_path;
  llama_model_ptr m_model;
  const llama_vocab* m_vocab = nullptr;
};

TEST_F(JsonSchemaLlama, ParserAcceptsEveryGrammar) {
  llama_sampler_ptr broken(llama_sampler_init_grammar(m_vocab, "root ::= (", "root"));
  EXPECT_EQ(broken, nullptr);  // the check below can fail
  for (const auto& [name, schema] : grammar_schemas()) {
    SCOPED_TRACE(name);
    std::string grammar = gbnf(schema);
    llama_sampler_ptr sampler(llama_sampler_init_grammar(m_vocab, grammar.c_str(), "root"));
    EXPECT_NE(sampler, nullptr) << grammar;
  }
}

TEST_F(JsonSchemaLlama, AcceptsExactlyTheValidQuestions) {
  std::string grammar = gbnf(questions_schema(2));
  const std::vector<std::pair<std::string, bool>> cases = {
      {R"({"questions":["What does max_int return?","Why start at values[0]?"]})", true},
      {R"({ "questions": [ "What does max_int return?", "Why start at values[0]?" ] })", true},
      {"{\n  \"questions\": [\n    \"What does max_int return?\",\n    \"Why start at "
       "values[0]?\"\n  ]\n}",
       true},
      {R"({"questions":["Is \"best\" \\ the max?\n","Is \u00e9 or \t escaped?"]})", true},
      {"{\"questions\":[\"What does m\xc3\xa4x_int return?\",\"Why start at values[0]?\"]}", true},
      {R"({"questions":["What does max_int return?"]})", false},
      {R"({"questions":["What does max_int return?","Why start at values[0]?","A third one?"]})",
       false},
      {R"({"questions":["What does max_int return?","Why?"]})", false},
      {R"({"questions":["What does max_int return?","Why start at values[0]?",]})", false},
      {R"({"questions":["What does max_int return?","Why start at values[0]?"],"x":1})", false},
      {"{\"questions\":[\"What does max_int\nreturn?\",\"Why start at values[0]?\"]}", false},
      {R"({"questions":["What is \ud800 here?","Why start at values[0]?"]})", false},
      {R"({"questions":["What does max_int return?","Why start at values[0]?"]}  )", false},
      {R"({"questions":["What does max_int return?","Why start at values[0]?"]                 })",
       false},
      {R"({})", false},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(accepts(grammar, text), expected) << text;
    if (expected) {
      EXPECT_TRUE(validate_json(json::parse(text), questions_schema(2)).empty()) << text;
    }
  }
}

TEST_F(JsonSchemaLlama, AcceptsOptionalPropertiesAndScalars) {
  json schema = object_of({{"a", {{"type", "integer"}}},
                           {"b", {{"type", {"string", "null"}}}},
                           {"c", {{"enum", {"red", "green"}}}},
                           {"d", {{"type", "number"}}}},
                          {"b"});
  std::string grammar = gbnf(schema);
  const std::vector<std::pair<std::string, bool>> cases = {
      {R"({"b":null})", true},
      {R"({"a":-12,"b":"x"})", true},
      {R"({"b":"x","c":"green","d":-0.5e-3})", true},
      {R"({"a":0,"b":null,"c":"red","d":10})", true},
      {R"({"a":1})", false},             // b is required
      {R"({"b":null,"a":1})", false},    // properties come in order
      {R"({"a":1.5,"b":null})", false},  // not an integer
      {R"({"a":01,"b":null})", false},
      {R"({"b":null,"c":"blue"})", false},
      {R"({"b":3})", false},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(accepts(grammar, text), expected) << text;
    if (expected) {
      EXPECT_TRUE(validate_json(json::parse(text), schema).empty()) << text;
    }
  }
  json loose = object_of(
      {{"x", {{"type", "boolean"}}}, {"y", {{"type", "null"}}}, {"z", {{"type", "integer"}}}},
      json::array());
  std::string optional = gbnf(loose);
  for (const char* text : {"{}", "{ }", R"({"x":true})", R"({"y":null})", R"({"z":1})",
                           R"({"x":true,"z":1})", R"({"x":false, "y":null, "z":2})"}) {
    EXPECT_TRUE(accepts(optional, text)) << text;
  }
  for (const char* text : {R"({,})", R"({"z":1,"x":true})", R"({"x":true,})", R"({,"x":true})",
                           R"({"x":true,"x":true})", R"({"x":true "z":1})"}) {
    EXPECT_FALSE(accepts(optional, text)) << text;
  }
  std::string empty = gbnf({{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 0}});
  EXPECT_TRUE(accepts(empty, "[]"));
  EXPECT_FALSE(accepts(empty, R"([""])"));
}

TEST_F(JsonSchemaLlama, PrefixItemsGrammarsAgreeWithTheValidator) {
  const json later = {{"type", "string"}, {"pattern", "^C.*$"}};
  const std::vector<std::pair<json, std::vector<std::string>>> schemas = {
      {prefix_schema(2, 2),
       {R"(["Ax","By"])", R"(["Bx","Ay"])", R"(["Ax"])", R"(["Ax","By","Bz"])"}},
      {prefix_schema(0, 2),
       {"[]", R"(["Ax"])", R"(["By"])", R"(["Ax","By"])", R"(["Ax","Bx","C"])"}},
      {prefix_schema(1, 4, later),
       {R"(["Ax"])", R"(["Ax","By","Cz"])", R"(["Ax","By","Cz","Cw"])", R"(["Ax","By","Dz"])",
        R"(["Ax","By","C1","C2","C3"])", "[]"}},
  };
  for (const auto& [schema, texts] : schemas) {
    const std::string grammar = gbnf(schema);
    for (const auto& text : texts) {
      const bool valid = validate_json(json::parse(text), schema).empty();
      EXPECT_EQ(accepts(grammar, text), valid) << schema.dump() << " on " << text;
    }
  }
}

TEST_F(JsonSchemaLlama, PatternGrammarsAgreeWithTheValidator) {
  for (const PatternCase& c : pattern_cases()) {
    std::string text = json(c.text).dump();
    EXPECT_EQ(accepts(gbnf(pattern_schema(c.pattern)), text), c.grammar_matches.value_or(c.matches))
        << c.pattern << " on " << text;
  }
}

TEST_F(JsonSchemaLlama, GreedyGenerationFollowsTheSchema) {
  load(false);
  llama_context_params params = llama_context_default_params();
  params.n_ctx = 2048;
  params.n_batch = 2048;
  params.n_threads = 1;  // on a busy two-core machine a second thread mostly waits at barriers
  params.n_threads_batch = 1;
  llama_context_ptr context(llama_init_from_model(m_model.get(), params));
  ASSERT_NE(context, nullptr);

  const json schema = questions_schema(3);
  std::string grammar = gbnf(schema);
  llama_sampler_ptr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  llama_sampler* constraint = llama_sampler_init_grammar(m_vocab, grammar.c_str(), "root");
  ASSERT_NE(constraint, nullptr) << grammar;
  llama_sampler_chain_add(chain.get(), constraint);
  llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());

  const std::string request =
      "Write 3 questions about this C code as JSON: {\"questions\": [...]}\n\n"
      "static int max_int(int a, int b) { return a > b ? a : b; }";
  const llama_chat_message messages[] = {
      {"system", "You write specific technical questions about source code."},
      {"user", request.c_str()}};
  const char* chat_template = llama_model_chat_template(m_model.get(), nullptr);
  ASSERT_NE(chat_template, nullptr);
  std::vector<char> buffer(4096);
  int32_t length = llama_chat_apply_template(chat_template, messages, 2, true, buffer.data(),
                                             static_cast<int32_t>(buffer.size()));
  ASSERT_GT(length, 0);
  ASSERT_LE(length, static_cast<int32_t>(buffer.size()));
  std::vector<llama_token> prompt =
      tokenize(m_vocab, std::string(buffer.data(), static_cast<size_t>(length)), true);

  ASSERT_EQ(llama_decode(context.get(),
                         llama_batch_get_one(prompt.data(), static_cast<int32_t>(prompt.size()))),
            0);
  std::string text;
  bool finished = false;
  for (int i = 0; i < 400 && !finished; ++i) {
    llama_token token = llama_sampler_sample(chain.get(), context.get(), -1);
    if (llama_vocab_is_eog(m_vocab, token)) {
      finished = true;
      break;
    }
    char piece[256];
    int32_t n = llama_token_to_piece(m_vocab, token, piece, sizeof(piece), 0, false);
    ASSERT_GE(n, 0);
    text.append(piece, static_cast<size_t>(n));
    ASSERT_EQ(llama_decode(context.get(), llama_batch_get_one(&token, 1)), 0);
  }
  EXPECT_TRUE(finished) << text;
  json output = json::parse(text, nullptr, false);
  ASSERT_FALSE(output.is_discarded()) << text;
  EXPECT_TRUE(validate_json(output, schema).empty()) << all(validate_json(output, schema)) << text;
  EXPECT_EQ(output["questions"].size(), 3U) << text;
}

}  // namespace
}  // namespace g2d::llm
