#include "generate/excerpt.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "core/text.hpp"

namespace g2d::generate {
namespace {

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
    lines.push_back(code.substr(start, end - start));
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

bool is_comment_line(std::string_view line) {
  std::string_view t = trim(line);
  if (t.starts_with("#"))
    return !t.starts_with("#define");
  return t.starts_with("//") || t.starts_with("/*") || t.starts_with("*");
}

bool ends_with_word(std::string_view before, std::string_view word) {
  if (!before.ends_with(word))
    return false;
  std::size_t at = before.size() - word.size();
  return at == 0 || !is_word_char(before[at - 1]);
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
  for (std::string_view word : k_not_declaring) {
    std::size_t at = before.find(word);
    while (at != std::string_view::npos) {
      bool starts = at == 0 || !is_word_char(before[at - 1]);
      bool ends = at + word.size() == before.size() || !is_word_char(before[at + word.size()]);
      if (starts && ends)
        return false;
      at = before.find(word, at + 1);
    }
  }
  return true;
}

// How the statement that starts at (line, col) ends.
struct StatementEnd {
  std::size_t line = 0;      // its last line
  bool brace_block = false;  // it opened a `{` at its top level (and closed it, or ran out)
  bool colon = false;        // its last line ends with ':' at the top level (a Python block)
};

// Counts brackets from (first, col) on, skipping strings and comments, to where the statement
// ends: a `{` block opened at its top level closes, a `;` at its top level, or a line ending at
// its top level that nothing continues (an operator or comma at its end, a `{`, `.`, `?` or `:`
// starting the next line).
StatementEnd statement_end(const std::vector<std::string_view>& lines, std::size_t first,
                           std::size_t col) {
  int depth = 0;
  bool opened = false;
  bool in_block_comment = false;
  std::string_view open_multiline;  // """, ''' or ` while inside one
  for (std::size_t j = first; j < lines.size(); ++j) {
    std::string_view line = lines[j];
    char last = 0;  // the last significant character of the line
    for (std::size_t i = (j == first ? col : 0); i < line.size(); ++i) {
      char c = line[i];
      if (in_block_comment) {
        if (line.substr(i).starts_with("*/")) {
          in_block_comment = false;
          ++i;
        }
        continue;
      }
      if (!open_multiline.empty()) {
        if (line.substr(i).starts_with(open_multiline)) {
          i += open_multiline.size() - 1;
          open_multiline = {};
          last = c;
        } else if (c == '\\') {
          ++i;
        }
        continue;
      }
      std::string_view rest = line.substr(i);
      if (rest.starts_with("/*")) {
        in_block_comment = true;
        ++i;
        continue;
      }
      if (rest.starts_with("//") ||
          (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t') &&
           (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '!')))
        break;
      if (rest.starts_with("\"\"\"") || rest.starts_with("'''") || c == '`') {
        open_multiline = c == '`' ? rest.substr(0, 1) : rest.substr(0, 3);
        i += open_multiline.size() - 1;
        continue;
      }
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
    if (last == ':')
      return {j, false, true};
    bool continued = last == ',' || last == '=' || last == '+' || last == '-' || last == '*' ||
                     last == '/' || last == '|' || last == '&' || last == '?' || last == '\\' ||
                     last == '>';
    std::size_t next = j + 1;
    while (next < lines.size() && blank(lines[next]))
      ++next;
    if (!continued && next < lines.size()) {
      std::string_view t = trim(lines[next]);
      continued = t.starts_with("{") || t.starts_with(".") || t.starts_with("?") ||
                  (t.starts_with(":") && !t.starts_with("::"));
    }
    if (!continued)
      return {j, opened, false};
  }
  return {lines.empty() ? 0 : lines.size() - 1, opened, false};
}

// Where the definition that starts on line `first` at column `col` ends (inclusive), when it is
// one: `needs_block` asks for a `{` block (a call-shaped signature, not a call or a prototype).
std::optional<std::size_t> definition_end(const std::vector<std::string_view>& lines,
                                          std::size_t first, std::size_t col, bool needs_block) {
  StatementEnd end = statement_end(lines, first, col);
  if (needs_block && !end.brace_block)
    return std::nullopt;
  if (!end.colon)
    return end.line;
  // A Python block: every following line indented deeper, blank lines inside it included.
  std::size_t own = indent_of(lines[first]);
  std::size_t last = end.line;
  for (std::size_t k = end.line + 1; k < lines.size(); ++k) {
    if (blank(lines[k]))
      continue;
    if (indent_of(lines[k]) <= own)
      break;
    last = k;
  }
  return last;
}

// How `name` at a place in a line would be defined there.
enum class Defines {
  no,
  keyword,     // `def name`, `function name`, `#define name`, …
  signature,   // `type name(…)`: a definition only when a `{` block follows
  property,    // `name: function …`, `name: (…) =>`
  assignment,  // `name = …`, `obj.name = …`, `size_t name = …`: weaker than the others
};

Defines defines_here(std::string_view line, std::size_t at, std::size_t length) {
  std::string_view before = line.substr(0, at);
  std::string_view after = trim(line.substr(at + length));
  static constexpr std::array<std::string_view, 17> k_keywords{
      "def",   "class", "function", "func",  "fn",  "struct", "enum",  "union",    "interface",
      "trait", "type",  "#define",  "const", "let", "var",    "macro", "function*"};
  std::string_view lead = before;
  while (!lead.empty() && (lead.back() == ' ' || lead.back() == '\t'))
    lead.remove_suffix(1);
  if (lead.size() < before.size()) {  // a space between the keyword and the name
    for (std::string_view keyword : k_keywords) {
      if (ends_with_word(lead, keyword) || (keyword == "#define" && lead.ends_with(keyword)))
        return Defines::keyword;
    }
  }
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

}  // namespace

std::optional<Excerpt> definition_excerpt(std::string_view code, std::string_view name,
                                          int max_lines) {
  if (name.empty() || max_lines < 1)
    return std::nullopt;
  std::vector<std::string_view> lines = split_lines(code);
  std::size_t count = lines.size();
  while (count > 0 && blank(lines[count - 1]))
    --count;
  // Where the definition starts and ends: a keyword, signature or property first; an assignment
  // (`createDebug.enable = enable;`) only when the code has none of those.
  std::optional<std::pair<std::size_t, std::size_t>> found;
  std::optional<std::pair<std::size_t, std::size_t>> assigned;
  for (std::size_t i = 0; i < count && !found; ++i) {
    std::string_view line = lines[i];
    if (is_comment_line(line))
      continue;
    for (std::size_t at = line.find(name); at != std::string_view::npos && !found;
         at = line.find(name, at + 1)) {
      bool whole = (at == 0 || !is_word_char(line[at - 1])) &&
                   (at + name.size() == line.size() || !is_word_char(line[at + name.size()]));
      if (!whole)
        continue;
      Defines kind = defines_here(line, at, name.size());
      if (kind == Defines::no || (kind == Defines::assignment && assigned))
        continue;
      auto end = definition_end(lines, i, at + name.size(), kind == Defines::signature);
      if (!end)
        continue;
      auto range = std::make_pair(i, std::min(*end, count - 1));
      (kind == Defines::assignment ? assigned : found) = range;
    }
  }
  if (!found)
    found = assigned;
  if (!found || (found->first == 0 && found->second == count - 1))
    return std::nullopt;
  auto [first, last] = *found;
  Excerpt e;
  e.first_line = static_cast<int>(first) + 1;
  e.last_line = static_cast<int>(last) + 1;
  std::size_t limit = static_cast<std::size_t>(max_lines);
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

std::string named_in_question(std::string_view question) {
  std::size_t open = question.find('`');
  if (open == std::string_view::npos)
    return "";
  std::size_t close = question.find('`', open + 1);
  if (close == std::string_view::npos)
    return "";
  std::string_view name = question.substr(open + 1, close - open - 1);
  name = name.substr(0, std::min(name.find('('), name.size()));
  return std::string(trim(name));
}

std::optional<Excerpt> excerpt_for_question(std::string_view code, std::string_view question,
                                            int max_lines) {
  std::string name = named_in_question(question);
  if (auto e = definition_excerpt(code, name, max_lines))
    return e;
  std::size_t cut = name.find_last_of(".:>");
  if (cut == std::string::npos)
    return std::nullopt;
  return definition_excerpt(code, std::string_view(name).substr(cut + 1), max_lines);
}

}  // namespace g2d::generate
