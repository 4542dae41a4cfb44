// tests/redact/fakes.hpp — fake secrets for the redaction tests, assembled at run time from
// seeded pseudo-random bodies (so no test file holds anything a secret scanner would flag), and
// the helpers that plant them and count lines.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace g2d::redact::test {

constexpr std::string_view k_upper_digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view k_alnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view k_letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_b64url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view k_b64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view k_hex = "0123456789abcdef";

// `n` characters of `alphabet`, pseudo-random but the same for the same seed.
inline std::string fake(std::string_view alphabet, size_t n, uint32_t seed) {
  std::string out;
  uint64_t state = 0x9E3779B97F4A7C15ULL ^ seed;
  for (size_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    out += alphabet[(state >> 33) % alphabet.size()];
  }
  return out;
}

// `text` with every "@@" replaced by `secret`.
inline std::string plant(std::string_view text, std::string_view secret) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 2) == "@@") {
      out += secret;
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

inline size_t newlines(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

inline size_t line_of(std::string_view text, std::string_view needle) {
  size_t at = text.find(needle);
  return at == std::string_view::npos ? 0 : newlines(text.substr(0, at)) + 1;
}

// The PEM body of a fake key: `lines` lines of 64 base64 characters and a shorter last one.
inline std::string pem_body(size_t lines, uint32_t seed, std::string_view indent = "") {
  std::string out;
  for (size_t i = 0; i < lines; ++i)
    out += std::string(indent) + fake(k_b64, 64, seed + static_cast<uint32_t>(i)) + "\n";
  out += std::string(indent) + fake(k_b64, 20, seed + 999) + "==\n";
  return out;
}

}  // namespace g2d::redact::test
