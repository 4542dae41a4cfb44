// generate/excerpt.hpp — the lines of a unit's code that define what a question names, quoted
// again right under the question in its answer call.
//
// Why: a small model answering about one function of a file often describes its neighbour, or
// another function's docstring (blind readings of the code model's answers). The whole unit stays
// in the shared prefix; the definition quoted next to the question is what the answer is about.
//
// How, without a parser (any language; `language` as discover names it — "python", "rust", … —
// picks the comment markers and whether ':' opens an indented block; "" allows every rule): the
// first line on which the name is defined — after a definition keyword where a statement starts
// (`def`, `class`, `function`, `fn`, `func`, `struct`, `enum`, `trait`, …, with a body: a
// prototype or a forward declaration is none), a Go method's receiver, `#define`, as a
// call-shaped signature followed by a `{` block (C, C++, JavaScript methods), or as an object
// property holding a function (`name: function`); only when none of those exists, as the target
// of an assignment or initialiser at the start of a statement (`X = …`, `const x = …`,
// `size_t n = …`, `module.exports.all = …`) — and from there to the end of the definition: the
// end of its indented block when its statement ends with `:` (Python), else where its brackets
// close again (`}`, `;`, or the end of a complete line). Strings and comments are skipped while
// brackets are counted; Windows line ends are line ends.
//
// Thread-safety: pure functions. Errors: none; "no excerpt" is std::nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The definition of `name` in `code`; nullopt when none is found, when the rest of the code is
// only comments, decorators and blank lines (quoting it again adds nothing), or when max_lines is
// under 3 (a cut excerpt's head, marker and tail).
std::optional<Excerpt> definition_excerpt(std::string_view code, std::string_view name,
                                          int max_lines = k_excerpt_lines,
                                          std::string_view language = "");

// The names a question writes in backticks, in order, without a call's parentheses or generic
// arguments ("`parse()`" → "parse", "`Foo<T>`" → "Foo").
std::vector<std::string> names_in_question(std::string_view question);

// The definition of the first name of `question` that the code defines. A qualified name
// (`B.forward`, `Foo::bar`, `self.x`) whose whole is not defined is looked for as its last part
// inside its qualifier's definition first, then anywhere.
std::optional<Excerpt> excerpt_for_question(std::string_view code, std::string_view question,
                                            int max_lines = k_excerpt_lines,
                                            std::string_view language = "");

}  // namespace g2d::generate
