#include "tui/frame.hpp"

#include <algorithm>
#include <utility>

#include "core/utf8.hpp"

namespace g2d::tui {

namespace {

// One character as drawn: its text and width; controls and invalid bytes become '?'.
struct Glyph {
  std::string text;
  int width = 1;
};

Glyph next_glyph(std::string_view s, size_t& i) {
  Utf8Char c = decode_utf8(s, i);
  if (!c.valid) {
    ++i;  // each invalid byte is one '?'
    return {"?", 1};
  }
  std::string_view bytes = s.substr(i, c.length);
  i += c.length;
  if (unsafe_for_display(c.code_point))
    return {"?", 1};
  return {std::string(bytes), code_point_width(c.code_point)};
}

}  // namespace

std::string cut_to_width(std::string_view text, int width) {
  return std::string(text.substr(0, width_prefix(text, width)));
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
