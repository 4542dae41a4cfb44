// The "did you mean" helper (internal to g2d_config).
#include "config/suggest.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace g2d::config::detail {
namespace {

TEST(ConfigSuggestTest, EditDistanceCountsEditsAndTranspositions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("context_window", "contex_window"), 1u);
  EXPECT_EQ(edit_distance("threads", "thraeds"), 1u);
  EXPECT_EQ(edit_distance("model", "mdoel"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

// The bounded distance is the full one, or limit + 1 for anything farther: checked on every pair
// of strings over a small alphabet up to length 5 (transpositions, repeats, length gaps).
TEST(ConfigSuggestTest, BoundedEditDistanceAgreesWithTheFullOneUpToItsLimit) {
  std::vector<std::string> words{""};
  for (std::size_t at = 0; words.size() < 400; ++at) {
    for (const char c : std::string_view("abc"))
      words.push_back(words[at] + c);
  }
  words.push_back("aaaaaaaaaa");
  for (const auto& a : words) {
    for (const auto& b : words) {
      const std::size_t full = edit_distance(a, b);
      for (std::size_t limit = 0; limit <= 3; ++limit)
        ASSERT_EQ(edit_distance_at_most(a, b, limit), std::min(full, limit + 1))
            << a << " / " << b << " limit " << limit;
    }
  }
}

TEST(ConfigSuggestTest, ClosestPrefersACaseInsensitiveMatch) {
  const std::vector<std::string> candidates{"threads", "Model", "model"};
  EXPECT_EQ(closest("MODEL", candidates), "Model");
  EXPECT_EQ(closest("thread", candidates), "threads");
}

TEST(ConfigSuggestTest, ClosestGivesUpBeyondTwoEdits) {
  const std::vector<std::string> candidates{"temperature", "threads"};
  EXPECT_EQ(closest("temprature", candidates), "temperature");
  EXPECT_EQ(closest("thrds", candidates), "threads");  // two edits
  EXPECT_EQ(closest("tmprture", candidates), std::nullopt);
  EXPECT_EQ(closest("colour", candidates), std::nullopt);
  EXPECT_EQ(closest("x", {}), std::nullopt);
}

}  // namespace
}  // namespace g2d::config::detail
