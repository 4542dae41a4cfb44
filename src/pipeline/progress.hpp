// pipeline/progress.hpp — how a prepare run reports its progress: one observer interface
// (`ProgressObserver`), implemented by whoever shows it — the run's record for `status` and the
// dashboard (pipeline/run_recorder.hpp), prepare's console lines and bar (app/progress.hpp) — and
// `FileOutcome`, what it says of a finished file.
//
// The pipeline calls on_file_started when a worker takes a file, on_call_done for every call that
// finished in this run (a unit's questions: `questions` = how many it asked; an answer: `answers` =
// 1; calls reused from earlier partial work are not reported), on_file_done with the outcome of a
// file that was processed (done or failed; not one left for the next run), and on_file_ended when
// the worker is through with the file however it ended (after on_file_done for that file). The
// caller reports the resource gate's pause (on_paused: the reason, "" when the run resumes) and
// its clock (on_tick, about every 2 s while the run goes on).
//
// Ownership: the caller owns the observer and keeps it alive for the run (PrepareOptions::progress
// borrows it). Thread-safety: on_file_started, on_file_ended and on_call_done are called from the
// worker threads, several at once, so they must be thread-safe and quick; on_file_done is called
// from the workers one call at a time (under the run's lock: keep it short). Errors: none; an
// observer that cannot record something logs it.
#pragma once

#include <string>

namespace g2d::pipeline {

struct FileOutcome {
  std::string file_path;
  bool ok = false;
  int samples = 0;
  int redactions = 0;  // secrets replaced before the file reached a prompt
  std::string error;   // when !ok: "kind: message"
  double seconds = 0;
};

class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;

  virtual void on_file_started(const std::string& /*file_path*/) {}
  virtual void on_call_done(int /*questions*/, int /*answers*/) {}
  virtual void on_file_done(const FileOutcome& /*outcome*/) {}
  virtual void on_file_ended(const std::string& /*file_path*/) {}
  virtual void on_paused(const std::string& /*reason*/) {}
  virtual void on_tick() {}
};

}  // namespace g2d::pipeline
