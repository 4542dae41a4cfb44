#include "tui/layout.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/text.hpp"

namespace g2d::tui {

namespace {

constexpr int k_top_height = 9;  // the system and pipeline panels, borders included
constexpr int k_label = 8;       // the label column inside a panel

struct Rect {
  int col = 0;
  int row = 0;
  int width = 0;
  int height = 0;
};

struct Areas {
  Rect system;
  Rect pipeline;
  Rect progress;
  Rect bars;
  Rect log;
};

int middle_height(int rows) {
  return rows < 30 ? 7 : rows < 40 ? 8 : 10;
}

Areas areas(int cols, int rows) {
  int left = std::max(28, cols * 7 / 20);
  int middle = middle_height(rows);
  Areas a;
  a.system = {0, 1, left, k_top_height};
  a.pipeline = {left, 1, cols - left, k_top_height};
  int r = 1 + k_top_height;
  a.progress = {0, r, left, middle};
  a.bars = {left, r, cols - left, middle};
  r += middle;
  a.log = {0, r, cols, rows - 1 - r};
  return a;
}

Rect overlay_area(int cols, int rows) {
  return {2, 2, cols - 4, rows - 4};
}

const Style k_label_style{false, false, false, Color::cyan};
const Style k_dim{false, false, true, Color::normal};
const Style k_bold{true, false, false, Color::normal};

// A bordered panel with a title; lines of text inside, one column of padding on each side.
class Panel {
 public:
  Panel(Frame& frame, Rect r, std::string_view title) : m_frame(frame), m_rect(r) {
    frame.box(r.col, r.row, r.width, r.height, title);
  }
  int width() const { return std::max(0, m_rect.width - 4); }
  int lines() const { return std::max(0, m_rect.height - 2); }

  // Text on inner line `i` from inner column `at`; returns the columns used.
  int text(int i, std::string_view s, Style style = {}, int at = 0) {
    if (i < 0 || i >= lines() || at >= width())
      return 0;
    return m_frame.put(m_rect.col + 2 + at, m_rect.row + 1 + i, s, style, width() - at);
  }
  // "Label   value" on inner line `i`.
  void field(int i, std::string_view label, std::string_view value, Style style = {}) {
    text(i, label, k_label_style);
    text(i, value, style, k_label);
  }
  int value_width() const { return std::max(0, width() - k_label); }

 private:
  Frame& m_frame;
  Rect m_rect;
};

// The longer text when it fits, else the shorter.
std::string fit(const std::string& longer, const std::string& shorter, int width) {
  return display_width(longer) <= width ? longer : shorter;
}

std::string percent(double p) {
  return fmt::format("{:.0f}%", p);
}

std::int64_t seconds_between(std::int64_t from_ms, std::int64_t to_ms) {
  return std::max<std::int64_t>(0, (to_ms - from_ms) / 1000);
}

Style state_style(const std::string& state, bool paused) {
  Style s{true, true, false, Color::normal};
  if (paused || state == "stopped")
    s.color = Color::yellow;
  else if (state == "running")
    s.color = Color::green;
  else if (state == "finished")
    s.color = Color::cyan;
  else if (state == "interrupted" || state == "failed")
    s.color = Color::red;
  return s;
}

void draw_header(Frame& f, const Snapshot& s) {
  Style bar{false, true, false, Color::normal};
  f.paint(0, 0, f.cols(), 1, bar);
  int x = f.put(0, 0, " git2dataset ", Style{true, true, false, Color::normal});
  auto sep = [&] { x += f.put(x, 0, "│", bar); };
  sep();
  std::string state = s.run.state.empty() ? "no run yet" : s.view.state;
  bool paused = s.view.paused.has_value();
  x += f.put(x, 0, " " + printable(state) + " ", state_style(state, paused));
  auto segment = [&](const std::string& text, Style style) {
    if (text.empty())
      return;
    sep();
    x += f.put(x, 0, " " + printable(text) + " ", style);
  };
  if (!s.run.backend.empty() || !s.run.model.empty())
    segment(s.run.backend + (s.run.model.empty() ? "" : " · " + s.run.model), bar);
  if (!s.run.state.empty())
    segment((s.view.live ? "elapsed " : "took ") + format_duration(s.view.elapsed_ms / 1000), bar);
  Style warn{true, true, false, Color::yellow};
  if (s.view.paused)
    segment("paused: " + *s.view.paused, warn);
  else if (s.view.live && s.run.pause_requested)
    segment("pause requested", warn);
}

void draw_system(Frame& f, Rect r, const Snapshot& s) {
  Panel p(f, r, "System");
  const auto& sys = s.system;
  int i = 0;
  p.field(i++, "CPU", sys.cpu_percent ? fmt::format("{:.1f}%", *sys.cpu_percent) : "n/a");
  const auto& mem = sys.memory;
  if (mem.total_bytes && mem.available_bytes && *mem.total_bytes > 0) {
    double used =
        static_cast<double>(*mem.total_bytes - std::min(*mem.total_bytes, *mem.available_bytes));
    std::string share = percent(100.0 * used / static_cast<double>(*mem.total_bytes));
    p.field(i++, "Memory",
            fit(fmt::format("{} of {} ({} used)", share, format_bytes(*mem.total_bytes),
                            format_bytes(static_cast<std::uint64_t>(used))),
                fmt::format("{} of {}", share, format_bytes(*mem.total_bytes)), p.value_width()));
  } else {
    p.field(i++, "Memory", "n/a");
  }
  if (sys.gpus.empty()) {
    p.field(
        i++, "GPU",
        sys.gpu_note.empty() ? "n/a" : fit("n/a (" + sys.gpu_note + ")", "n/a", p.value_width()));
  } else {
    int shown = std::min<int>(static_cast<int>(sys.gpus.size()), 3);
    for (int g = 0; g < shown; ++g) {
      const auto& gpu = sys.gpus[static_cast<size_t>(g)];
      std::string label = sys.gpus.size() == 1 ? "GPU" : fmt::format("GPU{}", g);
      std::string load = gpu.utilization_percent ? percent(*gpu.utilization_percent) : "n/a";
      std::string longer = load;
      std::string shorter = load;
      if (gpu.memory_used_bytes && gpu.memory_total_bytes && *gpu.memory_total_bytes > 0) {
        longer += fmt::format(" · vram {}/{}", format_bytes(*gpu.memory_used_bytes),
                              format_bytes(*gpu.memory_total_bytes));
        shorter += " · vram " + percent(100.0 * static_cast<double>(*gpu.memory_used_bytes) /
                                        static_cast<double>(*gpu.memory_total_bytes));
      }
      p.field(i++, label, fit(longer, shorter, p.value_width()));
    }
  }
  const auto& power = sys.power;
  std::string battery = "none";
  if (power.has_battery) {
    battery = power.battery_percent ? fmt::format("{}%", *power.battery_percent) : "?%";
    battery += power.on_battery ? " on battery" : fmt::format(" {}", sys::to_string(power.status));
  }
  p.field(i++, "Battery", battery);
  if (s.run.pid > 0) {
    p.field(
        i++, "Pid",
        fmt::format("{}{}", s.run.pid, s.run.host.empty() ? "" : " on " + printable(s.run.host)));
  }
  if (s.view.live && s.run.heartbeat_at_ms > 0)
    p.field(i++, "Beat",
            format_duration(seconds_between(s.run.heartbeat_at_ms, s.now_ms)) + " ago");
}

void draw_pipeline(Frame& f, Rect r, const Snapshot& s) {
  Panel p(f, r, "Pipeline");
  const auto& c = s.counts;
  int i = 0;
  p.field(i++, "Repos", s.live ? fmt::format("{} in this run", s.live->repositories) : "n/a");
  std::string files =
      fmt::format("{} done  {} pending  {} failed", c.files_done, c.files_pending, c.files_failed);
  if (c.files_retired > 0)
    files += fmt::format("  {} retired", c.files_retired);
  p.field(i++, "Files", files);
  if (s.run.state.empty()) {
    p.field(i++, "Run", "none yet");
  } else {
    p.field(i++, "Run",
            fmt::format("{} of {} done  {} failed  {} unchanged", s.run.done, s.run.planned,
                        s.run.failed, s.run.unchanged));
  }
  p.field(i++, "Q&A",
          s.live ? fmt::format("{} questions  {} answers  (this run)", s.live->questions,
                               s.live->answers)
                 : "n/a");
  p.field(i++, "Samples", fmt::format("{} live  {} retired", c.live_samples, c.retired_samples));
  Style failed_style = s.failures.empty() ? Style{} : Style{true, false, false, Color::red};
  p.field(i++, "Failed",
          s.failures.empty() ? "none"
                             : fmt::format("{} file{} (f lists them)", s.failures.size(),
                                           s.failures.size() == 1 ? "" : "s"),
          failed_style);
  std::string skipped;
  for (const auto& [reason, n] : s.skips)
    skipped += fmt::format("{}{} {}", skipped.empty() ? "" : "  ", printable(reason), n);
  p.field(i++, "Skipped", skipped.empty() ? "none" : skipped);
}

void draw_progress(Frame& f, Rect r, const Snapshot& s) {
  if (s.run.state.empty()) {
    Panel p(f, r, "Progress");
    p.text(0, "No run recorded yet.");
    p.text(1, "Start one: git2dataset prepare", k_dim);
    return;
  }
  if (!s.view.live) {
    Panel p(f, r, "Summary");
    int i = 0;
    std::string how = s.view.state == "finished" ? "Finished" : s.view.state;
    if (!how.empty())
      how[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(how[0])));
    p.text(i++, fmt::format("{} after {}", how, format_duration(s.view.elapsed_ms / 1000)),
           state_style(s.view.state, false).color == Color::red
               ? Style{true, false, false, Color::red}
               : k_bold);
    p.field(i++, "Done", fmt::format("{} of {}", s.run.done, s.run.planned));
    p.field(i++, "Failed", std::to_string(s.run.failed));
    p.field(i++, "Rate", fmt::format("{:.1f} files/min", s.view.files_per_minute));
    if (s.live)
      p.field(i++, "Samples",
              fit(fmt::format("{} ({} questions)", s.live->samples, s.live->questions),
                  std::to_string(s.live->samples), p.value_width()));
    return;
  }
  std::size_t flying = s.live ? s.live->in_flight.size() : 0;
  Panel p(f, r, fmt::format("Progress · {} in flight", flying));
  int i = 0;
  p.field(i++, "Rate",
          s.view.files_per_minute > 0 ? fmt::format("{:.1f} files/min", s.view.files_per_minute)
                                      : "-- files/min");
  p.field(i++, "ETA", s.view.eta_seconds ? format_duration(*s.view.eta_seconds) : "--");
  if (!s.live)
    return;
  int room = p.lines() - i;
  for (std::size_t k = 0; k < flying && room > 0; ++k, --room) {
    if (room == 1 && k + 1 < flying) {
      p.text(i++, fmt::format("+{} more", flying - k), k_dim);
      break;
    }
    const auto& file = s.live->in_flight[k];
    std::string took = format_duration(seconds_between(file.started_at_ms, s.now_ms));
    int path_width = std::max(1, p.width() - 1 - display_width(took));
    p.text(i, cut_left_to_width(printable(file.file), path_width));
    p.text(i++, took, k_dim, p.width() - display_width(took));
  }
}

// A bar of `width` cells: done (green), failed (red), the rest.
void draw_bar(Frame& f, int col, int row, int width, std::int64_t total, std::int64_t done,
              std::int64_t failed) {
  if (width <= 0)
    return;
  auto cells = [&](std::int64_t n) {
    if (total <= 0)
      return 0;
    return static_cast<int>(std::min<std::int64_t>(width, n * width / total));
  };
  int ok = cells(done);
  int bad = std::min(width - ok, cells(done + failed) - ok);
  int x = col;
  for (int k = 0; k < ok; ++k)
    x += f.put(x, row, "█", Style{false, false, false, Color::green}, 1);
  for (int k = 0; k < bad; ++k)
    x += f.put(x, row, "█", Style{false, false, false, Color::red}, 1);
  for (int k = ok + bad; k < width; ++k)
    x += f.put(x, row, "░", k_dim, 1);
}

void draw_bars(Frame& f, Rect r, const Snapshot& s) {
  Panel p(f, r, "Progress bars");
  // "<label> <name>  3/10 files  30%  (1 failed)" over a bar of the panel's width.
  auto line = [&](int i, const std::string& label, const std::string& name, std::int64_t total,
                  std::int64_t done, std::int64_t failed, bool show_failed) {
    std::int64_t processed = done + failed;
    int pct = total > 0 ? static_cast<int>(processed * 100 / total) : 0;
    std::string counts = fmt::format("{}/{} files  {}%", processed, total, pct);
    if (show_failed && failed > 0)
      counts += fmt::format("  ({} failed)", failed);
    std::string value = counts;
    if (!name.empty())
      value = cut_left_to_width(name, std::max(1, p.value_width() - display_width(counts) - 2)) +
              "  " + counts;
    p.field(i, label, value);
    if (i + 1 < p.lines())
      draw_bar(f, r.col + 2, r.row + 2 + i, p.width(), total, done, failed);
  };
  if (s.run.state.empty()) {
    p.text(0, "no run yet", k_dim);
    return;
  }
  line(0, "Total", "", s.run.planned, s.run.done, s.run.failed, true);
  if (s.live && s.live->repository) {
    const auto& repo = *s.live->repository;
    line(2, "Repo", printable(repo.name), repo.planned, repo.done, repo.failed, false);
  } else {
    p.field(2, "Repo", "n/a");
  }
  // Several servers: one line each, as room allows; a server that is out in red, with why.
  if (!s.live)
    return;
  int i = 4;
  for (const auto& e : s.live->endpoints) {
    if (i >= p.lines())
      break;
    const bool up = e.state == "up";
    std::string_view url = e.name;  // the scheme is noise in a narrow panel
    for (std::string_view scheme : {"http://", "https://"})
      if (url.starts_with(scheme))
        url.remove_prefix(scheme.size());
    const std::string name = printable(url);
    std::string shorter =
        up ? fmt::format("{} up {}/{}", name, e.in_flight, e.parallel) : name + " " + e.state;
    std::string longer =
        up ? fmt::format("{}  {} calls  {}% reused  {} errors", shorter, e.calls,
                         e.prompt_tokens > 0 ? e.cached_prompt_tokens * 100 / e.prompt_tokens : 0,
                         e.errors)
           : fmt::format("{}  {}", shorter, printable(e.why));
    p.field(i++, "Server", fit(longer, shorter, p.value_width()),
            up ? Style{} : Style{false, false, false, Color::red});
  }
}

// A line of the log file ("2024-05-01T12:00:00.123 warning [1234] message", sys/logging.cpp's
// pattern) as the pane shows it: its time, level and message; its style by level. Other lines
// are shown as they are. The caller escapes the text: escape_controls, so that a message the log
// already holds escaped (sys/logging.cpp escapes every message) is shown as written, and any raw
// control character (a log written by something else) is escaped.
struct LogLine {
  std::string text;
  Style style;
};

LogLine log_line(std::string_view line) {
  auto space = line.find(' ');
  auto bracket = line.find(" [", space == std::string_view::npos ? 0 : space);
  auto close = line.find("] ", bracket == std::string_view::npos ? 0 : bracket);
  if (space != 23 || line.size() < 23 || line[10] != 'T' || bracket == std::string_view::npos ||
      close == std::string_view::npos)
    return {std::string(line), {}};
  std::string_view level = line.substr(space + 1, bracket - space - 1);
  Style style;
  if (level == "error" || level == "critical")
    style = Style{false, false, false, Color::red};
  else if (level == "warning")
    style = Style{false, false, false, Color::yellow};
  else if (level == "debug" || level == "trace")
    style = k_dim;
  return {fmt::format("{} {} {}", line.substr(11, 8), level, line.substr(close + 2)), style};
}

void draw_log(Frame& f, Rect r, const Snapshot& s, const ViewState& v) {
  int shown = std::max(0, r.height - 2);
  int total = static_cast<int>(s.log_lines.size());
  int scroll = std::clamp(v.log_scroll, 0, std::max(0, total - shown));
  std::string title = "Log";
  if (!s.log_path.empty())
    title += " · " + printable(s.log_path);
  if (scroll > 0)
    title += fmt::format(" · {} lines up (End follows)", scroll);
  Panel p(f, r, cut_left_to_width(title, std::max(0, r.width - 6)));
  if (total == 0) {
    p.text(0, s.log_note.empty() ? "no log lines yet" : printable(s.log_note), k_dim);
    return;
  }
  int first = std::max(0, total - shown - scroll);
  for (int i = 0; i < shown && first + i < total; ++i) {
    LogLine line = log_line(s.log_lines[static_cast<size_t>(first) + static_cast<size_t>(i)]);
    p.text(i, escape_controls(line.text, false), line.style);
  }
}

void draw_failures(Frame& f, const Snapshot& s, const ViewState& v) {
  Rect r = overlay_area(f.cols(), f.rows());
  f.clear(r.col, r.row, r.width, r.height);
  Panel p(f, r, fmt::format("Failed files ({}) · f or Esc closes · ↑↓ scroll", s.failures.size()));
  if (s.failures.empty()) {
    p.text(0, "No failed files.");
    return;
  }
  int per_page = p.lines() / 2;
  int count = static_cast<int>(s.failures.size());
  int first = std::clamp(v.failures_scroll, 0, std::max(0, count - per_page));
  for (int k = 0; k < per_page && first + k < count; ++k) {
    const auto& failure = s.failures[static_cast<size_t>(first) + static_cast<size_t>(k)];
    p.text(2 * k, cut_left_to_width(printable(failure.file_path), p.width()), k_bold);
    p.text(2 * k + 1,
           fmt::format("  {}: {} (failed {}x)", printable(failure.error_kind),
                       printable(failure.error_message), failure.retry_count),
           Style{false, false, false, Color::red});
  }
}

void draw_footer(Frame& f, const Snapshot& s, const ViewState& v) {
  int row = f.rows() - 1;
  Style bar{false, true, false, Color::normal};
  f.paint(0, row, f.cols(), 1, bar);
  int x = f.put(0, row, " q quit  p pause  f failures  ↑↓ log ", bar);
  std::string message = !s.error.empty() ? "database: " + s.error : v.message;
  x += f.put(x, row, "│", bar);
  if (!message.empty()) {
    Style style = s.error.empty() ? Style{true, true, false, Color::normal}
                                  : Style{true, true, false, Color::red};
    f.put(x, row, " " + ellipsize(printable(message), f.cols() - x - 2) + " ", style);
  } else if (!s.database.empty()) {
    // Which database this is, when nothing else is to be said.
    f.put(x, row, " " + cut_left_to_width(printable(s.database), f.cols() - x - 2) + " ", bar);
  }
}

Frame too_small(int cols, int rows) {
  Frame f(cols, rows);
  std::vector<std::string> lines = {
      fmt::format("terminal too small: need {}×{}", k_min_cols, k_min_rows),
      fmt::format("this one is {}×{}", cols, rows), "q quits"};
  int top = std::max(0, rows / 2 - 1);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string text = cut_to_width(lines[i], cols);
    int col = std::max(0, (cols - display_width(text)) / 2);
    f.put(col, top + static_cast<int>(i), text, i == 0 ? k_bold : Style{});
  }
  return f;
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  constexpr double k_gib = 1024.0 * 1024.0 * 1024.0;
  if (static_cast<double>(bytes) < k_gib)
    return fmt::format("{} MiB", bytes / (std::uint64_t{1024} * 1024));
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / k_gib);
}

int log_lines_shown(int cols, int rows) {
  if (cols < k_min_cols || rows < k_min_rows)
    return 0;
  return std::max(0, areas(cols, rows).log.height - 2);
}

int failures_shown(int cols, int rows) {
  if (cols < k_min_cols || rows < k_min_rows)
    return 0;
  return std::max(0, (overlay_area(cols, rows).height - 2) / 2);
}

Frame render(const Snapshot& snapshot, const ViewState& view, int cols, int rows) {
  if (cols < k_min_cols || rows < k_min_rows)
    return too_small(std::max(0, cols), std::max(0, rows));
  Frame f(cols, rows);
  Areas a = areas(cols, rows);
  draw_header(f, snapshot);
  draw_system(f, a.system, snapshot);
  draw_pipeline(f, a.pipeline, snapshot);
  draw_progress(f, a.progress, snapshot);
  draw_bars(f, a.bars, snapshot);
  draw_log(f, a.log, snapshot, view);
  if (view.failures_open)
    draw_failures(f, snapshot, view);
  draw_footer(f, snapshot, view);
  return f;
}

}  // namespace g2d::tui
