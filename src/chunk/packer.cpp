#include "chunk/packer.hpp"

#include "chunk/syntax.hpp"
#include "core/utf8.hpp"

namespace g2d::chunk {
namespace {

// Containers nested deeper than this are split textually (bounds the recursion on hostile input).
constexpr int k_max_depth = 64;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_continuation(char c) {
  return is_utf8_continuation(static_cast<unsigned char>(c));
}

}  // namespace

Lines::Lines(std::string_view text) : m_text(text) {
  if (!text.empty()) {
    m_starts.push_back(0);
    for (std::size_t i = 0; i + 1 < text.size(); ++i)
      if (text[i] == '\n')
        m_starts.push_back(i + 1);
  }
  m_starts.push_back(text.size());
}

bool Lines::blank(int line) const {
  for (std::size_t i = begin(line); i < end(line); ++i)
    if (!is_space(m_text[i]))
      return false;
  return true;
}

Packer::Packer(const Lines& lines, int budget, const TokenCounter& count)
    : m_lines(lines), m_budget(budget), m_count(count) {}

Result<int> Packer::count(std::string_view text) const {
  return m_count(text);
}

void Packer::emit(int first, int last, const std::string& scope) {
  m_chunks.push_back(Chunk{first + 1, last + 1, scope, std::string(m_lines.text(first, last))});
}

// Greedy: consecutive units join a chunk while the sum of their counts fits. The sum is an
// estimate (tokenizers merge across the joins, rarely the other way), so emit_group verifies it.
Status Packer::pack(const std::vector<Unit>& units, const std::string& scope) {
  std::size_t group = 0;  // first unit of the open group
  long long group_tokens = 0;
  for (std::size_t i = 0; i < units.size(); ++i) {
    const Unit& unit = units[i];
    auto tokens = count(m_lines.text(unit.first, unit.last));
    if (!tokens)
      return tl::unexpected(tokens.error());
    if (*tokens > m_budget || group_tokens + *tokens > m_budget) {
      if (auto done = emit_group(units.data() + group, units.data() + i, scope); !done)
        return done;
      group = i;
      group_tokens = 0;
    }
    if (*tokens > m_budget) {
      if (auto done = oversize(unit, scope); !done)
        return done;
      group = i + 1;
      continue;
    }
    group_tokens += *tokens;
  }
  return emit_group(units.data() + group, units.data() + units.size(), scope);
}

// One unit was counted exactly when it was packed; a group is counted once more, and halved until
// its halves fit.
Status Packer::emit_group(const Unit* begin, const Unit* end, const std::string& scope) {
  if (begin == end)
    return {};
  if (end - begin > 1) {
    auto tokens = count(m_lines.text(begin->first, (end - 1)->last));
    if (!tokens)
      return tl::unexpected(tokens.error());
    if (*tokens > m_budget) {
      const Unit* middle = begin + (end - begin) / 2;
      if (auto done = emit_group(begin, middle, scope); !done)
        return done;
      return emit_group(middle, end, scope);
    }
  }
  emit(begin->first, (end - 1)->last, scope);
  return {};
}

Status Packer::oversize(const Unit& unit, const std::string& scope) {
  switch (unit.level) {
    case Level::definition: {
      TSNode body = body_of(unit.container);
      if (ts_node_is_null(body) || m_depth >= k_max_depth)
        return split_textual(unit.first, unit.last, scope);
      std::vector<Unit> members = units_of(body, unit.first, unit.last);
      if (members.empty())
        return split_textual(unit.first, unit.last, scope);
      std::string inner = describe(unit.container, m_lines.source());
      if (inner.empty())
        inner = scope;
      else if (!scope.empty())
        inner = scope + " > " + inner;
      ++m_depth;
      Status done = pack(members, inner);
      --m_depth;
      return done;
    }
    case Level::paragraph: {
      std::vector<Unit> lines;
      for (int line = unit.first; line <= unit.last; ++line)
        lines.push_back(Unit{line, line, Level::line, TSNode{}});
      return pack(lines, scope);
    }
    case Level::line:
      return split_line(unit.first, scope);
  }
  return fail(ErrorKind::internal, "chunk: unknown split level");
}

// Paragraphs: a run of non-blank lines with the blank lines after it (and, for the first, before
// it). A range of one paragraph goes straight to lines, one line straight to characters.
Status Packer::split_textual(int first, int last, const std::string& scope) {
  std::vector<Unit> paragraphs;
  bool seen_text = false;  // the open paragraph has a non-blank line
  bool after_blank = false;
  for (int line = first; line <= last; ++line) {
    bool blank = m_lines.blank(line);
    if (paragraphs.empty()) {
      paragraphs.push_back(Unit{line, last, Level::paragraph, TSNode{}});
    } else if (!blank && seen_text && after_blank) {
      paragraphs.back().last = line - 1;
      paragraphs.push_back(Unit{line, last, Level::paragraph, TSNode{}});
      seen_text = false;
    }
    seen_text = seen_text || !blank;
    after_blank = blank;
  }
  if (paragraphs.size() > 1)
    return pack(paragraphs, scope);
  return oversize(Unit{first, last, first == last ? Level::line : Level::paragraph, TSNode{}},
                  scope);
}

// A line over the budget: the longest prefixes that fit, cut at UTF-8 character boundaries
// (galloping, then bisecting, so the counter sees about twice each piece's text, times log).
// Invalid UTF-8 is cut at least every four bytes.
Status Packer::split_line(int line, const std::string& scope) {
  std::string_view text = m_lines.source();
  const std::size_t begin = m_lines.begin(line);
  const std::size_t end = m_lines.end(line);
  std::size_t pos = begin;
  auto boundary = [&](std::size_t i) {
    return i >= end || !is_continuation(text[i]) ||
           (i >= begin + 3 && is_continuation(text[i - 1]) && is_continuation(text[i - 2]) &&
            is_continuation(text[i - 3]));
  };
  auto next = [&](std::size_t i) {
    do
      ++i;
    while (!boundary(i));
    return i;
  };
  auto fits = [&](std::size_t to) -> Result<bool> {
    auto tokens = count(text.substr(pos, to - pos));
    if (!tokens)
      return tl::unexpected(tokens.error());
    return *tokens <= m_budget;
  };
  while (pos < end) {
    std::size_t good = next(pos);
    auto ok = fits(good);
    if (!ok)
      return tl::unexpected(ok.error());
    if (!*ok)
      return fail(ErrorKind::invalid_argument,
                  "chunk: the budget of {} tokens is smaller than one character on line {}",
                  m_budget, line + 1);
    std::size_t bad = end + 1;  // the shortest cut known not to fit; none yet
    while (good < end && bad > end) {
      std::size_t to = std::min(end, pos + 2 * (good - pos));
      while (!boundary(to))
        --to;
      if (to <= good)
        to = next(good);
      ok = fits(to);
      if (!ok)
        return tl::unexpected(ok.error());
      (*ok ? good : bad) = to;
    }
    while (bad <= end) {
      std::size_t to = good + (bad - good) / 2;
      while (to > good && !boundary(to))
        --to;
      if (to <= good)
        to = next(good);
      if (to >= bad)
        break;
      ok = fits(to);
      if (!ok)
        return tl::unexpected(ok.error());
      (*ok ? good : bad) = to;
    }
    m_chunks.push_back(Chunk{line + 1, line + 1, scope, std::string(text.substr(pos, good - pos))});
    pos = good;
  }
  return {};
}

}  // namespace g2d::chunk
