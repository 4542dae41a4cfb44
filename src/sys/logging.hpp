// sys/logging.hpp — the process's logger: spdlog to stderr and, when a path is given, to a log
// file (beside the database, so `tui` and users find it).
//
// Levels: -q → warnings and errors only; default → info; -v → debug; -vv → trace. The file always
// receives debug and above.
// Every message, on the terminal and in the file, has its control characters escaped as
// core/text.hpp's escape_controls() does (TAB kept): one record is one line, and nothing a server,
// a model or a file name puts in a message (ESC sequences, BEL, CR, bidi overrides) reaches a
// terminal or the log file raw. Call init_logging once, early, from app::run; afterwards spdlog's
// default logger is thread-safe and used through spdlog::info(...) etc.
// Thread-safety: init_logging and attach_log_file before other threads start; set_console_overlay
// at any time.
// Errors: a log file that cannot be opened is reported on stderr and logging continues without it.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>

namespace g2d::sys {

// verbosity: -1 quiet, 0 normal, 1 verbose, 2+ trace.
void init_logging(int verbosity, bool color);

// Adds (or replaces) the log file sink. Parent directories are created.
void attach_log_file(const std::filesystem::path& path);

// Something kept on the terminal's last line (prepare's progress bar) that log lines must not
// garble: while one is set, each console log line is written by its write_above, which clears
// the line, runs `write` and draws itself again, all under its own lock (so that nothing else
// draws in between). It is called under the console sink's lock, so it must not log.
class ConsoleOverlay {
 public:
  virtual ~ConsoleOverlay() = default;
  virtual void write_above(const std::function<void()>& write) = 0;
};

// Sets the overlay, or removes it (nullptr); safe while other threads log. The overlay must stay
// alive until it is removed. Without init_logging it does nothing.
void set_console_overlay(ConsoleOverlay* overlay);

}  // namespace g2d::sys
