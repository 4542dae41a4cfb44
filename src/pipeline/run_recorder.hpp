// pipeline/run_recorder.hpp — the one writer of a prepare run's record (store::RunRecord, through
// Store::write_run), which `status` and the dashboard read (Store::read_run).
//
// Constructed, it records the run as started — state "running", the start time, this process's pid
// and host, the files planned and unchanged, discovery's skip counts, the backend and model, an
// empty live view — after clearing a pause the user asked of an earlier run (a run never starts
// paused by a request it did not see), and starts its heartbeat thread: run.heartbeat_at every
// k_heartbeat (so `status` tells a live run from one that died), the live view (pipeline/
// live_run.hpp) every k_publish when it changed, and the log file flushed for the dashboard's log
// pane. As the run's ProgressObserver it counts every outcome (run.done / run.failed at once),
// keeps the live view and records the resource gate's pause (run.paused); every event is passed on
// to `forward` (the console's observer), and each heartbeat is its on_tick. `finish` stops the
// heartbeat and records the end: state finished, stopped or failed, the end time, the final live
// view, no pause. A recorder destroyed without finish() leaves the run "running" with a heartbeat
// that stops, which `status` shows as interrupted.
//
// Ownership: borrows the store and `forward` (both must outlive it); owns its heartbeat thread.
// Thread-safety: the observer methods may be called from several threads at once, as the pipeline
// does; pause_requested too; finish() from one thread, once.
// Errors: a failure to record is logged (progress is best effort), never returned or thrown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "pipeline/live_run.hpp"
#include "pipeline/progress.hpp"
#include "store/store.hpp"

namespace g2d::pipeline {

// What the run knows when it starts.
struct RunStart {
  std::int64_t planned = 0;  // files to generate
  std::int64_t unchanged = 0;
  std::map<std::string, std::int64_t> skips;        // discovery's skip reasons and counts
  std::string backend;                              // llm.backend
  std::string model;                                // the model as shown
  std::map<std::string, std::string> repo_of_file;  // every file to generate → its repository
  // Several servers: what each is doing now (read at each publish and at the end); else empty.
  std::function<std::vector<store::EndpointView>()> endpoints;
};

enum class RunEnd { finished, stopped, failed };

class RunRecorder final : public ProgressObserver {
 public:
  static constexpr std::chrono::seconds k_heartbeat{2};
  static constexpr std::chrono::milliseconds k_publish{500};

  RunRecorder(store::Store& store, RunStart start, ProgressObserver* forward = nullptr);
  ~RunRecorder() override;
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  // The user's pause (the dashboard's request in the record); false when it cannot be read.
  bool pause_requested();
  // Stops the heartbeat (joined before it returns) and records how the run ended.
  void finish(RunEnd end);

  void on_file_started(const std::string& file_path) override;
  void on_call_done(int questions, int answers) override;
  void on_file_done(const FileOutcome& outcome) override;
  void on_file_ended(const std::string& file_path) override;
  void on_paused(const std::string& reason) override;

 private:
  void record(const store::RunRecord& run, store::RunFields fields);
  void read_endpoints();  // into the live view
  void beat(const std::stop_token& stop);
  void stop_beating();

  store::Store& m_store;
  ProgressObserver* m_forward;
  std::function<std::vector<store::EndpointView>()> m_endpoints;
  LiveRun m_live;

  std::mutex m_counts_mutex;  // guards the counts
  std::int64_t m_done = 0;
  std::int64_t m_failed = 0;

  std::mutex m_beat_mutex;
  std::condition_variable_any m_wake;  // woken by the stop request: no sleep delays the end
  bool m_finished = false;
  std::jthread m_thread;  // last: starts after, and stops before, the rest
};

}  // namespace g2d::pipeline
