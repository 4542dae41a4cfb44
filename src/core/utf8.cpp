#include "core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace g2d {

namespace {

// What a lead byte starts (RFC 3629's table): how many continuation bytes follow and the range
// of the first one (narrower after E0, ED, F0 and F4: no overlongs, surrogates or > U+10FFFF).
struct Lead {
  int need = -1;  // -1: the byte cannot start a sequence
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
};

constexpr Lead lead_of(unsigned char b) {
  if (b < 0x80)
    return {0};
  if (b >= 0xC2 && b <= 0xDF)
    return {1};
  if (b == 0xE0)
    return {2, 0xA0, 0xBF};
  if (b == 0xED)
    return {2, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF)
    return {2};
  if (b == 0xF0)
    return {3, 0x90, 0xBF};
  if (b == 0xF4)
    return {3, 0x80, 0x8F};
  if (b >= 0xF1 && b <= 0xF3)
    return {3};
  return {};
}

bool in(char32_t cp, char32_t lo, char32_t hi) {
  return cp >= lo && cp <= hi;
}

}  // namespace

Utf8Char decode_utf8(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  const Lead lead = lead_of(b);
  if (lead.need == 0)
    return {b, 1, true};
  if (lead.need < 0)
    return {};
  char32_t cp = b & (0x3FU >> lead.need);
  for (int k = 1; k <= lead.need; ++k) {
    const std::size_t at = i + static_cast<std::size_t>(k);
    const unsigned char lo = k == 1 ? lead.lo : 0x80;
    const unsigned char hi = k == 1 ? lead.hi : 0xBF;
    if (at >= s.size() || byte(at) < lo || byte(at) > hi)
      return {k_replacement_character, static_cast<std::size_t>(k), false};
    cp = (cp << 6) | (byte(at) & 0x3FU);
  }
  return {cp, static_cast<std::size_t>(lead.need) + 1, true};
}

bool valid_utf8(std::string_view s) {
  Utf8Validator v;
  v.feed(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  return v.finish();
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    Utf8Char c = decode_utf8(s, i);
    if (c.valid)
      out.append(s.substr(i, c.length));
    else
      append_utf8(out, k_replacement_character);
    i += c.length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || in(cp, 0xD800, 0xDFFF))
    cp = k_replacement_character;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::size_t utf8_boundary(std::string_view s, std::size_t at) {
  if (at >= s.size())
    return s.size();
  for (int back = 0; back < 3 && at > 0 && is_utf8_continuation(static_cast<unsigned char>(s[at]));
       ++back)
    --at;
  return at;
}

std::size_t utf8_complete_length(std::string_view s) {
  std::size_t i = s.size();
  std::size_t back = 0;
  while (i > 0 && back < 4 && is_utf8_continuation(static_cast<unsigned char>(s[i - 1]))) {
    --i;
    ++back;
  }
  if (i == 0)
    return s.size();
  const auto lead = static_cast<unsigned char>(s[i - 1]);
  const std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return need > 1 && back + 1 < need ? i - 1 : s.size();
}

std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    n += is_utf8_continuation(static_cast<unsigned char>(c)) ? 0 : 1;
  return n;
}

bool Utf8Validator::feed(const unsigned char* data, std::size_t size) {
  std::size_t i = 0;
  while (m_ok && i < size) {
    if (m_need == 0) {
      // ASCII fast path, 8 bytes at a time.
      while (i + 8 <= size) {
        std::uint64_t word = 0;
        std::memcpy(&word, data + i, 8);
        if ((word & 0x8080808080808080ULL) != 0)
          break;
        i += 8;
      }
      if (i >= size)
        break;
      const Lead lead = lead_of(data[i++]);
      if (lead.need < 0)
        m_ok = false;
      m_need = lead.need < 0 ? 0 : lead.need;
      m_lo = lead.lo;
      m_hi = lead.hi;
    } else {
      const unsigned char b = data[i++];
      if (b < m_lo || b > m_hi)
        m_ok = false;
      m_lo = 0x80;
      m_hi = 0xBF;
      --m_need;
    }
  }
  return m_ok;
}

bool unsafe_for_display(char32_t cp) {
  return cp < 0x20 || in(cp, 0x7F, 0x9F) || in(cp, 0x200E, 0x200F) || in(cp, 0x2028, 0x202E) ||
         in(cp, 0x2066, 0x2069);
}

namespace {

// The columns of the character at s[i] as display_width() counts them; advances `i` past it.
int next_width(std::string_view s, std::size_t& i) {
  Utf8Char c = decode_utf8(s, i);
  if (!c.valid) {
    ++i;
    return 1;
  }
  i += c.length;
  return unsafe_for_display(c.code_point) ? 1 : code_point_width(c.code_point);
}

}  // namespace

int display_width(std::string_view s) {
  int width = 0;
  for (std::size_t i = 0; i < s.size();)
    width += next_width(s, i);
  return width;
}

std::size_t width_prefix(std::string_view s, int width) {
  int used = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    used += next_width(s, i);
    if (used > width)
      return at;
  }
  return s.size();
}

}  // namespace g2d
