// core/text.hpp — small text helpers shared by several libraries.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace g2d {

// ASCII lower case (keys, section names, URL schemes and hosts are ASCII).
std::string to_lower(std::string_view s);

}  // namespace g2d
