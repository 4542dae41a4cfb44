// Sample checks that need no model: is a question one, does an answer repeat its question, does
// a text name something of its code. Thread-safety: pure functions.
#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <unordered_set>

#include "quality/quality.hpp"

namespace g2d::quality {

namespace {

// Words that name nothing specific even where the code holds them as names (sorted).
constexpr std::array<std::string_view, 97> k_plain_words{
    "all",      "also",      "and",      "any",     "are",       "argument", "arguments", "array",
    "call",     "called",    "calls",    "can",     "case",      "cases",    "check",     "class",
    "code",     "const",     "could",    "data",    "default",   "does",     "each",      "else",
    "error",    "errors",    "example",  "export",  "false",     "file",     "for",       "from",
    "function", "functions", "get",      "handle",  "happen",    "happens",  "how",       "import",
    "input",    "int",       "into",     "its",     "let",       "line",     "lines",     "list",
    "method",   "methods",   "more",     "name",    "new",       "not",      "null",      "number",
    "object",   "only",      "other",    "output",  "parameter", "private",  "public",    "purpose",
    "result",   "return",    "returned", "returns", "same",      "set",      "should",    "some",
    "static",   "string",    "than",     "that",    "the",       "then",     "this",      "true",
    "type",     "types",     "use",      "used",    "uses",      "using",    "value",     "values",
    "var",      "variable",  "void",     "what",    "when",      "which",    "why",       "will",
    "with",
};
static_assert(std::is_sorted(k_plain_words.begin(), k_plain_words.end()));

std::set<std::string> word_set(std::string_view text) {
  const std::string norm = normalise(text);
  std::set<std::string> out;
  for (std::string_view word : words_of(norm))
    if (!word.empty())
      out.emplace(word);
  return out;
}

}  // namespace

bool is_question(std::string_view question) {
  while (!question.empty() && std::isspace(static_cast<unsigned char>(question.back())) != 0)
    question.remove_suffix(1);
  return question.ends_with('?');
}

bool echoes_question(std::string_view answer, std::string_view question) {
  std::set<std::string> said = word_set(answer);
  said.erase("answer");
  if (said.empty())
    return false;
  std::set<std::string> asked = word_set(question);
  return std::includes(asked.begin(), asked.end(), said.begin(), said.end());
}

bool names_code(std::string_view text, std::string_view code) {
  if (grounding(text, code).found > 0)
    return true;
  std::unordered_set<std::string_view> names;
  for_each_identifier(code, [&names](std::string_view name) { names.insert(name); });
  bool named = false;
  // A `code span` names code whatever its length (`f0`, `x`): the grounding check claims only
  // names of three characters or more.
  for (size_t open = text.find('`'); open != std::string_view::npos && !named;) {
    size_t close = text.find('`', open + 1);
    if (close == std::string_view::npos)
      break;
    for_each_identifier(text.substr(open + 1, close - open - 1),
                        [&](std::string_view word) { named = named || names.contains(word); });
    open = text.find('`', close + 1);
  }
  for_each_identifier(text, [&](std::string_view word) {
    named =
        named || (word.size() >= 3 && names.contains(word) &&
                  !std::binary_search(k_plain_words.begin(), k_plain_words.end(), normalise(word)));
  });
  return named;
}

}  // namespace g2d::quality
