// gitignore(5) matching, written from git's documentation and checked against git itself
// (tests/discover/ignore_test.cpp uses `git check-ignore` as the oracle): parsing a pattern into
// a Glob (shared with attributes.cpp through ignore_internal.hpp), the patterns of one source,
// and the stack of every source in a repository with git's precedence.
#include "discover/ignore.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "discover/ignore_internal.hpp"

namespace g2d::discover {
namespace detail {

size_t literal_length(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && !is_glob_special(s[i]))
    ++i;
  return i;
}

std::string_view basename_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// `path` relative to `base` ("" = the root), or nullopt when it is not strictly below it.
std::optional<std::string_view> below(std::string_view path, std::string_view base) {
  if (base.empty())
    return path;
  if (path.size() <= base.size() + 1 || path[base.size()] != '/' ||
      path.substr(0, base.size()) != base)
    return std::nullopt;
  return path.substr(base.size() + 1);
}

// One pattern as gitignore(5) reads it (the line already trimmed): a leading `!` negates, one
// trailing `/` means directories only, a `/` elsewhere anchors it to its directory.
IgnorePattern parse_pattern(std::string_view p) {
  IgnorePattern parsed;
  if (!p.empty() && p.front() == '!') {
    parsed.negative = true;
    p.remove_prefix(1);
  }
  // Whether a leading `*` is followed by no wildcard: decided on the text with its trailing
  // slash, which is no wildcard either.
  const bool star_then_literal =
      !p.empty() && p.front() == '*' && literal_length(p.substr(1)) == p.size() - 1;
  if (!p.empty() && p.back() == '/') {
    parsed.dir_only = true;
    p.remove_suffix(1);
  }
  Glob& g = parsed.glob;
  const size_t literal = literal_length(p);
  if (p.find('/') == std::string_view::npos) {
    if (literal == p.size()) {
      g.kind = Glob::Kind::exact_name;
      g.text = std::string(p);
    } else if (star_then_literal) {
      g.kind = Glob::Kind::name_suffix;
      g.text = std::string(p.substr(1));
    } else {
      g.kind = Glob::Kind::name_glob;
      g.text = std::string(p);
    }
    return parsed;
  }
  g.kind = Glob::Kind::path;
  g.literal = literal;
  if (p.front() == '/') {
    p.remove_prefix(1);
    --g.literal;
  }
  g.text = std::string(p);
  return parsed;
}

}  // namespace detail

using detail::basename_of;
using detail::below;
using detail::for_each_line;
using detail::parse_pattern;

namespace {

// A gitignore line ready to parse, or nullopt for a blank or comment line: a '\r' before the
// newline goes, then trailing spaces unless escaped with a backslash.
std::optional<std::string_view> ignore_line(std::string_view line) {
  if (line.empty() || line.front() == '#')
    return std::nullopt;
  if (line.back() == '\r')
    line.remove_suffix(1);
  size_t end = line.size();
  std::optional<size_t> spaces;  // where the current run of trailing spaces starts
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ') {
      if (!spaces)
        spaces = i;
      continue;
    }
    if (line[i] == '\\' && ++i == line.size())
      return line;  // a lone trailing backslash: nothing is trimmed
    spaces.reset();
  }
  if (spaces)
    end = *spaces;
  line = line.substr(0, end);
  if (line.empty())
    return std::nullopt;
  return line;
}

void add_ignore_line(std::vector<IgnorePattern>& patterns, std::string_view raw) {
  const auto line = ignore_line(raw);
  if (!line)
    return;
  patterns.push_back(parse_pattern(*line));
}

// IgnoreStack keeps a directory's sources (.git/info/exclude, then the root's .gitignore) under
// the directory's name followed by as many NULs as sources were added before: no directory name
// holds a NUL, and the map keeps one directory's sources together, in the order added.
bool is_source_key(std::string_view key, std::string_view dir) {
  return key.size() >= dir.size() && key.substr(0, dir.size()) == dir &&
         key.find_first_not_of('\0', dir.size()) == std::string_view::npos;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// IgnoreList

IgnoreList::IgnoreList() = default;

IgnoreList::IgnoreList(std::string_view text, std::string base) : m_base(std::move(base)) {
  for_each_line(text, [this](std::string_view line) { add_ignore_line(m_patterns, line); });
}

IgnoreList::IgnoreList(const std::vector<std::string>& lines, std::string base)
    : m_base(std::move(base)) {
  for (const auto& line : lines)
    add_ignore_line(m_patterns, line);
}

IgnoreList::~IgnoreList() = default;
IgnoreList::IgnoreList(IgnoreList&&) noexcept = default;
IgnoreList& IgnoreList::operator=(IgnoreList&&) noexcept = default;
IgnoreList::IgnoreList(const IgnoreList&) = default;
IgnoreList& IgnoreList::operator=(const IgnoreList&) = default;

IgnoreMatch IgnoreList::match(std::string_view path, bool is_dir) const {
  const auto rel = below(path, m_base);
  if (!rel)
    return IgnoreMatch::none;
  const std::string_view name = basename_of(*rel);
  for (auto it = m_patterns.rbegin(); it != m_patterns.rend(); ++it) {
    if (it->dir_only && !is_dir)
      continue;
    if (it->glob.matches(*rel, name))
      return it->negative ? IgnoreMatch::included : IgnoreMatch::ignored;
  }
  return IgnoreMatch::none;
}

bool IgnoreList::empty() const {
  return m_patterns.empty();
}

// ---------------------------------------------------------------------------------------------
// IgnoreStack

void IgnoreStack::add(std::string dir, std::string_view text) {
  std::string key = dir;
  while (m_lists.count(key) != 0)
    key += '\0';
  m_lists.emplace(std::move(key), IgnoreList(text, std::move(dir)));
}

IgnoreMatch IgnoreStack::match(std::string_view path, bool is_dir) const {
  if (m_lists.empty())
    return IgnoreMatch::none;
  // The sources of the directories above `path`, deepest first; the first that matches decides.
  std::string_view dir = path;
  while (!dir.empty()) {
    const size_t slash = dir.rfind('/');
    dir = slash == std::string_view::npos ? std::string_view() : dir.substr(0, slash);
    const auto first = m_lists.lower_bound(dir);
    auto it = first;
    while (it != m_lists.end() && is_source_key(it->first, dir))
      ++it;
    while (it != first) {  // the last added first
      --it;
      const IgnoreMatch m = it->second.match(path, is_dir);
      if (m != IgnoreMatch::none)
        return m;
    }
  }
  return IgnoreMatch::none;
}

bool IgnoreStack::is_ignored(std::string_view path, bool is_dir) const {
  if (m_lists.empty())
    return false;
  // As git does, each parent directory from the top, against the lists above it.
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (match(path.substr(0, slash), true) == IgnoreMatch::ignored)
      return true;
  }
  return match(path, is_dir) == IgnoreMatch::ignored;
}

}  // namespace g2d::discover
