#include "dataset/json_line.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "core/utf8.hpp"

namespace g2d::dataset {

namespace {

// Bytes copied as they are: printable ASCII other than '"' and '\\'.
constexpr std::array<bool, 256> k_plain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c)
    plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

void append_control(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      constexpr std::string_view hex = "0123456789abcdef";
      const std::array<char, 6> escaped{'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
      out.append(escaped.data(), escaped.size());
    }
  }
}

// 16 bytes at a time (GCC and Clang vector extensions: SSE2 on x86-64, NEON on arm64).
using Bytes16 = unsigned char __attribute__((vector_size(16)));

// Whether any of the 16 bytes at `p` needs attention: a control character, '"', '\\' or a byte
// >= 0x80.
bool needs_attention(const char* p) {
  Bytes16 v;
  std::memcpy(&v, p, sizeof v);
  const Bytes16 marks = (v < 0x20) | (v == '"') | (v == '\\') | (v >= 0x80);
  std::uint64_t halves[2];
  std::memcpy(halves, &marks, sizeof halves);
  return (halves[0] | halves[1]) != 0;
}

// The end of the run of plain bytes starting at `i`.
std::size_t plain_run_end(std::string_view text, std::size_t i) {
  const std::size_t n = text.size();
  while (i + 16 <= n && !needs_attention(text.data() + i))
    i += 16;
  while (i < n && k_plain[static_cast<unsigned char>(text[i])])
    ++i;
  return i;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  out.reserve(out.size() + n);
  while (i < n) {
    const std::size_t run = plain_run_end(text, i);
    out.append(text.data() + i, run - i);
    i = run;
    if (i == n)
      break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      append_control(out, c);
      ++i;
      continue;
    }
    const Utf8Char u = decode_utf8(text, i);
    if (u.valid)
      out.append(text.data() + i, u.length);
    else
      out += k_replacement;
    i += u.length;
  }
}

void JsonLine::before_value() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (m_depth > 0) {
    if (!m_empty[m_depth - 1])
      m_out += ',';
    m_empty[m_depth - 1] = false;
  }
}

void JsonLine::open(char bracket) {
  before_value();
  m_out += bracket;
  if (m_depth < m_empty.size())
    m_empty[m_depth++] = true;
}

JsonLine& JsonLine::begin_object() {
  open('{');
  return *this;
}

JsonLine& JsonLine::begin_array() {
  open('[');
  return *this;
}

JsonLine& JsonLine::end_object() {
  m_out += '}';
  if (m_depth > 0)
    --m_depth;
  return *this;
}

JsonLine& JsonLine::end_array() {
  m_out += ']';
  if (m_depth > 0)
    --m_depth;
  return *this;
}

JsonLine& JsonLine::key(std::string_view name) {
  before_value();
  m_out += '"';
  append_json_escaped(m_out, name);
  m_out += "\":";
  m_after_key = true;
  return *this;
}

JsonLine& JsonLine::string(std::string_view text) {
  before_value();
  m_out += '"';
  append_json_escaped(m_out, text);
  m_out += '"';
  return *this;
}

namespace {

// Whether a UTF-8 sequence may run across a boundary between two (non-empty) parts: a byte >= 0x80
// followed by a continuation byte. Only then does escaping the parts one by one differ from
// escaping their concatenation.
bool may_split_a_sequence(std::initializer_list<std::string_view> parts) {
  unsigned char last = 0;
  for (std::string_view part : parts) {
    if (part.empty())
      continue;
    const auto first = static_cast<unsigned char>(part.front());
    if (last >= 0x80 && first >= 0x80 && first <= 0xBF)
      return true;
    last = static_cast<unsigned char>(part.back());
  }
  return false;
}

}  // namespace

JsonLine& JsonLine::strings(std::initializer_list<std::string_view> parts) {
  before_value();
  m_out += '"';
  if (may_split_a_sequence(parts)) {
    std::string joined;
    for (std::string_view part : parts)
      joined += part;
    append_json_escaped(m_out, joined);
  } else {
    for (std::string_view part : parts)
      append_json_escaped(m_out, part);
  }
  m_out += '"';
  return *this;
}

JsonLine& JsonLine::integer(std::int64_t value) {
  before_value();
  fmt::format_to(std::back_inserter(m_out), "{}", value);
  return *this;
}

JsonLine& JsonLine::real(double value) {
  before_value();
  if (!std::isfinite(value)) {
    m_out += "null";  // what JSON has for them (nlohmann writes the same)
    return *this;
  }
  const std::size_t start = m_out.size();
  fmt::format_to(std::back_inserter(m_out), "{}", value);
  if (m_out.find_first_of(".e", start) == std::string::npos)
    m_out += ".0";
  return *this;
}

}  // namespace g2d::dataset
