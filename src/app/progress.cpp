#include "app/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/utf8.hpp"

namespace g2d::app {

namespace {

constexpr std::string_view k_sep = " · ";

int terminal_columns() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

}  // namespace

std::string format_progress(const ProgressLine& p, int columns) {
  std::int64_t processed = p.done + p.failed;
  std::string text =
      fmt::format("{}/{} files{}{} failed{}", processed, p.total, k_sep, p.failed, k_sep);
  if (p.files_per_minute > 0) {
    text += fmt::format("{:.1f} files/min", p.files_per_minute);
    std::int64_t left = p.total - processed;
    if (left > 0)
      text += fmt::format("{}ETA {}", k_sep,
                          format_duration(static_cast<std::int64_t>(static_cast<double>(left) /
                                                                    p.files_per_minute * 60.0)));
  } else {
    text += "-- files/min";
  }
  if (!p.paused.empty())
    text += fmt::format("{}paused: {}", k_sep, p.paused);

  const std::string_view head = "prepare [";
  const std::string_view tail = "] ";
  auto room = static_cast<std::int64_t>(columns) -
              static_cast<std::int64_t>(head.size() + tail.size()) - display_width(text);
  auto cells = static_cast<std::int64_t>(std::clamp<std::int64_t>(room, 10, 30));
  std::int64_t filled =
      p.total > 0 ? std::clamp<std::int64_t>(processed * cells / p.total, 0, cells) : 0;
  std::string line = fmt::format("{}{}{}{}{}", head, std::string(static_cast<size_t>(filled), '#'),
                                 std::string(static_cast<size_t>(cells - filled), '.'), tail, text);
  line.resize(width_prefix(line, std::max(columns, 1)));
  return line;
}

bool stderr_is_terminal() {
  if (isatty(STDERR_FILENO) == 0)
    return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::string_view(term) != "dumb";
}

ProgressBar::ProgressBar(std::int64_t total) {
  m_line.total = total;
  sys::set_console_overlay(this);
}

ProgressBar::~ProgressBar() {
  sys::set_console_overlay(nullptr);
  finish();
}

void ProgressBar::file_finished(bool ok) {
  std::lock_guard lock(m_mutex);
  ++(ok ? m_line.done : m_line.failed);
  draw_locked();
}

void ProgressBar::set_paused(const std::string& reason) {
  std::lock_guard lock(m_mutex);
  m_line.paused = reason;
  draw_locked();
}

void ProgressBar::tick() {
  std::lock_guard lock(m_mutex);
  draw_locked();
}

void ProgressBar::write_above(const std::function<void()>& write) {
  std::lock_guard lock(m_mutex);
  clear_locked();
  write();
  draw_locked();
}

void ProgressBar::finish() {
  std::lock_guard lock(m_mutex);
  clear_locked();
  m_finished = true;
}

void ProgressBar::clear_locked() {
  if (!m_drawn)
    return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  m_drawn = false;
}

void ProgressBar::draw_locked() {
  if (m_finished)
    return;
  double minutes =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count() / 60.0;
  std::int64_t processed = m_line.done + m_line.failed;
  m_line.files_per_minute =
      processed > 0 && minutes > 0 ? static_cast<double>(processed) / minutes : 0.0;
  // One column short of the width: a line that fills it would wrap on some terminals.
  std::string line = format_progress(m_line, terminal_columns() - 1);
  std::fputs(fmt::format("\r{}\x1b[K", line).c_str(), stderr);
  std::fflush(stderr);
  m_drawn = true;
}

std::string format_outcome(const pipeline::FileOutcome& f) {
  if (!f.ok)
    return fmt::format("failed     {}  {}\n", printable(f.file_path), printable(f.error));
  return fmt::format("done       {}  {} sample{}, {:.1f} s{}\n", printable(f.file_path), f.samples,
                     f.samples == 1 ? "" : "s", f.seconds,
                     f.redactions > 0 ? fmt::format(", {} secret{} redacted", f.redactions,
                                                    f.redactions == 1 ? "" : "s")
                                      : "");
}

ConsoleProgress::ConsoleProgress(std::ostream& out, std::int64_t planned, bool bar) : m_out(out) {
  if (bar)
    m_bar = std::make_unique<ProgressBar>(planned);
}

ConsoleProgress::~ConsoleProgress() {
  finish();
}

void ConsoleProgress::on_file_done(const pipeline::FileOutcome& outcome) {
  std::lock_guard lock(m_mutex);
  auto print = [&] {
    m_out << format_outcome(outcome);
    m_out.flush();
  };
  if (m_bar) {
    m_bar->write_above(print);
    m_bar->file_finished(outcome.ok);
  } else {
    print();
  }
}

void ConsoleProgress::on_paused(const std::string& reason) {
  if (m_bar)
    m_bar->set_paused(reason);
}

void ConsoleProgress::on_tick() {
  if (m_bar)
    m_bar->tick();
}

void ConsoleProgress::finish() {
  m_bar.reset();
}

}  // namespace g2d::app
