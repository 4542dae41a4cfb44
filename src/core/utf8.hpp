// core/utf8.hpp — the one place UTF-8 is decoded, validated, cut and measured.
//
// Valid means RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF, no sequence cut short. Display width is what a terminal gives a code point: 0 for
// combining marks and other zero-width characters (ZWJ, variation selectors), 2 for East Asian
// Wide and Fullwidth characters and emoji shown as emoji (U+1F680, U+2614), 1 for the rest — the
// table in unicode_width.cpp, the same as glibc's wcwidth() (which ncursesw draws by).
//
// Ownership: functions take views and return values; Utf8Validator is a plain value.
// Thread-safety: pure functions; a Utf8Validator is used by one thread. Errors: none — invalid
// input is reported in the result (Utf8Char::valid, false from a check), never thrown.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace g2d {

inline constexpr char32_t k_replacement_character = 0xFFFD;

// The character at one offset of a byte string.
struct Utf8Char {
  char32_t code_point = k_replacement_character;  // U+FFFD when not valid
  std::size_t length = 1;                         // bytes taken, 1..4
  bool valid = false;
};

// Decodes the sequence starting at s[i] (i < s.size()). When it is not valid, `length` is its
// maximal subpart (Unicode §3.9: the bytes that one U+FFFD replaces, at least 1).
Utf8Char decode_utf8(std::string_view s, std::size_t i);

// Whether all of `s` is valid UTF-8.
bool valid_utf8(std::string_view s);

// `s` with each invalid sequence (maximal subpart) replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s);

// Appends the UTF-8 encoding of `cp` (a scalar value; anything else appends U+FFFD).
void append_utf8(std::string& out, char32_t cp);

// Whether `b` is a continuation byte (10xxxxxx).
constexpr bool is_utf8_continuation(unsigned char b) {
  return (b & 0xC0U) == 0x80U;
}

// The largest offset <= `at` (and <= s.size()) that does not fall after a character's first
// byte, stepping back over at most three continuation bytes (so invalid text is still cut).
std::size_t utf8_boundary(std::string_view s, std::size_t at);

// The length of `s` without an incomplete sequence at its end (text cut off mid-character).
std::size_t utf8_complete_length(std::string_view s);

// Characters counted as bytes that are not continuation bytes (JSON Schema's string length).
std::size_t count_code_points(std::string_view s);

// Streaming validation of bytes that arrive in pieces (a file read block by block).
class Utf8Validator {
 public:
  // False from the first invalid byte on.
  bool feed(const unsigned char* data, std::size_t size);
  // True when everything fed was valid and no sequence is left open.
  bool finish() const { return m_ok && m_need == 0; }

 private:
  int m_need = 0;
  unsigned char m_lo = 0x80;
  unsigned char m_hi = 0xBF;
  bool m_ok = true;
};

// A code point a terminal line must not show as it is: C0 controls, DEL, C1 controls
// (U+0080..U+009F), bidirectional controls (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and
// the line and paragraph separators (U+2028, U+2029).
bool unsafe_for_display(char32_t cp);

// Columns `cp` takes on a terminal: 0, 1 or 2 (a control character is given 1: it is shown as
// one replacement character or escaped, never sent as it is).
int code_point_width(char32_t cp);

// Columns `s` takes when each invalid byte and each unsafe_for_display code point is shown as one
// '?' (the dashboard's frame) and every other character by code_point_width.
int display_width(std::string_view s);

// The length in bytes of the longest prefix of `s` at most `width` columns wide (display_width),
// zero-width characters after the last that fits included.
std::size_t width_prefix(std::string_view s, int width);

}  // namespace g2d
