// tui/terminal.hpp — what the dashboard loop needs of a terminal: its size, drawing a whole frame
// at once, and the next key within a timeout. Abstract so that tests drive the loop with a fake
// (keys from a script, frames captured); the real one is tui/curses_terminal.hpp.
//
// Thread-safety: one thread uses a terminal. Errors: none (a failed draw is the screen's concern).
#pragma once

#include <chrono>

#include "tui/frame.hpp"

namespace g2d::tui {

enum class Key {
  none,  // the timeout passed
  resize,
  up,
  down,
  page_up,
  page_down,
  home,
  end,
  escape,
  character,  // KeyEvent::ch
};

struct KeyEvent {
  Key key = Key::none;
  char32_t ch = 0;
};

struct TerminalSize {
  int cols = 0;
  int rows = 0;
};

class Terminal {
 public:
  virtual ~Terminal() = default;
  virtual TerminalSize size() = 0;
  // Shows `frame` (sized to size()) in one update.
  virtual void draw(const Frame& frame) = 0;
  virtual KeyEvent read_key(std::chrono::milliseconds timeout) = 0;
};

}  // namespace g2d::tui
