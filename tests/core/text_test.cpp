#include "core/text.hpp"

#include <gtest/gtest.h>

namespace g2d {
namespace {

TEST(TextTest, ToLowerFoldsAsciiOnly) {
  EXPECT_EQ(to_lower("GitHub.COM/Owner"), "github.com/owner");
  EXPECT_EQ(to_lower(""), "");
  EXPECT_EQ(to_lower("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // UTF-8 bytes untouched
}

}  // namespace
}  // namespace g2d
