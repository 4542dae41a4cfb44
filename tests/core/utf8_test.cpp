// core/utf8: decoding and validation at RFC 3629's edges, the cuts, and display widths.
#include "core/utf8.hpp"

#include <string>

#include <gtest/gtest.h>

namespace g2d {
namespace {

using namespace std::string_literals;

TEST(Utf8Test, DecodesEachLengthWithItsCodePoint) {
  struct Case {
    std::string bytes;
    char32_t code_point;
  };
  for (const auto& [bytes, cp] : std::vector<Case>{{"A", U'A'},
                                                   {"\xC2\x80", 0x80},
                                                   {"\xDF\xBF", 0x7FF},
                                                   {"\xE0\xA0\x80", 0x800},
                                                   {"\xED\x9F\xBF", 0xD7FF},
                                                   {"\xEE\x80\x80", 0xE000},
                                                   {"\xEF\xBF\xBF", 0xFFFF},
                                                   {"\xF0\x90\x80\x80", 0x10000},
                                                   {"\xF0\x9F\x9A\x80", 0x1F680},
                                                   {"\xF4\x8F\xBF\xBF", 0x10FFFF}}) {
    Utf8Char c = decode_utf8(bytes, 0);
    EXPECT_TRUE(c.valid) << bytes;
    EXPECT_EQ(c.code_point, cp) << bytes;
    EXPECT_EQ(c.length, bytes.size()) << bytes;
    EXPECT_TRUE(valid_utf8(bytes)) << bytes;
    std::string encoded;
    append_utf8(encoded, cp);
    EXPECT_EQ(encoded, bytes);
  }
}

TEST(Utf8Test, ReportsInvalidSequencesWithTheirMaximalSubpart) {
  struct Case {
    std::string bytes;
    std::size_t length;  // what one U+FFFD replaces
  };
  for (const auto& [bytes, length] :
       std::vector<Case>{{"\x80", 1},                 // a continuation byte alone
                         {"\xC0\xAF", 1},             // overlong '/' (C0 never starts a sequence)
                         {"\xC1\xBF", 1},             // overlong
                         {"\xE0\x80\xAF", 1},         // overlong three-byte form
                         {"\xF0\x80\x80\xAF", 1},     // overlong four-byte form
                         {"\xED\xA0\x80", 1},         // U+D800, a surrogate
                         {"\xED\xBF\xBF", 1},         // U+DFFF
                         {"\xF4\x90\x80\x80", 1},     // U+110000
                         {"\xF5\x80\x80\x80", 1},     // above U+10FFFF by its lead
                         {"\xFF", 1},                 //
                         {"\xE2\x82", 2},             // truncated at the end
                         {"\xF0\x9F\x9A", 3},         // truncated at the end
                         {"\xE2\x82x", 2},            // cut short by ASCII
                         {"\xF0\x9F\x9A\xF0", 3}}) {  // cut short by another lead
    Utf8Char c = decode_utf8(bytes, 0);
    EXPECT_FALSE(c.valid) << testing::PrintToString(bytes);
    EXPECT_EQ(c.code_point, k_replacement_character);
    EXPECT_EQ(c.length, length) << testing::PrintToString(bytes);
    EXPECT_FALSE(valid_utf8(bytes)) << testing::PrintToString(bytes);
  }
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_FALSE(valid_utf8("ok\x00\xC3"s));
}

TEST(Utf8Test, SanitizeReplacesEachMaximalSubpartOnce) {
  EXPECT_EQ(sanitize_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(sanitize_utf8("a\xE2\x82z"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  std::string replaced;
  append_utf8(replaced, 0xD800);  // not a scalar value
  EXPECT_EQ(replaced, "\xEF\xBF\xBD");
}

TEST(Utf8Test, TheStreamingValidatorAgreesAcrossAnyCut) {
  const std::string good = "plain ascii text, then caf\xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x9A\x80 end";
  for (std::size_t cut = 0; cut <= good.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(reinterpret_cast<const unsigned char*>(good.data()), cut));
    EXPECT_TRUE(
        v.feed(reinterpret_cast<const unsigned char*>(good.data()) + cut, good.size() - cut));
    EXPECT_TRUE(v.finish()) << cut;
  }
  Utf8Validator open;
  EXPECT_TRUE(open.feed(reinterpret_cast<const unsigned char*>("\xF0\x9F"), 2));
  EXPECT_FALSE(open.finish());  // a sequence left open at the end
  Utf8Validator bad;
  EXPECT_FALSE(bad.feed(reinterpret_cast<const unsigned char*>("12345678\xED\xA0\x80"), 11));
  EXPECT_FALSE(bad.feed(reinterpret_cast<const unsigned char*>("ok"), 2));  // stays failed
  EXPECT_FALSE(bad.finish());
}

TEST(Utf8Test, CutsFallOnCharacterBoundaries) {
  const std::string s = "a\xE6\xBC\xA2\xF0\x9F\x9A\x80";  // a, U+6F22, U+1F680
  EXPECT_EQ(utf8_boundary(s, 0), 0U);
  EXPECT_EQ(utf8_boundary(s, 1), 1U);
  EXPECT_EQ(utf8_boundary(s, 2), 1U);
  EXPECT_EQ(utf8_boundary(s, 3), 1U);
  EXPECT_EQ(utf8_boundary(s, 4), 4U);
  EXPECT_EQ(utf8_boundary(s, 7), 4U);
  EXPECT_EQ(utf8_boundary(s, 99), s.size());
  EXPECT_EQ(utf8_boundary("\x80\x80\x80\x80\x80", 4), 1U);  // invalid text is still cut

  EXPECT_EQ(utf8_complete_length(s), s.size());
  EXPECT_EQ(utf8_complete_length(s.substr(0, 7)), 4U);
  EXPECT_EQ(utf8_complete_length(s.substr(0, 5)), 4U);
  EXPECT_EQ(utf8_complete_length(s.substr(0, 3)), 1U);
  EXPECT_EQ(utf8_complete_length(""), 0U);
  EXPECT_EQ(utf8_complete_length("ab"), 2U);

  EXPECT_EQ(count_code_points(s), 3U);
  EXPECT_EQ(count_code_points(""), 0U);
}

TEST(Utf8Test, WidthsOfAsciiCjkEmojiAndCombiningMarks) {
  EXPECT_EQ(code_point_width(U'a'), 1);
  EXPECT_EQ(code_point_width(0xE9), 1);      // é
  EXPECT_EQ(code_point_width(0x6F22), 2);    // 漢
  EXPECT_EQ(code_point_width(0x3042), 2);    // あ
  EXPECT_EQ(code_point_width(0xAC00), 2);    // 가
  EXPECT_EQ(code_point_width(0xFF21), 2);    // fullwidth A
  EXPECT_EQ(code_point_width(0x20000), 2);   // CJK extension B
  EXPECT_EQ(code_point_width(0x1F680), 2);   // rocket
  EXPECT_EQ(code_point_width(0x1F600), 2);   // grinning face
  EXPECT_EQ(code_point_width(0x1FA77), 2);   // pink heart (Unicode 15; wide by default)
  EXPECT_EQ(code_point_width(0x2614), 2);    // umbrella with rain drops (Emoji_Presentation)
  EXPECT_EQ(code_point_width(0x26A1), 2);    // high voltage
  EXPECT_EQ(code_point_width(0x2705), 2);    // check mark button
  EXPECT_EQ(code_point_width(0x2600), 1);    // sun: text presentation by default
  EXPECT_EQ(code_point_width(0x2713), 1);    // check mark
  EXPECT_EQ(code_point_width(0x0301), 0);    // combining acute accent
  EXPECT_EQ(code_point_width(0x20D7), 0);    // combining right arrow above
  EXPECT_EQ(code_point_width(0x200D), 0);    // zero width joiner
  EXPECT_EQ(code_point_width(0xFE0F), 0);    // variation selector 16
  EXPECT_EQ(code_point_width(0xE0100), 0);   // variation selector 17
  EXPECT_EQ(code_point_width(0x1160), 0);    // Hangul medial vowel filler
  EXPECT_EQ(code_point_width(0x00AD), 1);    // soft hyphen is shown
  EXPECT_EQ(code_point_width(0x2500), 1);    // box drawing
  EXPECT_EQ(code_point_width(0x10FFFF), 1);  // unassigned

  EXPECT_EQ(display_width(""), 0);
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("\xE6\xBC\xA2\xE5\xAD\x97"), 4);  // 漢字
  EXPECT_EQ(display_width("go \xF0\x9F\x9A\x80!"), 6);      // "go 🚀!"
  EXPECT_EQ(display_width("e\xCC\x81"), 1);                 // e + combining acute
  EXPECT_EQ(display_width("\xE2\x9D\xA4\xEF\xB8\x8F"), 1);  // ❤ + VS16: wcwidth's sum
  EXPECT_EQ(display_width("a\xFF\xE2\x82"), 4);             // each invalid byte: one '?'
  EXPECT_EQ(display_width("a\x1b[m"), 4);                   // a control: one '?'
  EXPECT_EQ(display_width("x\xE2\x80\x8Fy"), 3);            // RLM is not zero width here
}

TEST(Utf8Test, UnsafeForDisplayIsControlsBidiAndSeparators) {
  for (char32_t cp : {0x00U, 0x1BU, 0x7FU, 0x85U, 0x9BU, 0x200EU, 0x200FU, 0x2028U, 0x2029U,
                      0x202AU, 0x202EU, 0x2066U, 0x2069U})
    EXPECT_TRUE(unsafe_for_display(cp)) << static_cast<unsigned>(cp);
  for (char32_t cp : {0x20U, 0x7EU, 0xA0U, 0x200DU, 0x2027U, 0x202FU, 0x2065U, 0x206AU, 0x1F680U})
    EXPECT_FALSE(unsafe_for_display(cp)) << static_cast<unsigned>(cp);
}

}  // namespace
}  // namespace g2d
