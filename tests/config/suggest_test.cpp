// The "did you mean" helper (internal to g2d_config).
#include "config/suggest.hpp"

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
