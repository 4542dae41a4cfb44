// The lines an answer call quotes again under its question: the definition of what it names.
#include "generate/excerpt.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace g2d::generate {
namespace {

constexpr std::string_view k_c =
    "#include <node_api.h>\n"                                            // 1
    "\n"                                                                 // 2
    "// Mask is called by Unmask below.\n"                               // 3
    "static napi_value Mask(napi_env env,\n"                             // 4
    "                       napi_callback_info info) {\n"                // 5
    "  size_t argc = 5;\n"                                               // 6
    "  if (argc != 5) { return NULL; }\n"                                // 7
    "  return NULL;\n"                                                   // 8
    "}\n"                                                                // 9
    "\n"                                                                 // 10
    "static napi_value Unmask(napi_env env, napi_callback_info info)\n"  // 11
    "{\n"                                                                // 12
    "  Mask(env, info);\n"                                               // 13
    "  return NULL;\n"                                                   // 14
    "}\n";                                                               // 15

constexpr std::string_view k_python =
    "import re\n"                                     // 1
    "\n"                                              // 2
    "RE_NUMBER = re.compile(\n"                       // 3
    "    r\"[0-9]+\",\n"                              // 4
    "    flags=re.VERBOSE,\n"                         // 5
    ")\n"                                             // 6
    "\n"                                              // 7
    "def match_to_number(match, parse_float):\n"      // 8
    "    \"\"\"Convert a match to a number.\"\"\"\n"  // 9
    "    if match.group(\"floatpart\"):\n"            // 10
    "        return parse_float(match.group())\n"     // 11
    "\n"                                              // 12
    "    return int(match.group(), 0)\n"              // 13
    "\n"                                              // 14
    "\n"                                              // 15
    "class Parser:\n"                                 // 16
    "    def parse(self, text):\n"                    // 17
    "        return match_to_number(text, float)\n";  // 18

constexpr std::string_view k_js =
    "'use strict'\n"                                                 // 1
    "function emptyTarget(val) {\n"                                  // 2
    "  return Array.isArray(val) ? [] : {}\n"                        // 3
    "}\n"                                                            // 4
    "const cloneUnlessOtherwiseSpecified = (value, options) => {\n"  // 5
    "  return options.clone !== false\n"                             // 6
    "    ? deepmerge(emptyTarget(value), value, options)\n"          // 7
    "    : value\n"                                                  // 8
    "}\n"                                                            // 9
    "module.exports.all = function deepmergeAll(array) {\n"          // 10
    "  return array.reduce(function (a, b) { return a })\n"          // 11
    "}\n"                                                            // 12
    "const api = {\n"                                                // 13
    "  enable: function (names) {\n"                                 // 14
    "    this.names = names\n"                                       // 15
    "  },\n"                                                         // 16
    "}\n";                                                           // 17

std::string lines_of(std::string_view code, std::string_view name, std::string_view language = "") {
  auto e = definition_excerpt(code, name, k_excerpt_lines, language);
  if (!e)
    return "none";
  return std::to_string(e->first_line) + "-" + std::to_string(e->last_line);
}

TEST(Excerpt, ACFunctionIsFoundByItsDefinitionNotByAMentionOrACall) {
  EXPECT_EQ(lines_of(k_c, "Mask"), "4-9");
  auto e = definition_excerpt(k_c, "Mask");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->text,
            "static napi_value Mask(napi_env env,\n"
            "                       napi_callback_info info) {\n"
            "  size_t argc = 5;\n"
            "  if (argc != 5) { return NULL; }\n"
            "  return NULL;\n"
            "}");
  // The brace on its own line after the signature belongs to the definition.
  EXPECT_EQ(lines_of(k_c, "Unmask"), "11-15");
}

TEST(Excerpt, PythonDefinitionsEndWhereTheIndentationDoes) {
  EXPECT_EQ(lines_of(k_python, "match_to_number"), "8-13");
  EXPECT_EQ(lines_of(k_python, "Parser"), "16-18");
  EXPECT_EQ(lines_of(k_python, "parse"), "17-18");
  // An assignment runs until its brackets close.
  EXPECT_EQ(lines_of(k_python, "RE_NUMBER"), "3-6");
}

TEST(Excerpt, JavaScriptFunctionsArrowFunctionsAndProperties) {
  EXPECT_EQ(lines_of(k_js, "emptyTarget"), "2-4");
  EXPECT_EQ(lines_of(k_js, "cloneUnlessOtherwiseSpecified"), "5-9");
  EXPECT_EQ(lines_of(k_js, "deepmergeAll"), "10-12");
  EXPECT_EQ(lines_of(k_js, "all"), "10-12");
  EXPECT_EQ(lines_of(k_js, "enable"), "14-16");
}

TEST(Excerpt, AFunctionIsPreferredToAnEarlierAssignmentOfIt) {
  constexpr std::string_view code =
      "function setup(env) {\n"
      "  createDebug.enable = enable;\n"
      "  function enable(names) {\n"
      "    createDebug.names = names;\n"
      "  }\n"
      "  return createDebug;\n"
      "}\n";
  EXPECT_EQ(lines_of(code, "enable"), "3-5");
  // With no other definition, the assignment is one.
  EXPECT_EQ(lines_of(code, "names"), "4-4");
}

TEST(Excerpt, ADeclarationWithAnInitialiserIsADefinition) {
  EXPECT_EQ(lines_of(k_c, "argc"), "6-6");
}

TEST(Excerpt, ANameThatIsOnlyUsedOrNotThereHasNone) {
  EXPECT_EQ(lines_of(k_c, "napi_value"), "none");
  EXPECT_EQ(lines_of(k_python, "group"), "none");
  EXPECT_EQ(lines_of(k_js, "missing"), "none");
  EXPECT_EQ(lines_of(k_js, ""), "none");
}

TEST(Excerpt, ADefinitionThatIsTheWholeCodeHasNone) {
  // Quoting the whole unit again under the question adds nothing.
  EXPECT_EQ(lines_of("def f(x):\n    return x\n", "f"), "none");
}

TEST(Excerpt, ALongDefinitionKeepsItsHeadAndItsTail) {
  std::string code = "x = 1\nfunction big() {\n";
  for (int i = 0; i < 100; ++i)
    code += "  step(" + std::to_string(i) + ")\n";
  code += "}\n";
  auto e = definition_excerpt(code, "big", 20, "javascript");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first_line, 2);
  EXPECT_EQ(e->last_line, 103);
  EXPECT_TRUE(e->cut);
  // Its head (lines 2-14), a marker, and its tail (lines 98-103, where it ends): 20 lines.
  EXPECT_EQ(std::count(e->text.begin(), e->text.end(), '\n'), 19);
  EXPECT_TRUE(e->text.starts_with("function big() {\n  step(0)\n"));
  EXPECT_NE(e->text.find("  step(11)\n  ...\n  step(95)\n"), std::string::npos) << e->text;
  EXPECT_TRUE(e->text.ends_with("  step(99)\n}"));
}

TEST(Excerpt, FewerThanThreeLinesAreNoExcerpt) {
  // Head, marker and tail need three lines at the least.
  EXPECT_FALSE(definition_excerpt("def f():\n    x = 1\n    x = 2\ny = 1\n", "f", 2));
  EXPECT_TRUE(definition_excerpt("def f():\n    x = 1\n    x = 2\ny = 1\n", "f", 3));
}

TEST(Excerpt, WindowsLineEndsAreLineEnds) {
  constexpr std::string_view code =
      "import os\r\n\r\ndef f(x):\r\n    y = x\r\n    return y\r\n\r\nz = 1\r\n";
  EXPECT_EQ(lines_of(code, "f"), "3-5");
  EXPECT_EQ(definition_excerpt(code, "f")->text, "def f(x):\n    y = x\n    return y");
}

// A keyword starts a definition only where a statement starts, and a declaration without a body
// (a prototype, a forward declaration, a typedef of a struct) is not the definition.
TEST(Excerpt, MentionsForwardDeclarationsAndLocalsAreNotTheDefinition) {
  EXPECT_EQ(
      lines_of("class Foo;\nvoid use(Foo* f);\nclass Foo {\n  int x;\n};\nint y;\n", "Foo", "cpp"),
      "3-5");
  EXPECT_EQ(lines_of("typedef struct buf buf_t;\nint n;\nstruct buf {\n  char* p;\n};\nint m;\n",
                     "buf", "c"),
            "3-5");
  EXPECT_EQ(
      lines_of("int run(const Options& options) {\n  return 0;\n}\nint x;\n", "Options", "cpp"),
      "none");
  EXPECT_EQ(lines_of("\"\"\"Use the function tokenize for lexing.\"\"\"\nimport re\n\n"
                     "def tokenize(s):\n    return s.split()\n\nX = 1\n",
                     "tokenize", "python"),
            "4-5");
  // A function beats an earlier local of the same name.
  EXPECT_EQ(lines_of("function render() {\n  const format = 1;\n  return format;\n}\n"
                     "function format(x) {\n  return String(x);\n}\n",
                     "format", "javascript"),
            "5-7");
}

TEST(Excerpt, CommentMarkersFollowTheLanguage) {
  // Floor division in Python is no comment.
  EXPECT_EQ(lines_of("import os\nCENTER = (WIDTH // 2, HEIGHT // 2)\nOTHER = 3\n\ndef f(a):\n"
                     "    return a\n",
                     "CENTER", "python"),
            "2-2");
  // A comment at the start of a line inside a Python body does not end it.
  EXPECT_EQ(lines_of("def f():\n    x = 1\n# y = 2\n    return x\nz = 1\n", "f", "python"), "1-4");
}

TEST(Excerpt, RustGoAndCppShapes) {
  // A Rust lifetime is no character literal.
  EXPECT_EQ(lines_of("use std::fmt;\npub struct Parser<'a> {\n    s: &'a str,\n}\nfn x() {}\n",
                     "Parser", "rust"),
            "2-4");
  EXPECT_EQ(lines_of("use x;\nfn parse<'a>(s: &'a str) -> Tok<'a> {\n    Tok(s)\n}\nfn y() {}\n",
                     "parse", "rust"),
            "2-4");
  // A Go method has its receiver before its name.
  EXPECT_EQ(
      lines_of("package s\n\nfunc (s *Server) Start() error {\n\treturn nil\n}\n\nvar x = 1\n",
               "Start", "go"),
      "3-5");
  // A C++ constructor with an initialiser list.
  EXPECT_EQ(lines_of("#include <x>\nFoo::Foo(int x) :\n    x_(x) {\n  init();\n}\nint y;\n", "Foo",
                     "cpp"),
            "2-5");
}

TEST(Excerpt, ADefinitionThatIsMostOfTheCodeHasNone) {
  EXPECT_EQ(lines_of("# Adds.\n@cache\ndef f(x):\n    y = x + 1\n    z = y * 2\n    return z\n",
                     "f", "python"),
            "none");
}

TEST(Excerpt, BracesInStringsAndCommentsDoNotEndADefinition) {
  constexpr std::string_view code =
      "int a;\n"
      "void f(void) {\n"
      "  puts(\"}\"); // }\n"
      "  /* } */ putchar('}');\n"
      "}\n"
      "int b;\n";
  EXPECT_EQ(lines_of(code, "f"), "2-5");
}

TEST(Excerpt, TheNamesOfAQuestionAreItsNamesInBackticks) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(names_in_question("What does the `Mask` function do?"), Names{"Mask"});
  EXPECT_EQ(names_in_question("What does `parse()` return for `x`?"), (Names{"parse", "x"}));
  EXPECT_EQ(names_in_question("What does `createDebug.enable` do?"), Names{"createDebug.enable"});
  EXPECT_EQ(names_in_question("What does `Foo<T>` hold?"), Names{"Foo"});
  EXPECT_EQ(names_in_question("What does it do?"), Names{});
}

TEST(Excerpt, AQualifiedNameFallsBackToItsLastPart) {
  auto e = excerpt_for_question(k_js, "How does `api.enable` store the names?");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first_line, 14);
  EXPECT_FALSE(excerpt_for_question(k_js, "What does `missing` do?"));
}

// `B.forward` is B's forward, not the first one in the file.
TEST(Excerpt, AQualifiedNameIsLookedForInsideItsQualifierFirst) {
  constexpr std::string_view code =
      "class A:\n"
      "    def forward(self, x):\n"
      "        return x\n"
      "\n"
      "class B:\n"
      "    def forward(self, x):\n"
      "        return -x\n"
      "\n"
      "y = 1\n";
  auto e = excerpt_for_question(code, "What does `B.forward` return?", k_excerpt_lines, "python");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first_line, 6);
  e = excerpt_for_question(code, "What does `B::forward` return?", k_excerpt_lines, "python");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first_line, 6);
  EXPECT_EQ(e->last_line, 7);
}

TEST(Excerpt, EveryNameInBackticksIsTriedInTurnAndGenericsAreDropped) {
  auto e = excerpt_for_question(k_js, "When does `null` come from `emptyTarget`?");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first_line, 2);
  auto g = excerpt_for_question(k_js, "What does `emptyTarget<T>` return?");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->first_line, 2);
}

}  // namespace
}  // namespace g2d::generate
