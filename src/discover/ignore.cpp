// gitignore(5) and gitattributes(5) matching, written from git's documentation and checked
// against git itself (tests/discover/ignore_test.cpp and attributes_test.cpp use `git
// check-ignore` and `git check-attr` as the oracle).
//
// Each pattern is parsed once into a Glob that knows which of three cheap paths it can take: a
// basename compared as a string, a basename compared by suffix (`*.o`), or wildmatch — for an
// anchored pattern only after its literal prefix (the text before the first `*?[\`) compared
// equal. Matching allocates nothing.
#include "discover/ignore.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace g2d::discover {
namespace {

// ---------------------------------------------------------------------------------------------
// wildmatch

bool is_glob_special(char c) {
  return c == '*' || c == '?' || c == '[' || c == '\\';
}

// The outcome of matching from one position. `abort_all` and `abort_to_double_star` are no-match
// results that also tell enclosing `*` loops that trying further text cannot help (the text ran
// out; a `*` confined to one directory reached a `/`), which keeps matching linear in practice.
enum class Wild : std::uint8_t { match, no_match, abort_all, abort_to_double_star };

enum class Bracket : std::uint8_t { hit, miss, malformed };

// `[:name:]` holds `c`? nullopt for an unknown class name. ASCII only, as in git.
std::optional<bool> in_class(std::string_view name, unsigned char c) {
  const bool ascii = c < 0x80;
  const bool upper = c >= 'A' && c <= 'Z';
  const bool lower = c >= 'a' && c <= 'z';
  const bool digit = c >= '0' && c <= '9';
  const bool alpha = upper || lower;
  const bool graph = c >= 0x21 && c <= 0x7e;
  if (name == "alnum")
    return alpha || digit;
  if (name == "alpha")
    return alpha;
  if (name == "blank")
    return c == ' ' || c == '\t';
  if (name == "cntrl")
    return ascii && (c < 0x20 || c == 0x7f);
  if (name == "digit")
    return digit;
  if (name == "graph")
    return graph;
  if (name == "lower")
    return lower;
  if (name == "print")
    return graph || c == ' ';
  if (name == "punct")
    return graph && !alpha && !digit;
  if (name == "space")
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  if (name == "upper")
    return upper;
  if (name == "xdigit")
    return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  return std::nullopt;
}

// git's wildmatch with WM_PATHNAME over one pattern and one text. Positions past the end read as
// '\0', as in the C strings git works on.
class Wildmatcher {
 public:
  Wildmatcher(std::string_view pattern, std::string_view text) : m_p(pattern), m_t(text) {}

  Wild run(size_t pi, size_t ti) const {
    for (; pi < m_p.size(); ++pi, ++ti) {
      const char p = m_p[pi];
      if (ti >= m_t.size() && p != '*')
        return Wild::abort_all;
      const char t = ti < m_t.size() ? m_t[ti] : '\0';
      switch (p) {
        case '\\':
          // The next character literally; a backslash ending the pattern matches nothing.
          if (++pi >= m_p.size() || m_p[pi] != t)
            return Wild::no_match;
          break;
        case '?':
          if (t == '/')
            return Wild::no_match;
          break;
        case '[': {
          ++pi;
          const Bracket b = bracket(pi, static_cast<unsigned char>(t));
          if (b == Bracket::malformed)
            return Wild::abort_all;
          if (b == Bracket::miss || t == '/')
            return Wild::no_match;
          break;  // pi is on the closing ']'
        }
        case '*':
          return star(pi, ti);
        default:
          if (p != t)
            return Wild::no_match;
          break;
      }
    }
    return ti < m_t.size() ? Wild::no_match : Wild::match;
  }

 private:
  char pat(size_t i) const { return i < m_p.size() ? m_p[i] : '\0'; }

  // `*`, `**` or a longer run of stars at m_p[pi], text from ti.
  Wild star(size_t pi, size_t ti) const {
    const size_t first = pi;
    bool crosses_slash = false;
    ++pi;
    if (pat(pi) == '*') {
      while (pat(pi) == '*')
        ++pi;
      // Two or more stars are `**` only as a whole path component; otherwise they are one `*`.
      const bool starts_component = first == 0 || m_p[first - 1] == '/';
      const bool ends_component =
          pi == m_p.size() || m_p[pi] == '/' || (m_p[pi] == '\\' && pat(pi + 1) == '/');
      if (starts_component && ends_component) {
        // `**/` may match no directory at all: try the rest right here first.
        if (pat(pi) == '/' && run(pi + 1, ti) == Wild::match)
          return Wild::match;
        crosses_slash = true;
      }
    }
    if (pi == m_p.size()) {
      if (!crosses_slash && m_t.find('/', ti) != std::string_view::npos)
        return Wild::no_match;
      return Wild::match;
    }
    if (!crosses_slash && m_p[pi] == '/') {
      // `*/`: the star takes exactly the rest of this path component.
      const size_t slash = m_t.find('/', ti);
      if (slash == std::string_view::npos)
        return Wild::no_match;
      return run(pi, slash);
    }
    const char next = m_p[pi];
    for (; ti < m_t.size(); ++ti) {
      if (!is_glob_special(next)) {
        // A literal follows: skip text up to its next occurrence (within the component).
        while (ti < m_t.size() && m_t[ti] != next && (crosses_slash || m_t[ti] != '/'))
          ++ti;
        if (ti == m_t.size() || m_t[ti] != next)
          return Wild::no_match;
      }
      const Wild rest = run(pi, ti);
      if (rest != Wild::no_match) {
        if (!crosses_slash || rest != Wild::abort_to_double_star)
          return rest;
      } else if (!crosses_slash && m_t[ti] == '/') {
        return Wild::abort_to_double_star;
      }
    }
    return Wild::abort_all;
  }

  // A bracket expression whose first member is at m_p[pi]; leaves pi on its closing ']'. The
  // first member (after `!` or `^`) may be `]`; `-` between two members is a range, elsewhere a
  // member; `\` escapes; `[:name:]` is a POSIX class.
  Bracket bracket(size_t& pi, unsigned char t) const {
    bool negated = false;
    if (pat(pi) == '!' || pat(pi) == '^') {
      negated = true;
      ++pi;
    }
    bool hit = false;
    unsigned char prev = 0;  // the previous member, 0 when it cannot start a range
    for (bool first = true; first || pat(pi) != ']'; first = false, ++pi) {
      auto c = static_cast<unsigned char>(pat(pi));
      if (c == '\0')
        return Bracket::malformed;
      if (c == '\\') {
        c = static_cast<unsigned char>(pat(++pi));
        if (c == '\0')
          return Bracket::malformed;
        hit = hit || t == c;
        prev = c;
      } else if (c == '-' && prev != 0 && pat(pi + 1) != '\0' && pat(pi + 1) != ']') {
        auto high = static_cast<unsigned char>(pat(++pi));
        if (high == '\\') {
          high = static_cast<unsigned char>(pat(++pi));
          if (high == '\0')
            return Bracket::malformed;
        }
        hit = hit || (t >= prev && t <= high);
        prev = 0;
      } else if (c == '[' && pat(pi + 1) == ':') {
        const size_t name_begin = pi + 2;
        size_t close = name_begin;
        while (pat(close) != '\0' && pat(close) != ']')
          ++close;
        if (pat(close) == '\0')
          return Bracket::malformed;
        if (close == name_begin || m_p[close - 1] != ':') {
          hit = hit || t == '[';  // no `:]`: a plain '['
          prev = '[';
          continue;
        }
        const auto member = in_class(m_p.substr(name_begin, close - 1 - name_begin), t);
        if (!member)
          return Bracket::malformed;
        hit = hit || *member;
        pi = close;
        prev = 0;
      } else {
        hit = hit || t == c;
        prev = c;
      }
    }
    return hit != negated ? Bracket::hit : Bracket::miss;
  }

  std::string_view m_p;
  std::string_view m_t;
};

bool wild(std::string_view pattern, std::string_view text) {
  return Wildmatcher(pattern, text).run(0, 0) == Wild::match;
}

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

// The part of a gitignore or gitattributes pattern that decides whether a path matches.
struct Glob {
  enum class Kind : std::uint8_t {
    exact_name,   // no slash, no wildcard: the basename equals `text`
    name_suffix,  // no slash, `*` then no wildcard: the basename ends with `text`
    name_glob,    // no slash: wildmatch on the basename
    path,         // a slash: relative to the directory, `text` starting with `literal` bytes
  };
  Kind kind = Kind::exact_name;
  std::string text;
  size_t literal = 0;

  bool matches(std::string_view rel, std::string_view name) const {
    switch (kind) {
      case Kind::exact_name:
        return name == text;
      case Kind::name_suffix:
        return name.size() >= text.size() && name.substr(name.size() - text.size()) == text;
      case Kind::name_glob:
        return wild(text, name);
      case Kind::path:
        break;
    }
    if (rel.size() < literal || rel.substr(0, literal) != std::string_view(text).substr(0, literal))
      return false;
    if (literal == text.size())
      return rel.size() == literal;
    // What follows the literal prefix is matched on its own, as git does: a `**` right after it
    // counts as starting a path component (`foo**/bar` matches `foo/x/bar`).
    return wild(std::string_view(text).substr(literal), rel.substr(literal));
  }
};

}  // namespace

struct IgnorePattern {
  Glob glob;
  bool negative = false;
  bool dir_only = false;
};

struct AttrLine {
  Glob glob;
  std::optional<AttrState> generated;  // nullopt: the line does not mention it
  std::optional<AttrState> vendored;
};

namespace {

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

// Calls `line(text)` for each line of a file: a UTF-8 byte order mark is skipped, lines end at
// '\n', the last one need not.
template <class F>
void for_each_line(std::string_view text, F&& line) {
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.substr(0, bom.size()) == bom)
    text.remove_prefix(bom.size());
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    line(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
}

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

// ---------------------------------------------------------------------------------------------
// gitattributes lines

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

void add_ignore_line(std::vector<IgnorePattern>& patterns, std::string_view raw) {
  const auto line = ignore_line(raw);
  if (!line)
    return;
  patterns.push_back(parse_pattern(*line));
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

// IgnoreStack keeps a directory's sources (.git/info/exclude, then the root's .gitignore) under
// the directory's name followed by as many NULs as sources were added before: no directory name
// holds a NUL, and the map keeps one directory's sources together, in the order added.
bool is_source_key(std::string_view key, std::string_view dir) {
  return key.size() >= dir.size() && key.substr(0, dir.size()) == dir &&
         key.find_first_not_of('\0', dir.size()) == std::string_view::npos;
}

}  // namespace

bool wildmatch(std::string_view pattern, std::string_view text) {
  return wild(pattern, text);
}

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
