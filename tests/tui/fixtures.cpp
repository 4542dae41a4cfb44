#include "fixtures.hpp"

#include <fmt/format.h>

namespace g2d::tui::testing {

Snapshot live_snapshot() {
  Snapshot s;
  s.now_ms = k_now;
  s.database = "/data/g2d.db";
  s.run.state = "running";
  s.run.started_at_ms = k_now - 125'000;
  s.run.heartbeat_at_ms = k_now - 1'000;
  s.run.pid = 4242;
  s.run.host = "builder";
  s.run.planned = 40;
  s.run.done = 10;
  s.run.failed = 1;
  s.run.unchanged = 5;
  s.run.backend = "openai";
  s.run.model = "fake-model";
  s.view = store::view_run(s.run, k_now, false);
  s.counts.files_done = 12;
  s.counts.files_pending = 3;
  s.counts.files_failed = 1;
  s.counts.live_samples = 120;
  s.counts.retired_samples = 4;
  s.counts.failed_files = 1;
  s.skips = {{"not_source", 7}, {"sensitive", 1}};
  store::FailedRecord f;
  f.file_path = "github.com/o/r/src/broken.c";
  f.error_kind = "timeout";
  f.error_message = "no progress for 300 s";
  f.retry_count = 2;
  s.failures = {f};
  LiveView live;
  live.in_flight = {{"github.com/o/r/src/parser.c", k_now - 65'000},
                    {"github.com/o/r/b.py", k_now - 3'000}};
  live.repository = RepoProgress{"github.com/o/r", 20, 6, 1};
  live.repositories = 2;
  live.questions = 55;
  live.answers = 50;
  live.samples = 48;
  s.live = live;
  s.system.cpu_percent = 23.4;
  s.system.memory.total_bytes = 16ULL << 30;
  s.system.memory.available_bytes = 12ULL << 30;
  s.system.gpus = {GpuReading{45.0, 10ULL << 30, 80ULL << 30}};
  s.system.power.has_battery = false;
  s.log_path = "/data/g2d.log";
  for (int i = 1; i <= k_log_lines; ++i)
    s.log_lines.push_back(
        fmt::format("2024-05-01T12:{:02}:{:02}.000 info [7] log line {}", i / 60, i % 60, i));
  return s;
}

Snapshot finished_snapshot() {
  Snapshot s = live_snapshot();
  s.run.state = "finished";
  s.run.finished_at_ms = k_now - 5'000;
  s.run.done = 38;
  s.run.failed = 2;
  s.live->in_flight.clear();
  s.view = store::view_run(s.run, k_now, false);
  return s;
}

int row_of(const Frame& frame, const std::string& text) {
  for (int r = 0; r < frame.rows(); ++r)
    if (frame.row_text(r).find(text) != std::string::npos)
      return r;
  return -1;
}

}  // namespace g2d::tui::testing
