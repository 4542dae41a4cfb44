// tui/dashboard.hpp — the dashboard's loop: a fresh snapshot every `snapshot_every` (twice a
// second), a frame drawn every `redraw_every` (its clocks advanced to the time of drawing), after
// every key and at once on a resize; and the keys: q quits; p asks the live run to pause, or to
// resume (AppState run.pause_requested, through `set_pause`); f opens and closes the failed files
// (Esc closes them too); ↑/↓, PgUp/PgDn, Home/End scroll the log, or the failures while they are
// open.
//
// Ownership: borrows the terminal and the hooks. Thread-safety: runs on the calling thread.
// Errors: set_pause's error is shown in the footer; the loop itself does not fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "core/error.hpp"
#include "tui/snapshot.hpp"
#include "tui/terminal.hpp"

namespace g2d::tui {

struct DashboardHooks {
  std::function<Snapshot(std::int64_t now_ms)> snapshot;
  // Writes AppState run.pause_requested ("1" to pause, "0" to resume).
  std::function<Status(bool pause)> set_pause;
  // True when the loop must end (SIGINT, SIGTERM, SIGHUP): polled at least every `redraw_every`.
  std::function<bool()> stop;
  std::function<std::int64_t()> now_ms;  // empty: the system clock
  std::chrono::milliseconds snapshot_every{500};
  std::chrono::milliseconds redraw_every{250};
};

// Runs until `q` or `stop`; returns the view state it ended with (for tests).
ViewState run_dashboard(Terminal& terminal, const DashboardHooks& hooks);

}  // namespace g2d::tui
