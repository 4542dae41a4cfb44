#include "llm/prompt_lookup.hpp"

#include <algorithm>

namespace g2d::llm {

namespace {

constexpr size_t k_longest_ngram = 3;
constexpr size_t k_shortest_ngram = 2;

}  // namespace

std::vector<std::int32_t> draft_from_history(std::span<const std::int32_t> history,
                                             size_t max_tokens) {
  if (max_tokens == 0)
    return {};
  for (size_t n = k_longest_ngram; n >= k_shortest_ngram; --n) {
    if (history.size() <= n)
      continue;
    auto key = history.last(n);
    // The latest start j < size - n whose n tokens equal the key.
    for (size_t j = history.size() - n; j-- > 0;) {
      if (!std::equal(key.begin(), key.end(), history.begin() + static_cast<std::ptrdiff_t>(j)))
        continue;
      size_t from = j + n;
      size_t to = std::min(history.size(), from + max_tokens);
      return {history.begin() + static_cast<std::ptrdiff_t>(from),
              history.begin() + static_cast<std::ptrdiff_t>(to)};
    }
  }
  return {};
}

}  // namespace g2d::llm
