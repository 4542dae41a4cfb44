// gitattributes(5) for the two attributes discovery reads, linguist-generated and
// linguist-vendored, written from git's documentation and checked against `git check-attr`
// (tests/discover/attributes_test.cpp): one line parsed as git's attribute parser does (C-quoted
// patterns, macro lines, invalid names dropping the whole line), then deeper files and later
// lines deciding first. Patterns match as gitignore's do (ignore_internal.hpp).
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "discover/ignore.hpp"
#include "discover/ignore_internal.hpp"

namespace g2d::discover {

using detail::basename_of;
using detail::below;
using detail::for_each_line;
using detail::parse_pattern;

namespace {

constexpr std::string_view k_blank = " \t\r\n";
constexpr size_t k_max_attr_line = 2048;  // git ignores longer lines

bool valid_attr_name(std::string_view name) {
  if (name.empty() || name.front() == '-')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '-' || c == '.' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
  });
}

// C-style unquoting of a pattern that starts with '"', as git's attribute parser does: the text
// and what follows the closing quote, or nullopt when the quoting is malformed.
std::optional<std::pair<std::string, std::string_view>> unquote(std::string_view s) {
  std::string out;
  size_t i = 1;
  while (i < s.size()) {
    const char c = s[i++];
    if (c == '"')
      return std::pair{std::move(out), s.substr(i)};
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= s.size())
      return std::nullopt;
    const char e = s[i++];
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '"':
        out += e;
        break;
      default: {
        if (e < '0' || e > '3' || i + 2 > s.size())
          return std::nullopt;
        const char d2 = s[i];
        const char d3 = s[i + 1];
        if (d2 < '0' || d2 > '7' || d3 < '0' || d3 > '7')
          return std::nullopt;
        i += 2;
        out += static_cast<char>(((e - '0') << 6) | ((d2 - '0') << 3) | (d3 - '0'));
      }
    }
  }
  return std::nullopt;
}

// One .gitattributes line, or nullopt when it cannot affect the linguist attributes: blank,
// comment, too long, a macro definition, an invalid attribute name anywhere on the line (git
// drops the whole line), a negative pattern (git warns and ignores it), a directory pattern
// (it never matches a file), or no linguist attribute.
std::optional<AttrLine> parse_attr_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  const size_t start = line.find_first_not_of(k_blank);
  if (start == std::string_view::npos || line[start] == '#')
    return std::nullopt;
  if (line.size() >= k_max_attr_line)
    return std::nullopt;
  std::string_view rest = line.substr(start);
  std::string pattern;
  std::optional<std::pair<std::string, std::string_view>> quoted;
  if (rest.front() == '"')
    quoted = unquote(rest);
  if (quoted) {
    pattern = std::move(quoted->first);
    if (const size_t nul = pattern.find('\0'); nul != std::string::npos)
      pattern.resize(nul);  // a NUL from `\000` ends it, as in C
    rest = quoted->second;
  } else {
    const size_t end = std::min(rest.find_first_of(k_blank), rest.size());
    pattern = std::string(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  constexpr std::string_view macro_prefix = "[attr]";
  if (pattern.size() > macro_prefix.size() &&
      pattern.compare(0, macro_prefix.size(), macro_prefix) == 0)
    return std::nullopt;

  AttrLine parsed;
  bool any_linguist = false;
  for (;;) {
    const size_t begin = rest.find_first_not_of(k_blank);
    if (begin == std::string_view::npos)
      break;
    rest.remove_prefix(begin);
    const size_t end = std::min(rest.find_first_of(k_blank), rest.size());
    std::string_view token = rest.substr(0, end);
    rest.remove_prefix(end);
    const size_t equals = token.find('=');
    std::string_view attr = token.substr(0, equals);
    AttrState state = AttrState::set;
    if (!attr.empty() && (attr.front() == '-' || attr.front() == '!')) {
      state = attr.front() == '-' ? AttrState::unset : AttrState::unspecified;
      attr.remove_prefix(1);
    } else if (equals != std::string_view::npos && token.substr(equals + 1) == "false") {
      state = AttrState::unset;  // any other value counts as set, as linguist reads it
    }
    if (!valid_attr_name(attr))
      return std::nullopt;
    if (attr == "linguist-generated") {
      parsed.generated = state;  // the last one on the line wins
      any_linguist = true;
    } else if (attr == "linguist-vendored") {
      parsed.vendored = state;
      any_linguist = true;
    }
  }
  IgnorePattern p = parse_pattern(pattern);
  if (!any_linguist || p.negative || p.dir_only)
    return std::nullopt;
  parsed.glob = std::move(p.glob);
  return parsed;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// AttributeStack

AttributeStack::AttributeStack() = default;
AttributeStack::~AttributeStack() = default;
AttributeStack::AttributeStack(AttributeStack&&) noexcept = default;
AttributeStack& AttributeStack::operator=(AttributeStack&&) noexcept = default;

void AttributeStack::add(std::string dir, std::string_view text) {
  std::vector<AttrLine>& lines = m_files[std::move(dir)];  // a second add appends: it wins
  for_each_line(text, [&lines](std::string_view line) {
    if (auto parsed = parse_attr_line(line))
      lines.push_back(std::move(*parsed));
  });
}

LinguistAttrs AttributeStack::linguist(std::string_view path) const {
  std::optional<AttrState> generated;
  std::optional<AttrState> vendored;
  const std::string_view name = basename_of(path);
  // Deepest file first, last line first; the first line that says something about an
  // attribute decides it.
  std::string_view dir = path;
  while (!dir.empty() && !(generated && vendored)) {
    const size_t slash = dir.rfind('/');
    dir = slash == std::string_view::npos ? std::string_view() : dir.substr(0, slash);
    const auto it = m_files.find(dir);
    if (it == m_files.end())
      continue;
    const auto rel = below(path, dir);
    if (!rel)
      continue;
    for (auto line = it->second.rbegin(); line != it->second.rend(); ++line) {
      if ((generated || !line->generated) && (vendored || !line->vendored))
        continue;
      if (!line->glob.matches(*rel, name))
        continue;
      if (!generated)
        generated = line->generated;
      if (!vendored)
        vendored = line->vendored;
      if (generated && vendored)
        break;
    }
  }
  return {generated.value_or(AttrState::unspecified), vendored.value_or(AttrState::unspecified)};
}

}  // namespace g2d::discover
