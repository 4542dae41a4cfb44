#include "core/text.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace g2d {

std::string format_duration(std::int64_t seconds) {
  seconds = std::max<std::int64_t>(0, seconds);
  if (seconds < 60)
    return fmt::format("{}s", seconds);
  if (seconds < 3600)
    return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  if (seconds < 86400)
    return fmt::format("{}h{:02}m", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{}d{:02}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

namespace {

// The length of the valid UTF-8 sequence starting at s[i] (RFC 3629), or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(i);
  size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    lo = b == 0xE0 ? 0xA0 : 0x80;
    hi = b == 0xED ? 0x9F : 0xBF;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    lo = b == 0xF0 ? 0x90 : 0x80;
    hi = b == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + need >= s.size())
    return 0;
  for (size_t k = 1; k <= need; ++k) {
    unsigned char c = byte(i + k);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF))
      return 0;
  }
  return need + 1;
}

// A code point printable() escapes although it is valid UTF-8.
bool unsafe_code_point(std::string_view seq) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(seq[k]); };
  if (seq.size() == 2)
    return b(0) == 0xC2 && b(1) <= 0x9F;  // C1 controls
  if (seq.size() == 3 && b(0) == 0xE2) {
    if (b(1) == 0x80)  // U+200E, U+200F, U+2028, U+2029, U+202A..U+202E
      return b(2) == 0x8E || b(2) == 0x8F || (b(2) >= 0xA8 && b(2) <= 0xAE);
    if (b(1) == 0x81)
      return b(2) >= 0xA6 && b(2) <= 0xA9;  // U+2066..U+2069
  }
  return false;
}

unsigned code_point(std::string_view seq) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(seq[k]); };
  if (seq.size() == 2)
    return ((b(0) & 0x1FU) << 6) | (b(1) & 0x3FU);
  return ((b(0) & 0x0FU) << 12) | ((b(1) & 0x3FU) << 6) | (b(2) & 0x3FU);
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[b >> 4];
    out[2 * i + 1] = digits[b & 0xF];
  }
  return out;
}

bool displays_safely(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F)
        return false;
      ++i;
      continue;
    }
    size_t len = utf8_sequence(s, i);
    if (len == 0 || unsafe_code_point(s.substr(i, len)))
      return false;
    i += len;
  }
  return true;
}

namespace {

std::string escaped(std::string_view s, bool keep_tab, bool double_backslash) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  auto hex = [&](unsigned char c) {
    out += "\\x";
    out += digits[c >> 4];
    out += digits[c & 0xF];
  };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = utf8_sequence(s, i);
      if (len == 0) {
        hex(c);
        ++i;
      } else if (unsafe_code_point(s.substr(i, len))) {
        out += fmt::format("\\u{{{:04X}}}", code_point(s.substr(i, len)));
        i += len;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += keep_tab ? "\t" : "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += double_backslash ? "\\\\" : "\\";
        break;
      default:
        if (c < 0x20 || c == 0x7F)
          hex(c);
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string printable(std::string_view s) {
  return escaped(s, false, true);
}

std::string escape_controls(std::string_view s, bool keep_tab) {
  return escaped(s, keep_tab, false);
}

}  // namespace g2d
