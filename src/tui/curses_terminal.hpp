// tui/curses_terminal.hpp — the real terminal: ncurses (wide characters) on the process's terminal.
//
// A frame is written into ncurses' virtual screen cell by cell and sent in one doupdate(), which
// writes only what changed: no clear() per frame, so nothing flickers. A resize (KEY_RESIZE) makes
// the next update repaint everything. Keys are read one at a time with a timeout (cbreak: Ctrl-C
// still raises SIGINT, which the caller polls as a flag).
//
// The terminal is given back on every way out: the destructor (a normal exit, or an exception
// unwinding) calls endwin(); a crash — SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, or std::terminate
// — first writes the saved "leave the alternate screen, show the cursor, reset attributes" sequence
// and restores the saved terminal modes (async-signal-safe: write and tcsetattr only), then
// re-raises the signal with the handler that was there before (so the crash is still reported and
// the process still dies of it).
//
// Ownership: at most one at a time per process; it owns ncurses' screen and the crash handlers.
// Thread-safety: one thread. Errors: open() returns io when the terminal cannot be set up.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "tui/terminal.hpp"

namespace g2d::tui {

// Why the dashboard cannot run here (stdin or stdout is not a terminal; TERM unset or "dumb"), or
// nullopt. Asks only isatty(): it touches nothing.
std::optional<std::string> why_no_terminal(int in_fd, int out_fd, const char* term);

class CursesTerminal final : public Terminal {
 public:
  // Takes over the terminal that `out` and `in` are (the alternate screen, no echo, no cursor).
  // `color`: use colours when the terminal has them (false for NO_COLOR).
  static Result<std::unique_ptr<CursesTerminal>> open(std::FILE* out, std::FILE* in, bool color);
  ~CursesTerminal() override;
  CursesTerminal(const CursesTerminal&) = delete;
  CursesTerminal& operator=(const CursesTerminal&) = delete;

  TerminalSize size() override;
  void draw(const Frame& frame) override;
  KeyEvent read_key(std::chrono::milliseconds timeout) override;

 private:
  CursesTerminal() = default;

  void* m_screen = nullptr;  // SCREEN*
  bool m_utf8 = false;
  bool m_color = false;
  bool m_repaint = false;  // after a resize: the next draw repaints everything
};

}  // namespace g2d::tui
