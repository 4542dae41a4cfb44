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

std::string lines_of(std::string_view code, std::string_view name) {
  auto e = definition_excerpt(code, name);
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

TEST(Excerpt, ANameThatIsOnlyUsedOrNotThereHasNone) {
  EXPECT_EQ(lines_of(k_c, "argc"), "6-6");  // a declaration with an initialiser
  EXPECT_EQ(lines_of(k_c, "napi_value"), "none");
  EXPECT_EQ(lines_of(k_python, "group"), "none");
  EXPECT_EQ(lines_of(k_js, "missing"), "none");
  EXPECT_EQ(lines_of(k_js, ""), "none");
}

TEST(Excerpt, ADefinitionThatIsTheWholeCodeHasNone) {
  // Quoting the whole unit again under the question adds nothing.
  EXPECT_EQ(lines_of("def f(x):\n    return x\n", "f"), "none");
}

TEST(Excerpt, ALongDefinitionIsCutToItsFirstLines) {
  std::string code = "x = 1\nfunction big() {\n";
  for (int i = 0; i < 100; ++i)
    code += "  step(" + std::to_string(i) + ")\n";
  code += "}\n";
  auto e = definition_excerpt(code, "big", 20);
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

TEST(Excerpt, TheNameOfAQuestionIsItsFirstNameInBackticks) {
  EXPECT_EQ(named_in_question("What does the `Mask` function do?"), "Mask");
  EXPECT_EQ(named_in_question("What does `parse()` return for `x`?"), "parse");
  EXPECT_EQ(named_in_question("What does `createDebug.enable` do?"), "createDebug.enable");
  EXPECT_EQ(named_in_question("What does it do?"), "");
}

TEST(Excerpt, AQualifiedNameFallsBackToItsLastPart) {
  auto e = excerpt_for_question(k_js, "How does `api.enable` store the names?");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first_line, 14);
  EXPECT_FALSE(excerpt_for_question(k_js, "What does `missing` do?"));
}

}  // namespace
}  // namespace g2d::generate
