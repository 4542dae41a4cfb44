// core/text.hpp — small text helpers shared by several libraries.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace g2d {

// "45s", "12m05s", "2h13m", "3d04h" (negative: "0s").
std::string format_duration(std::int64_t seconds);

// ASCII lower case (keys, section names, URL schemes and hosts are ASCII).
std::string to_lower(std::string_view s);

// Bytes as lower-case hexadecimal, two digits per byte (digests).
std::string to_hex(std::string_view bytes);

// `s` made safe for one line of a terminal or log: control bytes become \n, \t, \r or \xNN,
// bytes that are not valid UTF-8 become \xNN, C1 controls (U+0080..U+009F), bidirectional
// controls (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and line/paragraph separators
// (U+2028, U+2029) become \u{XXXX}, and a backslash is doubled; everything else (valid UTF-8,
// spaces, quotes) is kept.
std::string printable(std::string_view s);

// As printable(), for text read as it is, such as a log line: a backslash is kept (so text
// escaped once is left alone when escaped again: escape_controls(printable(s)) == printable(s)),
// and so is TAB when `keep_tab`.
std::string escape_controls(std::string_view s, bool keep_tab);

// Whether printable(s) would keep `s` unchanged apart from doubling backslashes: valid UTF-8
// without any of the characters above. File names failing this are refused (`bad_name`).
bool displays_safely(std::string_view s);

// `s` without the ASCII white space (space, \t, \n, \r, \f, \v) at either end.
std::string_view trim(std::string_view s);

// The pieces of `text` between `separator`s, empty ones left out ("a//b/" → "a", "b"); views
// into `text`.
std::vector<std::string_view> split_nonempty(std::string_view text, char separator);

// Every `from` in `text` replaced by `to`, left to right (an empty `from` changes nothing).
void replace_all(std::string& text, std::string_view from, std::string_view to);

}  // namespace g2d
