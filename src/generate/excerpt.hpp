// generate/excerpt.hpp — the lines of a unit's code that define what a question names, quoted
// again right under the question in its answer call.
//
// Why: a small model answering about one function of a file often describes its neighbour, or
// another function's docstring (blind readings of the code model's answers). The whole unit stays
// in the shared prefix; the definition quoted next to the question is what the answer is about.
//
// How, without a parser (any language): the first line on which the name is defined — after a
// definition keyword (`def`, `class`, `function`, `struct`, `#define`, `const`, …), as the target
// of an assignment or initialiser at the start of a statement (`X = …`, `size_t n = …`,
// `module.exports.all = …`), as an object property holding a function (`name: function`), or as
// a call-shaped signature followed by a `{` block (C, C++, JavaScript methods) — and from there
// to the end of the definition: the end of its indented block when its statement ends with `:`
// (Python), else where its brackets close again (`}`, `;`, or the end of a complete line).
// Strings and comments are skipped while brackets are counted. A mention in a comment, a call
// or a prototype is not a definition.
//
// Thread-safety: pure functions. Errors: none; "no excerpt" is std::nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace g2d::generate {

constexpr int k_excerpt_lines = 24;  // at most this many lines are quoted

struct Excerpt {
  int first_line = 0;  // 1-based, within the code given
  int last_line = 0;   // inclusive: the definition's last line
  bool cut = false;    // longer than the lines quoted: its middle is left out
  // The definition's lines without a final newline; a cut one is its first lines, a line "..."
  // (indented as the line it stands for), and its last max_lines / 3 lines: max_lines in all.
  std::string text;
};

// The definition of `name` in `code`; nullopt when none is found, or when it is the whole code
// (quoting it again adds nothing).
std::optional<Excerpt> definition_excerpt(std::string_view code, std::string_view name,
                                          int max_lines = k_excerpt_lines);

// The first name a question writes in backticks, without a call's parentheses ("`parse()`" →
// "parse"); "" when it has none.
std::string named_in_question(std::string_view question);

// The definition of what `question` names; a qualified name (`api.enable`, `Foo::bar`,
// `self.x`) whose whole is not defined falls back to its last part.
std::optional<Excerpt> excerpt_for_question(std::string_view code, std::string_view question,
                                            int max_lines = k_excerpt_lines);

}  // namespace g2d::generate
