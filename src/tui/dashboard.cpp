#include "tui/dashboard.hpp"

#include <algorithm>

#include "store/run_state.hpp"
#include "tui/layout.hpp"

namespace g2d::tui {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Scrolls `offset` by `delta` within [0, limit].
void scroll(int& offset, int delta, int limit) {
  offset = std::clamp(offset + delta, 0, std::max(0, limit));
}

class Loop {
 public:
  Loop(Terminal& terminal, const DashboardHooks& hooks) : m_terminal(terminal), m_hooks(hooks) {}

  ViewState run() {
    take_snapshot();
    draw();
    auto next_draw = Clock::now() + m_hooks.redraw_every;
    while (!stopped()) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_draw - Clock::now());
      KeyEvent key =
          m_terminal.read_key(std::clamp(wait, std::chrono::milliseconds(0), m_hooks.redraw_every));
      if (stopped())
        break;
      if (key.key == Key::character && (key.ch == 'q' || key.ch == 'Q'))
        break;
      handle(key);
      if (Clock::now() - m_last_snapshot >= m_hooks.snapshot_every)
        take_snapshot();
      if (key.key != Key::none || Clock::now() >= next_draw) {
        draw();
        next_draw = Clock::now() + m_hooks.redraw_every;
      }
    }
    return m_view;
  }

 private:
  bool stopped() const { return m_hooks.stop && m_hooks.stop(); }
  std::int64_t now() const { return m_hooks.now_ms ? m_hooks.now_ms() : system_now_ms(); }

  void take_snapshot() {
    m_snapshot = m_hooks.snapshot(now());
    m_last_snapshot = Clock::now();
  }

  void draw() {
    // The clocks (elapsed, in flight, heartbeat age) advance between snapshots.
    m_snapshot.now_ms = now();
    m_snapshot.view = store::view_run(m_snapshot.run, m_snapshot.now_ms, m_snapshot.process_gone);
    TerminalSize size = m_terminal.size();
    clamp_scrolls(size);
    m_terminal.draw(render(m_snapshot, m_view, size.cols, size.rows));
  }

  void clamp_scrolls(TerminalSize size) {
    int log_page = log_lines_shown(size.cols, size.rows);
    scroll(m_view.log_scroll, 0, static_cast<int>(m_snapshot.log_lines.size()) - log_page);
    int failures_page = failures_shown(size.cols, size.rows);
    scroll(m_view.failures_scroll, 0, static_cast<int>(m_snapshot.failures.size()) - failures_page);
  }

  void handle(const KeyEvent& key) {
    TerminalSize size = m_terminal.size();
    if (key.key == Key::character && (key.ch == 'p' || key.ch == 'P')) {
      toggle_pause();
      return;
    }
    if (key.key == Key::character && (key.ch == 'f' || key.ch == 'F')) {
      m_view.failures_open = !m_view.failures_open;
      m_view.failures_scroll = 0;
      return;
    }
    if (key.key == Key::escape) {
      m_view.failures_open = false;
      return;
    }
    // Scrolling: the failures while they are open, else the log (up = older lines).
    bool failures = m_view.failures_open;
    int page = std::max(
        1, failures ? failures_shown(size.cols, size.rows) : log_lines_shown(size.cols, size.rows));
    int limit = failures ? static_cast<int>(m_snapshot.failures.size()) - page
                         : static_cast<int>(m_snapshot.log_lines.size()) - page;
    int& offset = failures ? m_view.failures_scroll : m_view.log_scroll;
    int toward_older = failures ? -1 : 1;  // the log counts up from its end
    switch (key.key) {
      case Key::up:
        scroll(offset, toward_older, limit);
        break;
      case Key::down:
        scroll(offset, -toward_older, limit);
        break;
      case Key::page_up:
        scroll(offset, toward_older * page, limit);
        break;
      case Key::page_down:
        scroll(offset, -toward_older * page, limit);
        break;
      case Key::home:
        offset = failures ? 0 : std::max(0, limit);
        break;
      case Key::end:
        offset = failures ? std::max(0, limit) : 0;
        break;
      default:
        break;
    }
  }

  void toggle_pause() {
    if (!m_snapshot.view.live) {
      m_view.message = m_snapshot.run.state.empty()
                           ? "no run to pause"
                           : "the run is " + m_snapshot.view.state + ": nothing to pause";
      return;
    }
    bool pause = !m_snapshot.run.pause_requested;
    Status done = fail(ErrorKind::internal, "pausing is not available here");
    if (m_hooks.set_pause)
      done = m_hooks.set_pause(pause);
    if (!done) {
      m_view.message =
          "cannot " + std::string(pause ? "pause" : "resume") + ": " + done.error().message;
      return;
    }
    m_snapshot.run.pause_requested = pause;  // shown before the next snapshot confirms it
    m_view.message = pause ? "pause requested (files in flight finish)" : "resume requested";
  }

  Terminal& m_terminal;
  const DashboardHooks& m_hooks;
  Snapshot m_snapshot;
  ViewState m_view;
  Clock::time_point m_last_snapshot;
};

}  // namespace

ViewState run_dashboard(Terminal& terminal, const DashboardHooks& hooks) {
  return Loop(terminal, hooks).run();
}

}  // namespace g2d::tui
