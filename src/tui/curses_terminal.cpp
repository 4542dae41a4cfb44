#include "tui/curses_terminal.hpp"

#include <array>
#include <cerrno>
#include <clocale>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <langinfo.h>
#include <termios.h>
#include <unistd.h>

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <curses.h>
#include <term.h>

namespace g2d::tui {

namespace {

// --- Giving the terminal back on a crash. -------------------------------------------------------
// Filled before the handlers are installed and only read by them: nothing here allocates or locks.
struct Restore {
  int fd = -1;
  termios modes{};
  bool have_modes = false;
  std::array<char, 512> sequence{};
  size_t length = 0;
};
Restore g_restore;
constexpr std::array<int, 5> k_crash_signals = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
std::array<struct sigaction, k_crash_signals.size()> g_previous{};
std::terminate_handler g_previous_terminate = nullptr;

void restore_terminal_now() noexcept {
  if (g_restore.fd < 0)
    return;
  size_t written = 0;
  while (written < g_restore.length) {
    ssize_t n =
        write(g_restore.fd, g_restore.sequence.data() + written, g_restore.length - written);
    if (n <= 0)
      break;
    written += static_cast<size_t>(n);
  }
  if (g_restore.have_modes)
    tcsetattr(g_restore.fd, TCSANOW, &g_restore.modes);
}

extern "C" void on_crash(int sig) {
  int saved_errno = errno;
  restore_terminal_now();
  for (size_t i = 0; i < k_crash_signals.size(); ++i)
    if (k_crash_signals[i] == sig)
      sigaction(sig, &g_previous[i], nullptr);
  // Blocked while this handler runs: delivered, to the previous handler, when it returns (a
  // fault's instruction also runs again and faults the same way).
  raise(sig);
  errno = saved_errno;
}

[[noreturn]] void on_terminate() {
  restore_terminal_now();
  if (g_previous_terminate != nullptr)
    g_previous_terminate();
  std::abort();
}

void append_capability(const char* name) {
  // tigetstr takes a char* in older curses headers.
  // It answers (char*)-1 for a name that is not a string capability: compared as an integer.
  char* value = tigetstr(const_cast<char*>(name));
  if (value == nullptr || reinterpret_cast<std::intptr_t>(value) == -1)
    return;
  size_t n = std::strlen(value);
  if (g_restore.length + n > g_restore.sequence.size())
    return;
  std::memcpy(g_restore.sequence.data() + g_restore.length, value, n);
  g_restore.length += n;
}

void install_crash_handlers(int fd, const termios* modes) {
  g_restore = Restore{};
  g_restore.fd = fd;
  if (modes != nullptr) {
    g_restore.modes = *modes;
    g_restore.have_modes = true;
  }
  for (const char* cap : {"sgr0", "cnorm", "rmkx", "rmcup"})
    append_capability(cap);
  struct sigaction action {};
  action.sa_handler = on_crash;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < k_crash_signals.size(); ++i)
    sigaction(k_crash_signals[i], &action, &g_previous[i]);
  g_previous_terminate = std::set_terminate(on_terminate);
}

void remove_crash_handlers() {
  for (size_t i = 0; i < k_crash_signals.size(); ++i)
    sigaction(k_crash_signals[i], &g_previous[i], nullptr);
  std::set_terminate(g_previous_terminate);
  g_restore.fd = -1;
}

// --- Drawing. ------------------------------------------------------------------------------------

// UTF-8 → wide characters (at most `max`); the frame's text is valid UTF-8.
size_t widen(const std::string& text, wchar_t* out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < text.size() && n < max;) {
    Utf8Char c = decode_utf8(text, i);
    i += c.length;
    out[n++] = static_cast<wchar_t>(c.code_point);
  }
  return n;
}

// What a terminal without UTF-8 shows for the frame's few non-ASCII characters.
wchar_t ascii_for(wchar_t c) {
  switch (c) {
    case L'─':
      return L'-';
    case L'│':
      return L'|';
    case L'┌':
    case L'┐':
    case L'└':
    case L'┘':
      return L'+';
    case L'█':
      return L'#';
    case L'░':
    case L'·':
      return L'.';
    case L'…':
      return L'~';
    case L'×':
      return L'x';
    case L'↑':
      return L'^';
    case L'↓':
      return L'v';
    default:
      return c < 0x80 ? c : L'?';
  }
}

short color_pair(Color c) {
  switch (c) {
    case Color::red:
      return 1;
    case Color::green:
      return 2;
    case Color::yellow:
      return 3;
    case Color::blue:
      return 4;
    case Color::magenta:
      return 5;
    case Color::cyan:
      return 6;
    case Color::normal:
      break;
  }
  return 0;
}

}  // namespace

std::optional<std::string> why_no_terminal(int in_fd, int out_fd, const char* term) {
  if (isatty(out_fd) == 0)
    return "standard output is not a terminal";
  if (isatty(in_fd) == 0)
    return "standard input is not a terminal";
  if (term == nullptr || *term == '\0')
    return "TERM is not set";
  if (std::strcmp(term, "dumb") == 0)
    return "TERM is \"dumb\" (a terminal that cannot place the cursor)";
  return std::nullopt;
}

Result<std::unique_ptr<CursesTerminal>> CursesTerminal::open(std::FILE* out, std::FILE* in,
                                                             bool color) {
  std::setlocale(LC_CTYPE, "");
  termios modes{};
  bool have_modes = tcgetattr(fileno(in), &modes) == 0;
  std::unique_ptr<CursesTerminal> t(new CursesTerminal());
  SCREEN* screen = newterm(nullptr, out, in);
  if (screen == nullptr)
    return fail(ErrorKind::io, "cannot set up the terminal (TERM={})",
                std::getenv("TERM") != nullptr ? std::getenv("TERM") : "");
  t->m_screen = screen;
  set_term(screen);
  install_crash_handlers(fileno(out), have_modes ? &modes : nullptr);
  t->m_utf8 = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  leaveok(stdscr, TRUE);
  if (color && has_colors()) {
    start_color();
    use_default_colors();
    const std::array<short, 6> colors = {COLOR_RED,  COLOR_GREEN,   COLOR_YELLOW,
                                         COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN};
    for (size_t i = 0; i < colors.size(); ++i)
      init_pair(static_cast<short>(i + 1), colors[i], -1);
    t->m_color = true;
  }
  return t;
}

CursesTerminal::~CursesTerminal() {
  if (m_screen == nullptr)
    return;
  endwin();
  remove_crash_handlers();
  delscreen(static_cast<SCREEN*>(m_screen));
}

TerminalSize CursesTerminal::size() {
  int rows = 0;
  int cols = 0;
  getmaxyx(stdscr, rows, cols);
  return {cols, rows};
}

void CursesTerminal::draw(const Frame& frame) {
  TerminalSize screen = size();
  int rows = std::min(screen.rows, frame.rows());
  int cols = std::min(screen.cols, frame.cols());
  if (m_repaint) {
    clearok(curscr, TRUE);  // once after a resize, never per frame
    m_repaint = false;
  }
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const Cell& cell = frame.at(c, r);
      if (cell.wide_tail)
        continue;
      std::array<wchar_t, CCHARW_MAX + 1> text{};
      size_t n = widen(cell.text, text.data(), CCHARW_MAX);
      if (n == 0)
        text[n++] = L' ';
      if (!m_utf8) {
        text[0] = ascii_for(text[0]);
        n = 1;
      }
      text[n] = L'\0';
      attr_t attrs = A_NORMAL;
      if (cell.style.bold)
        attrs |= A_BOLD;
      if (cell.style.reverse)
        attrs |= A_REVERSE;
      if (cell.style.dim)
        attrs |= A_DIM;
      short pair = m_color ? color_pair(cell.style.color) : short{0};
      cchar_t ch{};
      setcchar(&ch, text.data(), attrs, pair, nullptr);
      // The bottom-right cell is inserted: adding it would move the cursor past the screen.
      if (r == screen.rows - 1 && c == screen.cols - 1)
        mvwins_wch(stdscr, r, c, &ch);
      else
        mvwadd_wch(stdscr, r, c, &ch);
    }
  }
  wnoutrefresh(stdscr);
  doupdate();
}

KeyEvent CursesTerminal::read_key(std::chrono::milliseconds timeout) {
  wtimeout(stdscr, static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, timeout.count())));
  wint_t ch = 0;
  int kind = wget_wch(stdscr, &ch);
  if (kind == ERR)
    return {};
  if (kind == KEY_CODE_YES) {
    switch (ch) {
      case KEY_RESIZE:
        m_repaint = true;
        return {Key::resize, 0};
      case KEY_UP:
        return {Key::up, 0};
      case KEY_DOWN:
        return {Key::down, 0};
      case KEY_PPAGE:
        return {Key::page_up, 0};
      case KEY_NPAGE:
        return {Key::page_down, 0};
      case KEY_HOME:
        return {Key::home, 0};
      case KEY_END:
        return {Key::end, 0};
      default:
        return {};
    }
  }
  if (ch == 27)
    return {Key::escape, 0};
  return {Key::character, static_cast<char32_t>(ch)};
}

}  // namespace g2d::tui
