// git's wildmatch with WM_PATHNAME, written from git's documentation and checked against git
// itself (tests/discover/ignore_test.cpp uses `git check-ignore` as the oracle): `*`, `?` and
// brackets never match `/`, `**` as a whole path component matches any number of directories.
// Matching is recursive only at stars and stops early when further text cannot help, which keeps
// it linear in practice. Where it is not (hostile patterns such as many `**/` against many '/'
// took exponential time), the outcome of each (pattern, text) position is remembered once the
// recursion passes a budget linear in the input, so no position is matched twice: polynomial
// time for any input (about pattern x text steps), with two tables of (pattern + 1) x (text + 1)
// bytes only then. A pattern or text over 4096 bytes (longer than any path) matches nothing, which
// bounds the tables at 32 MiB. Thread-safety: a pure function. Errors: none — a malformed pattern
// (an unclosed bracket, an unknown class) matches nothing.
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

// A pattern or path longer than this matches nothing (git's paths are at most PATH_MAX).
constexpr std::size_t k_max_wild_bytes = 4096;

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

  size_t at(size_t pi, size_t ti) const { return pi * (m_t.size() + 1) + ti; }

  // run(pi, ti) from inside a star's loop. Once such calls exceed a budget linear in the input
  // (hostile patterns: many `**/` against many '/'), each outcome is remembered, so no position
  // is matched twice; the common patterns stay within the budget and allocate nothing.
  Wild run_once(size_t pi, size_t ti) const {
    if (m_memo.empty()) {
      if (++m_calls <= 4 * (m_p.size() + m_t.size()) + 64)
        return run(pi, ti);
      m_memo.assign((m_p.size() + 1) * (m_t.size() + 1), 0);
      m_loops.assign(m_memo.size(), 0);
    }
    std::uint8_t& known = m_memo[at(pi, ti)];
    if (known == 0)
      known = static_cast<std::uint8_t>(static_cast<std::uint8_t>(run(pi, ti)) + 1);
    return static_cast<Wild>(known - 1);
  }

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
    return star_loop(pi, ti, crosses_slash);
  }

  // A star's loop over the text from ti, the rest of the pattern at m_p[pi]: the outcome at the
  // first text position that decides, else abort_all. With the tables, the outcome from each
  // position the loop tries is remembered too, so the loop from a later position is one lookup
  // (without it, each of many `**/` would walk the rest of the text again).
  Wild star_loop(size_t pi, size_t ti, bool crosses_slash) const {
    const char next = m_p[pi];
    std::vector<size_t> tried;  // with the tables: the positions that share this outcome
    Wild outcome = Wild::abort_all;
    for (; ti < m_t.size(); ++ti) {
      if (!is_glob_special(next)) {
        // A literal follows: skip text up to its next occurrence (within the component).
        while (ti < m_t.size() && m_t[ti] != next && (crosses_slash || m_t[ti] != '/'))
          ++ti;
        if (ti == m_t.size() || m_t[ti] != next) {
          outcome = Wild::no_match;
          break;
        }
      }
      if (!m_loops.empty()) {
        if (const std::uint8_t known = m_loops[at(pi, ti)]; known != 0) {
          outcome = static_cast<Wild>(known - 1);
          break;
        }
        tried.push_back(ti);
      }
      const Wild rest = run_once(pi, ti);
      if (rest != Wild::no_match) {
        if (!crosses_slash || rest != Wild::abort_to_double_star) {
          outcome = rest;
          break;
        }
      } else if (!crosses_slash && m_t[ti] == '/') {
        outcome = Wild::abort_to_double_star;
        break;
      }
    }
    for (const size_t position : tried)
      m_loops[at(pi, position)] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(outcome) + 1);
    return outcome;
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
  mutable std::size_t m_calls = 0;            // run_once calls before the table
  mutable std::vector<std::uint8_t> m_memo;   // run()'s outcome + 1 by (pi, ti); 0: not yet
  mutable std::vector<std::uint8_t> m_loops;  // star_loop()'s, the same way
};

bool wild(std::string_view pattern, std::string_view text) {
  // Longer than any path (PATH_MAX): no real pattern; it keeps the tables within 32 MiB.
  if (pattern.size() > k_max_wild_bytes || text.size() > k_max_wild_bytes)
    return false;
  return Wildmatcher(pattern, text).run(0, 0) == Wild::match;
}

}  // namespace

bool wildmatch(std::string_view pattern, std::string_view text) {
  return wild(pattern, text);
}

}  // namespace g2d::discover
