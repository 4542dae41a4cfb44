// The `pattern` keyword's regular expressions (the subset json_schema.hpp lists): a recursive
// descent parser that refuses anything outside the subset with its byte offset, and a matcher
// that follows the parsed pattern over the code points of a string. The matcher carries the set of
// positions every piece can end at instead of backtracking, so its time is polynomial in the
// string's length whatever the pattern. Thread-safety: pure functions. Errors: invalid_argument
// naming "pattern", the schema path and what in the pattern is unsupported or invalid.
#include <algorithm>
#include <string_view>
#include <utility>

#include "core/utf8.hpp"
#include "llm/json_schema_internal.hpp"

namespace g2d::llm::detail {
namespace {

// ECMAScript's \d, \w and \s.
std::vector<CharRange> class_escape(char name) {
  if (name == 'd')
    return {{'0', '9'}};
  if (name == 'w')
    return {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
  return {{0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680}, {0x2000, 0x200A},
          {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
}

bool nullable(const PatternPiece& piece) {
  if (piece.min == 0)
    return true;
  return piece.group &&
         std::any_of(piece.alternatives.begin(), piece.alternatives.end(),
                     [](const PatternSequence& sequence) {
                       return std::all_of(sequence.begin(), sequence.end(), nullable);
                     });
}

// The characters an escape may stand for itself with, outside and inside a class.
constexpr std::string_view k_escapable = R"(\^$.|?*+()[]{}/-)";

class Parser {
 public:
  Parser(std::string_view text, const std::string& path) : m_text(text), m_path(path) {}

  Result<PatternSequence> parse() {
    if (m_text.empty() || m_text.front() != '^')
      return unsupported("missing \"^\" at the start");
    // The end anchor is a final '$' after an even number of backslashes.
    size_t backslashes = 0;
    while (m_text.size() >= backslashes + 2 && m_text[m_text.size() - 2 - backslashes] == '\\')
      ++backslashes;
    bool anchored = m_text.size() > 1 && m_text.back() == '$' && backslashes % 2 == 0;
    m_end = anchored ? m_text.size() - 1 : m_text.size();
    m_pos = 1;
    auto pattern = sequence();
    if (!pattern)
      return pattern;
    if (!at_end() && peek() == '|') {
      return unsupported("\"|\" outside a group at offset {} (put the alternatives in a group)",
                         m_pos);
    }
    if (!at_end())
      return invalid("unbalanced \")\" at offset {}", m_pos);
    if (!anchored)
      return unsupported("missing \"$\" at the end");
    return pattern;
  }

 private:
  template <class... Args>
  tl::unexpected<Error> unsupported(fmt::format_string<Args...> format, Args&&... args) const {
    return fail(ErrorKind::invalid_argument, "unsupported \"pattern\" at {}: {}", display(m_path),
                fmt::format(format, std::forward<Args>(args)...));
  }
  template <class... Args>
  tl::unexpected<Error> invalid(fmt::format_string<Args...> format, Args&&... args) const {
    return fail(ErrorKind::invalid_argument, "invalid \"pattern\" at {}: {}", display(m_path),
                fmt::format(format, std::forward<Args>(args)...));
  }

  bool at_end() const { return m_pos >= m_end; }
  char peek() const { return m_text[m_pos]; }

  // Pieces up to the end, a '|' or a ')'.
  Result<PatternSequence> sequence() {
    PatternSequence out;
    while (!at_end() && peek() != '|' && peek() != ')') {
      auto piece = atom();
      if (!piece)
        return tl::unexpected(piece.error());
      if (auto status = quantifier(*piece); !status)
        return tl::unexpected(status.error());
      out.push_back(std::move(*piece));
    }
    return out;
  }

  Result<std::vector<PatternSequence>> alternatives() {
    std::vector<PatternSequence> out;
    for (;;) {
      auto alternative = sequence();
      if (!alternative)
        return tl::unexpected(alternative.error());
      out.push_back(std::move(*alternative));
      if (at_end() || peek() != '|')
        return out;
      ++m_pos;
    }
  }

  static PatternPiece set_of(std::vector<CharRange> ranges, bool negated = false) {
    PatternPiece piece;
    piece.ranges = normalize_ranges(std::move(ranges));
    piece.negated = negated;
    return piece;
  }

  Result<PatternPiece> atom() {
    size_t start = m_pos;
    switch (peek()) {
      case '(':
        return group();
      case '[':
        return char_class();
      case '.':  // ECMAScript: anything but a line terminator
        ++m_pos;
        return set_of({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}}, true);
      case '\\': {
        auto ranges = escape(nullptr);
        if (!ranges)
          return tl::unexpected(ranges.error());
        return set_of(std::move(*ranges));
      }
      case '*':
      case '+':
      case '?':
        return invalid("nothing to repeat at offset {}", start);
      case '{':
        if (count())
          return invalid("nothing to repeat at offset {}", start);
        return invalid("\"{{\" is not a quantifier at offset {} (write \\{{ for the character)",
                       start);
      case '^':
        return unsupported("\"^\" after the start at offset {}", start);
      case '$':
        return unsupported("\"$\" before the end at offset {}", start);
      default: {
        auto c = character();
        if (!c)
          return tl::unexpected(c.error());
        return set_of({{*c, *c}});
      }
    }
  }

  Result<char32_t> character() {
    Utf8Char c = decode_utf8(m_text, m_pos);
    if (!c.valid)
      return invalid("invalid UTF-8 at offset {}", m_pos);
    m_pos += c.length;
    return c.code_point;
  }

  // The escape at m_pos: the characters it stands for. `single` (when given) says whether that is
  // one character rather than a class escape.
  Result<std::vector<CharRange>> escape(bool* single) {
    size_t start = m_pos++;
    if (at_end())
      return invalid("pattern ends with \"\\\" at offset {}", start);
    char name = peek();
    if (single != nullptr)
      *single = true;
    if (k_escapable.find(name) != std::string_view::npos || name == 'n' || name == 't') {
      ++m_pos;
      char32_t c = name == 'n' ? U'\n' : name == 't' ? U'\t' : static_cast<char32_t>(name);
      return std::vector<CharRange>{{c, c}};
    }
    if (name == 'd' || name == 'w' || name == 's') {
      ++m_pos;
      if (single != nullptr)
        *single = false;
      return class_escape(name);
    }
    size_t length = decode_utf8(m_text, m_pos).length;
    return unsupported("escape \"\\{}\" at offset {}", m_text.substr(m_pos, length), start);
  }

  // One character (or class escape) inside a class.
  Result<std::vector<CharRange>> class_item(bool* single) {
    if (peek() == '\\')
      return escape(single);
    *single = true;
    auto c = character();
    if (!c)
      return tl::unexpected(c.error());
    return std::vector<CharRange>{{*c, *c}};
  }

  Result<PatternPiece> char_class() {
    size_t start = m_pos++;
    bool negated = !at_end() && peek() == '^';
    if (negated)
      ++m_pos;
    std::vector<CharRange> ranges;
    for (;;) {
      if (at_end())
        return invalid("unbalanced \"[\" at offset {}", start);
      if (peek() == ']')
        break;
      size_t item = m_pos;
      bool single = true;
      auto first = class_item(&single);
      if (!first)
        return tl::unexpected(first.error());
      if (at_end() || peek() != '-' || m_pos + 1 >= m_end || m_text[m_pos + 1] == ']') {
        ranges.insert(ranges.end(), first->begin(), first->end());
        continue;
      }
      size_t dash = m_pos++;
      bool last_single = true;
      auto last = class_item(&last_single);
      if (!last)
        return tl::unexpected(last.error());
      if (!single || !last_single)
        return unsupported("range from a class escape at offset {}", dash);
      if (first->front().first > last->front().first) {
        return invalid("range \"{}\" out of order at offset {}", m_text.substr(item, m_pos - item),
                       item);
      }
      ranges.push_back({first->front().first, last->front().first});
    }
    if (ranges.empty())
      return invalid("empty character class at offset {}", start);
    ++m_pos;
    return set_of(std::move(ranges), negated);
  }

  Result<PatternPiece> group() {
    size_t start = m_pos++;
    if (!at_end() && peek() == '?') {
      if (m_pos + 1 >= m_end || m_text[m_pos + 1] != ':') {
        size_t length = m_pos + 1 < m_end ? 2 + decode_utf8(m_text, m_pos + 1).length : 2;
        return unsupported("group \"{}\" at offset {}", m_text.substr(start, length), start);
      }
      m_pos += 2;
    }
    auto alternatives = this->alternatives();
    if (!alternatives)
      return tl::unexpected(alternatives.error());
    if (at_end() || peek() != ')')
      return invalid("unbalanced \"(\" at offset {}", start);
    ++m_pos;
    PatternPiece piece;
    piece.group = true;
    piece.alternatives = std::move(*alternatives);
    return piece;
  }

  // A number of at most 9 digits at m_pos (more saturate at 10^9, which is too large anyway).
  std::optional<int64_t> number() {
    size_t start = m_pos;
    int64_t value = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      value = std::min<int64_t>(value * 10 + (peek() - '0'), 1000000000);
      ++m_pos;
    }
    if (m_pos == start)
      return std::nullopt;
    return value;
  }

  // `{n}`, `{n,}` or `{n,m}` at m_pos: its bounds, m_pos after it; nothing (m_pos unchanged) when
  // the '{' does not start one.
  std::optional<std::pair<int64_t, std::optional<int64_t>>> count() {
    size_t start = m_pos++;
    auto min = number();
    std::optional<int64_t> max = min;
    if (min && !at_end() && peek() == ',') {
      ++m_pos;
      max = number();
    }
    if (!min || at_end() || peek() != '}') {
      m_pos = start;
      return std::nullopt;
    }
    ++m_pos;
    return std::pair{*min, max};
  }

  Status quantifier(PatternPiece& piece) {
    if (at_end())
      return {};
    size_t start = m_pos;
    int64_t min = 0;
    std::optional<int64_t> max;
    switch (peek()) {
      case '*':
        ++m_pos;
        break;
      case '+':
        ++m_pos;
        min = 1;
        break;
      case '?':
        ++m_pos;
        max = 1;
        break;
      case '{': {
        auto bounds = count();
        if (!bounds) {
          return invalid("\"{{\" is not a quantifier at offset {} (write \\{{ for the character)",
                         start);
        }
        std::tie(min, max) = *bounds;
        break;
      }
      default:
        return {};
    }
    std::string_view text = m_text.substr(start, m_pos - start);
    if (max && min > *max)
      return invalid("quantifier \"{}\" out of order at offset {}", text, start);
    if (min > k_max_grammar_count || (max && *max > k_max_grammar_count)) {
      return unsupported("count {} at offset {} is too large (at most {})",
                         min > k_max_grammar_count ? min : *max, start, k_max_grammar_count);
    }
    if (!at_end() && peek() == '?')
      return unsupported("lazy quantifier \"{}?\" at offset {}", text, start);
    // llama.cpp refuses the left recursion an unbounded repetition of a nullable rule makes.
    if (!max && nullable(piece)) {
      return unsupported("\"{}\" repeats a group that can match the empty string at offset {}",
                         text, start);
    }
    piece.min = min;
    piece.max = max;
    return {};
  }

  std::string_view m_text;
  const std::string& m_path;
  size_t m_pos = 0;
  size_t m_end = 0;  // before the end anchor
};

// Matching by sets of positions: each piece maps the positions it may start at to the positions
// it may end at.
class Matcher {
 public:
  explicit Matcher(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
      Utf8Char c = decode_utf8(text, i);
      m_text.push_back(c.code_point);
      i += c.length;
    }
  }

  bool matches(const PatternSequence& pattern) {
    std::vector<size_t> ends = sequence(pattern, {0});
    return std::find(ends.begin(), ends.end(), m_text.size()) != ends.end();
  }

 private:
  // All positions are sorted and unique.
  std::vector<size_t> sequence(const PatternSequence& pieces, std::vector<size_t> positions) {
    for (const PatternPiece& piece : pieces) {
      if (positions.empty())
        break;
      positions = repeat(piece, positions);
    }
    return positions;
  }

  std::vector<size_t> once(const PatternPiece& piece, const std::vector<size_t>& starts) {
    std::vector<size_t> out;
    if (!piece.group) {
      for (size_t at : starts) {
        if (at < m_text.size() && set_contains(piece, m_text[at]))
          out.push_back(at + 1);
      }
      return out;
    }
    for (const PatternSequence& alternative : piece.alternatives) {
      std::vector<size_t> ends = sequence(alternative, starts);
      out.insert(out.end(), ends.begin(), ends.end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // A position reached after the minimum need not be followed again: from there the rest of the
  // repetition can do no more than it could the first time. The positions before the minimum
  // either move on (then they run out within the string's length) or repeat (then they stay), so a
  // repetition takes at most about as many steps as the string has characters, whatever its
  // counts.
  std::vector<size_t> repeat(const PatternPiece& piece, std::vector<size_t> frontier) {
    std::vector<bool> reached(m_text.size() + 1, false);
    std::vector<size_t> out;
    auto keep_new = [&](const std::vector<size_t>& positions) {
      std::vector<size_t> fresh;
      for (size_t at : positions) {
        if (!reached[at]) {
          reached[at] = true;
          fresh.push_back(at);
        }
      }
      out.insert(out.end(), fresh.begin(), fresh.end());
      return fresh;
    };
    if (piece.min == 0)
      frontier = keep_new(frontier);
    for (int64_t count = 1; !frontier.empty() && (!piece.max || count <= *piece.max); ++count) {
      std::vector<size_t> next = once(piece, frontier);
      if (count < piece.min && next == frontier)
        count = piece.min;  // the same positions at every count up to the minimum
      frontier = count >= piece.min ? keep_new(next) : std::move(next);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<char32_t> m_text;
};

}  // namespace

Result<PatternSequence> parse_pattern(std::string_view pattern, const std::string& path) {
  return Parser(pattern, path).parse();
}

bool pattern_matches(const PatternSequence& pattern, std::string_view text) {
  return Matcher(text).matches(pattern);
}

std::vector<CharRange> normalize_ranges(std::vector<CharRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const CharRange& a, const CharRange& b) { return a.first < b.first; });
  std::vector<CharRange> out;
  for (const CharRange& range : ranges) {
    if (!out.empty() && range.first <= out.back().last + 1) {
      out.back().last = std::max(out.back().last, range.last);
    } else {
      out.push_back(range);
    }
  }
  return out;
}

bool set_contains(const PatternPiece& set, char32_t c) {
  bool listed = std::any_of(set.ranges.begin(), set.ranges.end(), [c](const CharRange& range) {
    return range.first <= c && c <= range.last;
  });
  return listed != set.negated;
}

}  // namespace g2d::llm::detail
