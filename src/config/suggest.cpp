#include "config/suggest.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace g2d::config::detail {

namespace {

constexpr std::size_t k_max_distance = 2;

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // The distance never exceeds the longer length, so this limit cuts nothing.
  return edit_distance_at_most(a, b, std::max(a.size(), b.size()));
}

std::size_t edit_distance_at_most(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  const std::size_t beyond = limit + 1;
  if ((n > m ? n - m : m - n) > limit)
    return beyond;  // each character of the length gap costs one edit
  // Three rows of the table d[i][j] (the distance between the first i characters of a and the
  // first j of b): i - 2, i - 1 and i, the first for transpositions.
  std::vector<std::size_t> before(m + 1), last(m + 1), row(m + 1);
  for (std::size_t j = 0; j <= m; ++j)
    last[j] = j;
  std::size_t last_min = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    row[0] = i;
    std::size_t row_min = row[0];
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({last[j] + 1, row[j - 1] + 1, last[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        row[j] = std::min(row[j], before[j - 2] + 1);
      row_min = std::min(row_min, row[j]);
    }
    // A cell is at least the smallest of the row before it, or of the row before that plus one
    // (a transposition): once this row is past the limit and the one before it too, every later
    // row is.
    if (row_min > limit && last_min >= limit)
      return beyond;
    last_min = row_min;
    std::swap(before, last);
    std::swap(last, row);
  }
  return std::min(last[m], beyond);
}

std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  const std::string folded = to_lower(word);
  for (const auto& c : candidates) {
    if (to_lower(c) == folded)
      return c;
  }
  std::optional<std::string> best;
  std::size_t best_distance = k_max_distance + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance_at_most(folded, to_lower(c), k_max_distance);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace g2d::config::detail
