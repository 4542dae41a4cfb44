// app/progress.hpp — prepare's progress on the console: a line per finished file on stdout and,
// on a terminal, a bar: one line on stderr, redrawn in place
// ("prepare [#####.....] 120/400 files · 3 failed · 2.1 files/min · ETA 2h13m").
// `ConsoleProgress` is the pipeline's observer (pipeline/progress.hpp) that does both.
//
// `format_progress` is the pure part (tested): the line for given counts, rate and width.
// `ProgressBar` draws it. While a bar is shown it is the console's overlay (sys/logging.hpp): every
// log line first clears the bar and redraws it after, so log lines and the bar never share a line.
// Other output (prepare's per-file lines on stdout) goes through `write_above`. Without a terminal
// the caller makes no bar and prints plain lines only.
//
// Ownership: the bar borrows stderr; it is the console overlay from construction to destruction.
// ConsoleProgress borrows its stream and owns its bar.
// Thread-safety: every ProgressBar method may be called from several threads at once; so may
// ConsoleProgress's observer methods, but not finish() (after the run's last call).
// Errors: none; a failed write to the terminal is ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include "core/text.hpp"  // format_duration
#include "pipeline/progress.hpp"
#include "sys/logging.hpp"

namespace g2d::app {

struct ProgressLine {
  std::int64_t total = 0;   // files planned
  std::int64_t done = 0;    // finished well
  std::int64_t failed = 0;  // finished with an error
  double files_per_minute = 0;
  std::string paused;  // the reason the run is paused, or ""
};

// The bar for `p`, at most `columns` characters wide (code points; the separator is "·"). The bar
// itself gets what the text leaves, between 10 and 30 cells; on a narrow terminal the text is cut.
// No rate yet: "-- files/min" and no ETA.
std::string format_progress(const ProgressLine& p, int columns);

// Whether stderr is a terminal a bar can be drawn on (not a pipe or a file, and TERM is not dumb).
bool stderr_is_terminal();

class ProgressBar final : public sys::ConsoleOverlay {
 public:
  explicit ProgressBar(std::int64_t total);
  ~ProgressBar() override;
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // After each file's outcome.
  void file_finished(bool ok);
  void set_paused(const std::string& reason);
  // Redraws with the current time (for the rate and ETA between outcomes).
  void tick();
  // Clears the bar, runs `write` (which prints whole lines), and draws the bar again, under the
  // bar's lock. Also how console log lines are written while the bar is shown.
  void write_above(const std::function<void()>& write) override;
  // Clears the bar for good (the run is over).
  void finish();

 private:
  void clear_locked();
  void draw_locked();

  std::mutex m_mutex;
  ProgressLine m_line;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  bool m_drawn = false;
  bool m_finished = false;
};

// prepare's line for a finished file ("done       <path>  3 samples, 1.2 s" or
// "failed     <path>  <error>"), the path and error escaped so no file name can forge a line.
std::string format_outcome(const pipeline::FileOutcome& f);

class ConsoleProgress final : public pipeline::ProgressObserver {
 public:
  // With a bar of `planned` files when `bar` (a terminal, and files to generate).
  ConsoleProgress(std::ostream& out, std::int64_t planned, bool bar);
  ConsoleProgress(const ConsoleProgress&) = delete;
  ConsoleProgress& operator=(const ConsoleProgress&) = delete;
  ~ConsoleProgress() override;

  void on_file_done(const pipeline::FileOutcome& outcome) override;
  void on_paused(const std::string& reason) override;
  void on_tick() override;
  // Clears the bar and stops being the console's overlay (the run is over).
  void finish();

 private:
  std::ostream& m_out;
  std::mutex m_mutex;  // one line at a time on m_out
  std::unique_ptr<ProgressBar> m_bar;
};

}  // namespace g2d::app
