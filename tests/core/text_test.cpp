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

namespace g2d {
namespace {

TEST(TextTest, PrintableEscapesControlBytesAndInvalidUtf8Only) {
  EXPECT_EQ(printable("src/caf\xC3\xA9 \"x\".c"), "src/caf\xC3\xA9 \"x\".c");
  EXPECT_EQ(printable("new\nline\t.c"), "new\\nline\\t.c");
  EXPECT_EQ(printable("bad\xFF.c"), "bad\\xff.c");
  EXPECT_EQ(printable("esc\x1b[31m"), "esc\\x1b[31m");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash");
  EXPECT_EQ(printable("\xE2\x82"), "\\xe2\\x82");  // truncated sequence
}

}  // namespace
}  // namespace g2d
