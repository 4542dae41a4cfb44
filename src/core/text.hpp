// core/text.hpp — small text helpers shared by several libraries.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace g2d {

// ASCII lower case (keys, section names, URL schemes and hosts are ASCII).
std::string to_lower(std::string_view s);

// `s` made safe for one line of a terminal or log: control bytes become \n, \t, \r or \xNN,
// bytes that are not valid UTF-8 become \xNN, and a backslash is doubled; everything else (valid
// UTF-8, spaces, quotes) is kept.
std::string printable(std::string_view s);

}  // namespace g2d
