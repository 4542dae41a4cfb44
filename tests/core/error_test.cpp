#include "core/error.hpp"

#include <gtest/gtest.h>

namespace g2d {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0)
    return fail(ErrorKind::invalid_argument, "expected a positive number, got {}", v);
  return v;
}

TEST(ErrorTest, FailBuildsAFormattedError) {
  auto bad = parse_positive(-3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(bad.error().message, "expected a positive number, got -3");
  EXPECT_EQ(bad.error().describe(), "invalid argument: expected a positive number, got -3");
  EXPECT_EQ(*parse_positive(4), 4);
}

TEST(ErrorTest, EveryKindHasAName) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::internal); ++k) {
    EXPECT_NE(to_string(static_cast<ErrorKind>(k)), "unknown") << k;
  }
}

}  // namespace
}  // namespace g2d
