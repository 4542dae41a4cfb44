// sys/sha256.hpp — SHA-256 of a byte string, as lower-case hex (OpenSSL).
// Thread-safety: reentrant. Errors: none (OpenSSL's SHA-256 is always available).
#pragma once

#include <string>
#include <string_view>

namespace g2d::sys {

std::string sha256_hex(std::string_view data);

}  // namespace g2d::sys
