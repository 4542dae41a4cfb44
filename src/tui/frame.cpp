#include "tui/frame.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace g2d::tui {

namespace {

constexpr char32_t k_invalid = 0xFFFFFFFF;

// The code point at `i` (advanced past it); k_invalid for a byte that does not start valid UTF-8.
char32_t decode(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  int extra = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b & 0xE0) == 0xC0) {
    extra = 1;
    cp = b & 0x1F;
    min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    extra = 2;
    cp = b & 0x0F;
    min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    extra = 3;
    cp = b & 0x07;
    min = 0x10000;
  } else {
    ++i;
    return k_invalid;
  }
  if (i + static_cast<size_t>(extra) >= s.size()) {
    ++i;
    return k_invalid;
  }
  for (int k = 1; k <= extra; ++k) {
    auto c = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return k_invalid;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return k_invalid;
  }
  i += static_cast<size_t>(extra) + 1;
  return cp;
}

std::string encode(char32_t cp) {
  std::string out;
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
  return out;
}

bool in(char32_t cp, char32_t lo, char32_t hi) {
  return cp >= lo && cp <= hi;
}

// Columns a code point takes: 0 (combining marks, zero-width characters), 1 or 2 (East Asian
// wide and fullwidth, emoji). Control characters are not asked about: they are drawn as '?'.
int char_width(char32_t cp) {
  static constexpr std::array<std::pair<char32_t, char32_t>, 9> zero{{{0x0300, 0x036F},
                                                                      {0x0483, 0x0489},
                                                                      {0x0591, 0x05BD},
                                                                      {0x1AB0, 0x1AFF},
                                                                      {0x1DC0, 0x1DFF},
                                                                      {0x200B, 0x200F},
                                                                      {0x20D0, 0x20FF},
                                                                      {0xFE00, 0xFE0F},
                                                                      {0xFE20, 0xFE2F}}};
  static constexpr std::array<std::pair<char32_t, char32_t>, 15> wide{{{0x1100, 0x115F},
                                                                       {0x2E80, 0x303E},
                                                                       {0x3041, 0x33FF},
                                                                       {0x3400, 0x4DBF},
                                                                       {0x4E00, 0x9FFF},
                                                                       {0xA000, 0xA4CF},
                                                                       {0xAC00, 0xD7A3},
                                                                       {0xF900, 0xFAFF},
                                                                       {0xFE30, 0xFE4F},
                                                                       {0xFF00, 0xFF60},
                                                                       {0xFFE0, 0xFFE6},
                                                                       {0x1F300, 0x1F64F},
                                                                       {0x1F900, 0x1F9FF},
                                                                       {0x20000, 0x2FFFD},
                                                                       {0x30000, 0x3FFFD}}};
  for (const auto& [lo, hi] : zero)
    if (in(cp, lo, hi))
      return 0;
  for (const auto& [lo, hi] : wide)
    if (in(cp, lo, hi))
      return 2;
  return 1;
}

bool is_control(char32_t cp) {
  return cp < 0x20 || in(cp, 0x7F, 0x9F) || in(cp, 0x2028, 0x2029) || in(cp, 0x202A, 0x202E) ||
         in(cp, 0x2066, 0x2069);
}

// One character as drawn: its text and width; controls and invalid bytes become '?'.
struct Glyph {
  std::string text;
  int width = 1;
};

Glyph next_glyph(std::string_view s, size_t& i) {
  char32_t cp = decode(s, i);
  if (cp == k_invalid || is_control(cp))
    return {"?", 1};
  return {encode(cp), char_width(cp)};
}

}  // namespace

int display_width(std::string_view text) {
  int width = 0;
  for (size_t i = 0; i < text.size();)
    width += next_glyph(text, i).width;
  return width;
}

std::string cut_to_width(std::string_view text, int width) {
  int used = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t at = i;
    Glyph g = next_glyph(text, i);
    if (used + g.width > width)
      return std::string(text.substr(0, at));
    used += g.width;
  }
  return std::string(text);
}

std::string ellipsize(std::string_view text, int width) {
  if (display_width(text) <= width)
    return std::string(text);
  if (width <= 0)
    return "";
  return cut_to_width(text, width - 1) + "…";
}

std::string cut_left_to_width(std::string_view text, int width) {
  int total = display_width(text);
  if (total <= width)
    return std::string(text);
  if (width <= 0)
    return "";
  // Drop characters from the front until the rest and "…" fit.
  int drop = total - (width - 1);
  int dropped = 0;
  size_t i = 0;
  while (i < text.size() && dropped < drop)
    dropped += next_glyph(text, i).width;
  // A zero-width mark never starts the kept part.
  while (i < text.size()) {
    size_t at = i;
    if (next_glyph(text, at).width != 0)
      break;
    i = at;
  }
  return "…" + std::string(text.substr(i));
}

Frame::Frame(int cols, int rows)
    : m_cols(std::max(0, cols)),
      m_rows(std::max(0, rows)),
      m_cells(static_cast<size_t>(m_cols) * static_cast<size_t>(m_rows)) {}

const Cell& Frame::at(int col, int row) const {
  static const Cell outside;
  if (col < 0 || row < 0 || col >= m_cols || row >= m_rows)
    return outside;
  return m_cells[static_cast<size_t>(row) * static_cast<size_t>(m_cols) + static_cast<size_t>(col)];
}

Cell* Frame::cell(int col, int row) {
  if (col < 0 || row < 0 || col >= m_cols || row >= m_rows)
    return nullptr;
  return &m_cells[static_cast<size_t>(row) * static_cast<size_t>(m_cols) +
                  static_cast<size_t>(col)];
}

int Frame::put(int col, int row, std::string_view text, Style style, int max_width) {
  if (row < 0 || row >= m_rows)
    return 0;
  int limit = max_width < 0 ? m_cols : std::min(m_cols, col + max_width);
  int x = col;
  size_t i = 0;
  while (i < text.size()) {
    Glyph g = next_glyph(text, i);
    if (g.width == 0) {
      // A combining mark joins the character drawn before it (inside this text).
      if (x > col && x - 1 < limit) {
        Cell* prev = cell(x - 1, row);
        if (prev != nullptr && prev->wide_tail)
          prev = cell(x - 2, row);
        if (prev != nullptr)
          prev->text += g.text;
      }
      continue;
    }
    if (x + g.width > limit)
      break;
    if (x >= 0) {
      // Overwriting half of a wide character blanks its other half.
      if (Cell* c = cell(x, row); c != nullptr && c->wide_tail)
        if (Cell* head = cell(x - 1, row))
          *head = Cell{" ", head->style, false};
      if (Cell* after = cell(x + g.width, row); after != nullptr && after->wide_tail)
        *after = Cell{" ", after->style, false};
      if (Cell* c = cell(x, row))
        *c = Cell{g.text, style, false};
      if (g.width == 2)
        if (Cell* tail = cell(x + 1, row))
          *tail = Cell{"", style, true};
    }
    x += g.width;
  }
  return std::max(0, x - col);
}

void Frame::paint(int col, int row, int width, int height, Style style) {
  for (int r = row; r < row + height; ++r)
    for (int c = col; c < col + width; ++c)
      if (Cell* p = cell(c, r))
        p->style = style;
}

void Frame::clear(int col, int row, int width, int height) {
  for (int r = row; r < row + height; ++r)
    for (int c = col; c < col + width; ++c)
      if (Cell* p = cell(c, r))
        *p = Cell{};
}

void Frame::box(int col, int row, int width, int height, std::string_view title, Style style) {
  if (width < 2 || height < 2)
    return;
  int right = col + width - 1;
  int bottom = row + height - 1;
  for (int c = col + 1; c < right; ++c) {
    put(c, row, "─", style, 1);
    put(c, bottom, "─", style, 1);
  }
  for (int r = row + 1; r < bottom; ++r) {
    put(col, r, "│", style, 1);
    put(right, r, "│", style, 1);
  }
  put(col, row, "┌", style, 1);
  put(right, row, "┐", style, 1);
  put(col, bottom, "└", style, 1);
  put(right, bottom, "┘", style, 1);
  if (!title.empty() && width > 4) {
    Style bold = style;
    bold.bold = true;
    put(col + 1, row, " " + ellipsize(title, width - 4) + " ", bold, width - 2);
  }
}

std::string Frame::row_text(int row) const {
  std::string out;
  for (int c = 0; c < m_cols; ++c) {
    const Cell& cell = at(c, row);
    if (!cell.wide_tail)
      out += cell.text;
  }
  return out;
}

std::string Frame::text() const {
  std::string out;
  for (int r = 0; r < m_rows; ++r) {
    if (r > 0)
      out += '\n';
    out += row_text(r);
  }
  return out;
}

}  // namespace g2d::tui
