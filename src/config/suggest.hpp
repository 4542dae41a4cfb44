// config/suggest.hpp — internal to g2d_config: "did you mean" for misspelt keys and values.
//
// Pure functions; reentrant.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace g2d::config::detail {

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
// adjacent characters each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The same distance when it is at most `limit`, else limit + 1 — found without filling the whole
// table: it gives up once a row holds nothing within the limit (how `closest` stays cheap on long
// or unrelated keys).
std::size_t edit_distance_at_most(std::string_view a, std::string_view b, std::size_t limit);

// The candidate `word` most likely meant: one equal ignoring case, else the nearest within an
// edit distance of 2 (the first of equals). None when nothing is that close.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace g2d::config::detail
