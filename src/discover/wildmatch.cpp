// git's wildmatch with WM_PATHNAME, written from git's documentation and checked against git
// itself (tests/discover/ignore_test.cpp uses `git check-ignore` as the oracle): `*`, `?` and
// brackets never match `/`, `**` as a whole path component matches any number of directories.
// Matching is recursive only at stars and stops early when further text cannot help, which keeps
// it linear in practice. A star met inside another star's loop (where hostile patterns such as
// many `**/` against many '/' would take exponential time) remembers each (pattern, text)
// position's outcome, so no position is matched twice: polynomial time for any input, and a
// table of (pattern + 1) x (text + 1) bytes only for such patterns; single-star patterns allocate
// nothing. Thread-safety: a pure function. Errors: none — a malformed pattern (an unclosed
// bracket, an unknown class) matches nothing.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "discover/ignore.hpp"
#include "discover/ignore_internal.hpp"

namespace g2d::discover {
namespace {

using detail::is_glob_special;

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

  // run(pi, ti), remembered once a star is matched inside another star's loop.
  Wild run_once(size_t pi, size_t ti) const {
    if (m_memo.empty())
      return run(pi, ti);
    std::uint8_t& known = m_memo[pi * (m_t.size() + 1) + ti];
    if (known == 0)
      known = static_cast<std::uint8_t>(static_cast<std::uint8_t>(run(pi, ti)) + 1);
    return static_cast<Wild>(known - 1);
  }

  // `*`, `**` or a longer run of stars at m_p[pi], text from ti.
  Wild star(size_t pi, size_t ti) const {
    if (m_stars_open > 0 && m_memo.empty())
      m_memo.assign((m_p.size() + 1) * (m_t.size() + 1), 0);
    ++m_stars_open;
    const Wild outcome = star_from(pi, ti);
    --m_stars_open;
    return outcome;
  }

  Wild star_from(size_t pi, size_t ti) const {
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
        if (pat(pi) == '/' && run_once(pi + 1, ti) == Wild::match)
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
      return run_once(pi, slash);
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
      const Wild rest = run_once(pi, ti);
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
  mutable int m_stars_open = 0;              // star() calls on the stack
  mutable std::vector<std::uint8_t> m_memo;  // run()'s outcome + 1 by (pi, ti); 0: not yet
};

bool wild(std::string_view pattern, std::string_view text) {
  return Wildmatcher(pattern, text).run(0, 0) == Wild::match;
}

}  // namespace

bool wildmatch(std::string_view pattern, std::string_view text) {
  return wild(pattern, text);
}

}  // namespace g2d::discover
