// tui/frame.hpp — one frame of the dashboard: a grid of cells, each one character (UTF-8) with a
// style, that the layout draws into and the screen copies to the terminal in one update. Tests
// read it back as text: it is the capturing render target.
//
// Text is placed by display width: a wide character (CJK, most emoji) takes two cells (the second
// is its tail), a combining mark joins the character before it, and text is cut at the width it
// is given — never wrapped, never written outside the frame. Control characters and bytes that
// are not UTF-8 are drawn as '?', so nothing written to a Frame can move a terminal's cursor.
// (Widths are core/utf8.hpp's code_point_width, the same as glibc's wcwidth(); a terminal whose
// wcwidth disagrees for a character may shift the rest of that line, never another line.)
//
// Ownership: plain value. Thread-safety: none (one thread draws a frame). Errors: none; drawing
// outside the frame is clipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.hpp"

namespace g2d::tui {

enum class Color : std::uint8_t { normal, red, green, yellow, blue, magenta, cyan };

struct Style {
  bool bold = false;
  bool reverse = false;
  bool dim = false;
  Color color = Color::normal;

  bool operator==(const Style&) const = default;
};

struct Cell {
  std::string text = " ";  // one character with its combining marks; "" for a wide one's tail
  Style style;
  bool wide_tail = false;  // the right half of the wide character in the cell before

  bool operator==(const Cell&) const = default;
};

// Display width of UTF-8 text, as Frame::put lays it out (core/utf8.hpp).
using g2d::display_width;
// The longest prefix of `text` at most `width` columns wide.
std::string cut_to_width(std::string_view text, int width);
// `text` if it fits in `width`, else "…" and its end (paths keep their file name).
std::string cut_left_to_width(std::string_view text, int width);
// `text` if it fits in `width`, else its beginning and "…".
std::string ellipsize(std::string_view text, int width);

class Frame {
 public:
  Frame(int cols, int rows);

  int cols() const { return m_cols; }
  int rows() const { return m_rows; }
  const Cell& at(int col, int row) const;

  // Writes `text` from (col, row), at most `max_width` columns (< 0: to the frame's edge), and
  // returns how many columns it advanced from `col` (cells left of the frame included). A wide
  // character that does not fit whole is not drawn.
  int put(int col, int row, std::string_view text, Style style = {}, int max_width = -1);
  // Sets the style of a rectangle, keeping its text.
  void paint(int col, int row, int width, int height, Style style);
  // A box with a single-line border and a title on its top edge.
  void box(int col, int row, int width, int height, std::string_view title, Style style = {});
  // Blanks a rectangle.
  void clear(int col, int row, int width, int height);

  // A row's characters (wide tails left out), or all rows joined by '\n': what a test compares.
  std::string row_text(int row) const;
  std::string text() const;

 private:
  Cell* cell(int col, int row);

  int m_cols;
  int m_rows;
  std::vector<Cell> m_cells;
};

}  // namespace g2d::tui
