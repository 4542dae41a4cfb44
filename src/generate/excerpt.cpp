#include "generate/excerpt.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "core/text.hpp"

namespace g2d::generate {
namespace {

// What the scanner needs to know of a language; an unknown one ("") gets every rule.
struct Syntax {
  bool hash_comments = true;   // '#' starts a comment (Python, Ruby, shell, …)
  bool slash_comments = true;  // '//' and '/* */' (C, C++, JavaScript, Go, Rust, …)
  bool colon_blocks = true;    // a statement ending in ':' opens an indented block (Python)
  bool lifetimes = false;      // 'a is a Rust lifetime, not a character literal
};

Syntax syntax_of(std::string_view language) {
  if (language.empty())
    return {};
  if (language == "python" || language == "starlark")
    return {true, false, true, false};
  static constexpr std::array<std::string_view, 9> k_hash{
      "ruby", "shell", "r", "julia", "elixir", "nim", "cmake", "meson", "just"};
  if (std::find(k_hash.begin(), k_hash.end(), language) != k_hash.end())
    return {true, false, false, false};
  return {false, true, false, language == "rust"};
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

std::vector<std::string_view> split_lines(std::string_view code) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < code.size()) {
    std::size_t end = code.find('\n', start);
    if (end == std::string_view::npos)
      end = code.size();
    std::string_view line = code.substr(start, end - start);
    if (line.ends_with('\r'))
      line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::size_t indent_of(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t'))
    ++n;
  return n;
}

bool blank(std::string_view line) {
  return indent_of(line) == line.size();
}

bool is_comment_line(std::string_view line, const Syntax& syntax) {
  std::string_view t = trim(line);
  if (t.starts_with("#"))  // a comment, or a preprocessor line: only #define defines
    return !t.starts_with("#define");
  return syntax.slash_comments &&
         (t.starts_with("//") || t.starts_with("/*") || t.starts_with("*"));
}

bool only_words(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is_word_char(c) || c == ' ' || c == '\t'; });
}

// Where `word` next stands as a whole word in `text` at or after `from`; npos when nowhere.
std::size_t find_word(std::string_view text, std::string_view word, std::size_t from = 0) {
  for (std::size_t at = text.find(word, from); at != std::string_view::npos;
       at = text.find(word, at + 1)) {
    bool starts = at == 0 || !is_word_char(text[at - 1]);
    bool ends = at + word.size() == text.size() || !is_word_char(text[at + word.size()]);
    if (starts && ends)
      return at;
  }
  return std::string_view::npos;
}

// `before` is a declaration's or an assignment's left side up to the name: words, spaces, `*`,
// `&`, `.`, `::`, `<>`, `[]` — no call, operator or keyword that makes it an expression.
bool declaration_like(std::string_view before) {
  for (char c : before) {
    if (!(is_word_char(c) || c == ' ' || c == '\t' || c == '*' || c == '&' || c == '.' ||
          c == ':' || c == '<' || c == '>' || c == '[' || c == ']'))
      return false;
  }
  static constexpr std::array<std::string_view, 16> k_not_declaring{
      "return", "if",    "while", "for", "elif", "else", "switch", "case",
      "await",  "throw", "yield", "not", "and",  "or",   "in",     "new"};
  return std::none_of(k_not_declaring.begin(), k_not_declaring.end(), [&](std::string_view word) {
    return find_word(before, word) != std::string_view::npos;
  });
}

// How the statement that starts at (line, col) ends.
struct StatementEnd {
  std::size_t line = 0;      // its last line
  bool brace_block = false;  // it opened a `{` at its top level (and closed it, or ran out)
  bool colon = false;        // its last line ends with ':' at the top level (a Python block)
};

// Counts brackets from (first, col) on, skipping strings and comments, to where the statement
// ends: a `{` block opened at its top level closes, a `;` at its top level, or a line ending at
// its top level that nothing continues (an operator or comma at its end; a `{`, `.`, `?`, `:` or
// `where` starting the next line).
StatementEnd statement_end(const std::vector<std::string_view>& lines, std::size_t first,
                           std::size_t col, const Syntax& syntax) {
  int depth = 0;
  bool opened = false;
  bool in_block_comment = false;
  std::string_view open_multiline;  // """, ''' or ` while inside one
  for (std::size_t j = first; j < lines.size(); ++j) {
    std::string_view line = lines[j];
    char last = 0;  // the last significant character of the line
    for (std::size_t i = (j == first ? col : 0); i < line.size(); ++i) {
      char c = line[i];
      std::string_view rest = line.substr(i);
      if (in_block_comment) {
        if (rest.starts_with("*/")) {
          in_block_comment = false;
          ++i;
        }
        continue;
      }
      if (!open_multiline.empty()) {
        if (rest.starts_with(open_multiline)) {
          i += open_multiline.size() - 1;
          open_multiline = {};
          last = c;
        } else if (c == '\\') {
          ++i;
        }
        continue;
      }
      if (syntax.slash_comments && rest.starts_with("/*")) {
        in_block_comment = true;
        ++i;
        continue;
      }
      if (syntax.slash_comments && rest.starts_with("//"))
        break;
      if (c == '#' && syntax.hash_comments &&
          (syntax.colon_blocks || !syntax.slash_comments ||  // a language of '#' comments
           ((i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t') &&
            (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '!'))))
        break;
      if (rest.starts_with("\"\"\"") || rest.starts_with("'''") || c == '`') {
        open_multiline = c == '`' ? rest.substr(0, 1) : rest.substr(0, 3);
        i += open_multiline.size() - 1;
        continue;
      }
      if (c == '\'' && syntax.lifetimes && i + 2 < line.size() && is_word_char(line[i + 1]) &&
          line[i + 2] != '\'')
        continue;  // 'a, 'static
      if (c == '"' || c == '\'') {
        std::size_t k = i + 1;
        while (k < line.size() && line[k] != c)
          k += line[k] == '\\' ? 2 : 1;
        i = std::min(k, line.size());
        last = c;
        continue;
      }
      if (c == ' ' || c == '\t')
        continue;
      last = c;
      if (c == '(' || c == '[' || c == '{') {
        if (c == '{' && depth == 0)
          opened = true;
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        depth = std::max(0, depth - 1);
        if (depth == 0 && c == '}' && opened)
          return {j, true, false};
      } else if (c == ';' && depth == 0) {
        return {j, opened, false};
      }
    }
    if (depth > 0 || in_block_comment || !open_multiline.empty())
      continue;
    if (last == ':' && syntax.colon_blocks)
      return {j, false, true};
    bool continued = last == ',' || last == '=' || last == '+' || last == '-' || last == '*' ||
                     last == '/' || last == '|' || last == '&' || last == '?' || last == '\\' ||
                     last == '>' || last == ':';
    std::size_t next = j + 1;
    while (next < lines.size() && blank(lines[next]))
      ++next;
    if (!continued && next < lines.size()) {
      std::string_view t = trim(lines[next]);
      continued = t.starts_with("{") || t.starts_with(".") || t.starts_with("?") ||
                  (t.starts_with(":") && !t.starts_with("::")) || t == "where" ||
                  t.starts_with("where ");
    }
    if (!continued)
      return {j, opened, false};
  }
  return {lines.empty() ? 0 : lines.size() - 1, opened, false};
}

// How `name` at a place in a line would be defined there.
enum class Defines {
  no,
  keyword,     // `def name(`, `class Name`, `function name(`, `struct name {`: needs a block
  define,      // `#define NAME`
  signature,   // `type name(…)`: a definition only when a `{` block follows
  property,    // `name: function …`, `name: (…) =>`
  assignment,  // `name = …`, `const name = …`, `obj.name = …`, `size_t name = …`: weaker
};

Defines defines_here(std::string_view line, std::size_t at, std::size_t length) {
  std::string_view before = line.substr(0, at);
  std::string_view after = trim(line.substr(at + length));
  std::string_view lead = before;
  while (!lead.empty() && (lead.back() == ' ' || lead.back() == '\t'))
    lead.remove_suffix(1);
  if (lead.ends_with("#define") && lead.size() < before.size())
    return Defines::define;
  // `keyword name`, the keyword where a statement starts (modifiers before it: `export`, `pub`,
  // `static`, `async`, `typedef`), or `function` in an expression (`x = function name(`).
  static constexpr std::array<std::string_view, 12> k_keywords{
      "def",  "class", "function",  "func",  "fn",    "struct",
      "enum", "union", "interface", "trait", "macro", "function*"};
  if (lead.size() < before.size()) {
    for (std::string_view keyword : k_keywords) {
      if (!lead.ends_with(keyword))
        continue;
      std::string_view start = lead.substr(0, lead.size() - keyword.size());
      if (!start.empty() && is_word_char(start.back()))
        continue;
      std::string_view t = trim(start);
      bool expression = keyword.starts_with("function") &&
                        (t.ends_with("=") || t.ends_with(":") || t.ends_with("(") ||
                         t.ends_with(",") || t.ends_with("return"));
      if (!only_words(t) && !expression)
        continue;
      bool callable = keyword == "def" || keyword == "func" || keyword == "fn" ||
                      keyword.starts_with("function") || keyword == "macro";
      if (callable && !(after.starts_with("(") || after.starts_with("<")))
        return Defines::no;  // "the function tokenize for lexing"
      return Defines::keyword;
    }
  }
  // A Go method: `func (s *Server) Start(`.
  if (std::string_view t = trim(before); t.starts_with("func") && t.ends_with(")") &&
                                         t.size() > 4 && !is_word_char(t[4]) &&
                                         after.starts_with("("))
    return Defines::keyword;
  if (!declaration_like(before))
    return Defines::no;
  // `name = …`, `name: T = …` (not `==`, `=>`), `name: function`, `name: (…) =>`.
  if (after.starts_with("=") && !after.starts_with("==") && !after.starts_with("=>"))
    return Defines::assignment;
  if (after.starts_with(":") && !after.starts_with("::")) {
    std::string_view value = trim(after.substr(1));
    std::size_t eq = value.find('=');
    if (value.starts_with("function") || value.starts_with("async") || value.starts_with("("))
      return Defines::property;
    if (eq != std::string_view::npos && value.substr(eq).starts_with("=") &&
        !value.substr(eq).starts_with("==") && !value.substr(eq).starts_with("=>") &&
        before.find_first_not_of(" \t") == std::string_view::npos)
      return Defines::assignment;  // `name: int = 3`
    return Defines::no;
  }
  // A signature: `type name(…) {` or `name(…) {` — not a method call on an object.
  if (after.starts_with("(") && !lead.ends_with("."))
    return Defines::signature;
  return Defines::no;
}

using Range = std::pair<std::size_t, std::size_t>;  // first and last line, 0-based, inclusive

// Where the definition that starts on line `first` at column `col` ends, when it is one.
std::optional<std::size_t> definition_end(const std::vector<std::string_view>& lines,
                                          std::size_t first, std::size_t col, Defines kind,
                                          const Syntax& syntax) {
  StatementEnd end = statement_end(lines, first, col, syntax);
  bool block = end.brace_block || end.colon;
  if ((kind == Defines::keyword || kind == Defines::signature) && !block)
    return std::nullopt;  // a prototype, a forward declaration, `typedef struct a b;`
  if (kind == Defines::signature && !end.brace_block)
    return std::nullopt;
  if (!end.colon)
    return end.line;
  // An indented block: every following line indented deeper, blank lines and comments inside it.
  std::size_t own = indent_of(lines[first]);
  std::size_t last = end.line;
  for (std::size_t k = end.line + 1; k < lines.size(); ++k) {
    if (blank(lines[k]) || (syntax.hash_comments && trim(lines[k]).starts_with("#")))
      continue;
    if (indent_of(lines[k]) <= own)
      break;
    last = k;
  }
  return last;
}

// The lines [from, to) of `lines` that define `name` (the definition ends before `to`): a
// keyword, signature or property first; an assignment (`createDebug.enable = enable;`) only when
// there is none of those.
std::optional<Range> find_definition(const std::vector<std::string_view>& lines, std::size_t from,
                                     std::size_t to, std::string_view name, const Syntax& syntax) {
  if (name.empty())
    return std::nullopt;
  std::optional<Range> assigned;
  for (std::size_t i = from; i < to; ++i) {
    std::string_view line = lines[i];
    if (is_comment_line(line, syntax))
      continue;
    for (std::size_t at = find_word(line, name); at != std::string_view::npos;
         at = find_word(line, name, at + 1)) {
      Defines kind = defines_here(line, at, name.size());
      if (kind == Defines::no || (kind == Defines::assignment && assigned))
        continue;
      auto end = definition_end(lines, i, at + name.size(), kind, syntax);
      if (!end)
        continue;
      Range range{i, std::min(*end, to - 1)};
      if (kind != Defines::assignment)
        return range;
      assigned = range;
    }
  }
  return assigned;
}

std::size_t content_lines(const std::vector<std::string_view>& lines) {
  std::size_t count = lines.size();
  while (count > 0 && blank(lines[count - 1]))
    --count;
  return count;
}

// The excerpt of `range`; nullopt when the rest of the code is only comments, decorators and
// blank lines (the definition is the code: quoting it again adds nothing).
std::optional<Excerpt> excerpt_of(const std::vector<std::string_view>& lines, std::size_t count,
                                  Range range, int max_lines, const Syntax& syntax) {
  auto [first, last] = range;
  bool rest_is_trivia = true;
  for (std::size_t k = 0; k < count && rest_is_trivia; ++k) {
    if (k >= first && k <= last)
      continue;
    rest_is_trivia =
        blank(lines[k]) || is_comment_line(lines[k], syntax) || trim(lines[k]).starts_with("@");
  }
  if (rest_is_trivia)
    return std::nullopt;
  Excerpt e;
  e.first_line = static_cast<int>(first) + 1;
  e.last_line = static_cast<int>(last) + 1;
  auto limit = static_cast<std::size_t>(max_lines);
  e.cut = last - first + 1 > limit;
  // A cut definition keeps its head and its tail (where it returns), a marker between them.
  std::size_t tail = e.cut ? limit / 3 : 0;
  std::size_t head_end = e.cut ? first + (limit - tail - 1) - 1 : last;
  for (std::size_t k = first; k <= head_end; ++k) {
    if (k > first)
      e.text += '\n';
    e.text += lines[k];
  }
  if (e.cut) {
    std::string_view next = lines[head_end + 1];
    e.text += '\n';
    e.text += next.substr(0, indent_of(next));
    e.text += "...";
    for (std::size_t k = last - tail + 1; k <= last; ++k) {
      e.text += '\n';
      e.text += lines[k];
    }
  }
  return e;
}

// What follows the last `.`, `::` or `->` of a qualified name (all of it when it has none).
std::string_view last_part(std::string_view name) {
  std::size_t cut = name.find_last_of(".:>");
  return cut == std::string_view::npos ? name : name.substr(cut + 1);
}

// `Foo<T>` → `Foo`, `parse()` → `parse`.
std::string_view bare_name(std::string_view name) {
  name = name.substr(0, std::min({name.find('('), name.find('<'), name.size()}));
  return trim(name);
}

// A unit's code as lines, with its language's rules.
struct Source {
  Source(std::string_view code, std::string_view language)
      : syntax(syntax_of(language)), lines(split_lines(code)), count(content_lines(lines)) {}

  // The definition of `name`, inside `within` when given.
  std::optional<Range> find(std::string_view name, std::optional<Range> within = {}) const {
    return within ? find_definition(lines, within->first, within->second + 1, name, syntax)
                  : find_definition(lines, 0, count, name, syntax);
  }
  std::optional<Excerpt> excerpt(Range range, int max_lines) const {
    return excerpt_of(lines, count, range, max_lines, syntax);
  }

  Syntax syntax;
  std::vector<std::string_view> lines;
  std::size_t count;
};

}  // namespace

std::optional<Excerpt> definition_excerpt(std::string_view code, std::string_view name,
                                          int max_lines, std::string_view language) {
  if (max_lines < 3)
    return std::nullopt;
  Source source(code, language);
  auto range = source.find(name);
  return range ? source.excerpt(*range, max_lines) : std::nullopt;
}

std::vector<std::string> names_in_question(std::string_view question) {
  std::vector<std::string> names;
  std::size_t open = question.find('`');
  while (open != std::string_view::npos) {
    std::size_t close = question.find('`', open + 1);
    if (close == std::string_view::npos)
      break;
    if (std::string_view name = bare_name(question.substr(open + 1, close - open - 1));
        !name.empty())
      names.emplace_back(name);
    open = question.find('`', close + 1);
  }
  return names;
}

std::optional<Excerpt> excerpt_for_question(std::string_view code, std::string_view question,
                                            int max_lines, std::string_view language) {
  if (max_lines < 3)
    return std::nullopt;
  Source source(code, language);
  for (const std::string& name : names_in_question(question)) {
    if (auto range = source.find(name))
      return source.excerpt(*range, max_lines);
    std::string_view member = last_part(name);
    if (member.size() == name.size())
      continue;
    // `B.forward`: B's own `forward` first, then any.
    std::string_view qualifier = std::string_view(name).substr(0, name.size() - member.size());
    while (!qualifier.empty() && (qualifier.back() == '.' || qualifier.back() == ':' ||
                                  qualifier.back() == '-' || qualifier.back() == '>'))
      qualifier.remove_suffix(1);
    if (auto outer = source.find(last_part(qualifier))) {
      if (auto range = source.find(member, outer))
        return source.excerpt(*range, max_lines);
    }
    if (auto range = source.find(member))
      return source.excerpt(*range, max_lines);
  }
  return std::nullopt;
}

}  // namespace g2d::generate
