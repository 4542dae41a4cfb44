#include "core/text.hpp"

#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace g2d {
namespace {

TEST(TextTest, TrimRemovesAsciiWhiteSpaceAtBothEndsOnly) {
  EXPECT_EQ(trim(" \t\r\n\f\vWhy is `n` 2?\n "), "Why is `n` 2?");
  EXPECT_EQ(trim("a  b"), "a  b");
  EXPECT_EQ(trim(" \n "), "");
  EXPECT_EQ(trim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");  // U+00A0 is not ASCII white space
}

TEST(TextTest, SplitNonEmptyDropsEmptyPieces) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(split_nonempty("a/b//c/", '/'), (V{"a", "b", "c"}));
  EXPECT_EQ(split_nonempty("/x", '/'), (V{"x"}));
  EXPECT_EQ(split_nonempty("", '/'), V{});
  EXPECT_EQ(split_nonempty("\n\n", '\n'), V{});
  EXPECT_EQ(split_nonempty("one line", '\n'), (V{"one line"}));
}

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
  EXPECT_EQ(printable("a\xC2\x85"
                      "b"),
            "a\\u{0085}b");  // NEL, a C1 line break
  EXPECT_EQ(printable("\xC2\x9B"
                      "31m"),
            "\\u{009B}31m");                              // CSI
  EXPECT_EQ(printable("x\xE2\x80\xAEy"), "x\\u{202E}y");  // right-to-left override
  EXPECT_EQ(printable("x\xE2\x81\xA6y"), "x\\u{2066}y");  // left-to-right isolate
  EXPECT_EQ(printable("x\xE2\x80\xA8y"), "x\\u{2028}y");  // line separator
  EXPECT_EQ(printable("x\xE2\x80\x8Ey\xE2\x80\x8F"), "x\\u{200E}y\\u{200F}");  // LRM, RLM
  EXPECT_EQ(printable("\xC2\xA0\xE2\x80\x94"), "\xC2\xA0\xE2\x80\x94");        // NBSP, em dash kept
}

// For log lines: the same escapes, but TAB (when asked) and backslashes are kept, so text escaped
// once is not escaped again.
TEST(TextTest, EscapeControlsKeepsBackslashesAndTabs) {
  const std::string hostile =
      std::string("a\x1b]0;t\x07 b\r\nc\0d\te\\f \xE2\x80\xAE\xC2\x9B\xFF", 25);
  EXPECT_EQ(escape_controls(hostile, true),
            "a\\x1b]0;t\\x07 b\\r\\nc\\x00d\te\\f \\u{202E}\\u{009B}\\xff");
  EXPECT_EQ(escape_controls(hostile, false),
            "a\\x1b]0;t\\x07 b\\r\\nc\\x00d\\te\\f \\u{202E}\\u{009B}\\xff");
  EXPECT_EQ(escape_controls(printable(hostile), false), printable(hostile));
  EXPECT_EQ(escape_controls("plain caf\xC3\xA9 \"q\"", true), "plain caf\xC3\xA9 \"q\"");
}

TEST(TextTest, ToHexWritesTwoLowerCaseDigitsPerByte) {
  EXPECT_EQ(to_hex(std::string_view("\x00\x0f\xa5\xff", 4)), "000fa5ff");
  EXPECT_EQ(to_hex(""), "");
}

TEST(TextTest, DisplaysSafelyRefusesWhatPrintableWouldEscape) {
  EXPECT_TRUE(displays_safely("src/caf\xC3\xA9 \"x\" \xE2\x80\x94.c"));
  EXPECT_TRUE(displays_safely("back\\slash"));
  for (std::string_view bad :
       {"a\nb", "a\x1b", "a\x7f", "a\xC2\x85", "a\xE2\x80\xAE", "a\xE2\x81\xA9", "a\xE2\x80\xA9",
        "a\xE2\x80\x8F", "a\xFF", "a\xE2\x82"})
    EXPECT_FALSE(displays_safely(bad)) << printable(bad);
}

TEST(TextTest, ReplaceAllReplacesEveryOccurrenceOnce) {
  std::string text = "a/b/c a/b";
  replace_all(text, "a/b", "a/b/a/b");  // what was put in is not looked at again
  EXPECT_EQ(text, "a/b/a/b/c a/b/a/b");
  replace_all(text, "", "x");
  EXPECT_EQ(text, "a/b/a/b/c a/b/a/b");
  replace_all(text, "a/b/", "");
  EXPECT_EQ(text, "c a/b");
}

}  // namespace
}  // namespace g2d
