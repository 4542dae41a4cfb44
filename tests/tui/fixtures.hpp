// tests/tui/fixtures.hpp — snapshots the layout and loop tests draw: a live run with files in
// flight, a finished run, and the text of a frame's rectangles.
#pragma once

#include <string>

#include "tui/frame.hpp"
#include "tui/snapshot.hpp"

namespace g2d::tui::testing {

constexpr std::int64_t k_now = 1'700'000'000'000;  // epoch ms of every snapshot here
constexpr int k_log_lines = 60;                    // more than the largest log pane tested shows

// A live run: 40 planned, 10 done, 1 failed, 2 files in flight, a GPU, k_log_lines log lines
// ("... log line 1" to "... log line 60").
Snapshot live_snapshot();
// The same run finished: nothing in flight, not live.
Snapshot finished_snapshot();

// The first row of `frame` that contains `text`, or -1.
int row_of(const Frame& frame, const std::string& text);

}  // namespace g2d::tui::testing
