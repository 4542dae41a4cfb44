#include "core/text.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/utf8.hpp"

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
    Utf8Char u = decode_utf8(s, i);
    if (!u.valid || unsafe_for_display(u.code_point))
      return false;
    i += u.length;
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
      Utf8Char u = decode_utf8(s, i);
      if (!u.valid) {
        hex(c);
        ++i;
      } else if (unsafe_for_display(u.code_point)) {
        out += fmt::format("\\u{{{:04X}}}", static_cast<unsigned>(u.code_point));
        i += u.length;
      } else {
        out.append(s.substr(i, u.length));
        i += u.length;
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

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty())
    return;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_nonempty(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.find(separator, start), text.size());
    if (end > start)
      pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return pieces;
}

}  // namespace g2d
