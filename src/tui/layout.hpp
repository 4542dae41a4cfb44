// tui/layout.hpp — the dashboard's frame for a snapshot, a view state and a terminal size: a pure
// function, so every size is tested without a terminal.
//
//   header: git2dataset │ run state │ backend · model │ elapsed │ pause state
//   ┌ System ───────────┐┌ Pipeline ─────────────────────────────┐
//   │ CPU, memory, GPU, ││ repositories, files by state, this    │
//   │ battery, process  ││ run, questions/answers, samples, ...  │
//   ┌ Progress ─────────┐┌ Progress bars ────────────────────────┐
//   │ rate, ETA, files  ││ total, current repository             │
//   │ in flight         ││                                       │
//   ┌ Log ──────────────────────────────────────────────────────┐
//   │ the log's last lines (scrollable)                          │
//   footer: keys │ the last key's answer
//
// A run that is not live shows its summary in place of the progress panel. The failures overlay
// covers the panels with the failed files and their errors. Below k_min_cols × k_min_rows the
// frame says the terminal is too small. Every text is cut to its panel by display width.
//
// Thread-safety: pure. Errors: none.
#pragma once

#include <cstdint>
#include <string>

#include "core/text.hpp"  // format_duration
#include "tui/frame.hpp"
#include "tui/snapshot.hpp"

namespace g2d::tui {

inline constexpr int k_min_cols = 80;
inline constexpr int k_min_rows = 24;

Frame render(const Snapshot& snapshot, const ViewState& view, int cols, int rows);

// How many log lines the log pane shows at this size (0 when the terminal is too small), and how
// many failures the overlay shows: what a page is for the scrolling keys.
int log_lines_shown(int cols, int rows);
int failures_shown(int cols, int rows);

// "512 MiB", "15.6 GiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace g2d::tui
