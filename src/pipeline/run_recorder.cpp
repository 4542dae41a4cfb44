#include "pipeline/run_recorder.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "sys/host.hpp"

namespace g2d::pipeline {

namespace {

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RunRecorder::RunRecorder(store::Store& store, RunStart start, ProgressObserver* forward)
    : m_store(store),
      m_forward(forward),
      m_endpoints(std::move(start.endpoints)),
      m_live(std::move(start.repo_of_file)) {
  // A pause asked of an earlier run that ended while paused is not carried into this one.
  if (pause_requested()) {
    spdlog::info("a pause asked of an earlier run was cleared: this run starts working");
    record(store::RunRecord{}, static_cast<store::RunFields>(store::RunField::pause_requested));
  }
  store::RunRecord run;
  run.state = "running";
  run.started_at_ms = epoch_ms();
  run.heartbeat_at_ms = run.started_at_ms;
  run.pid = getpid();
  run.host = sys::host_name();
  run.planned = start.planned;
  run.unchanged = start.unchanged;
  run.backend = std::move(start.backend);
  run.model = std::move(start.model);
  run.skips = std::move(start.skips);
  read_endpoints();
  run.live = m_live.take_if_changed();
  record(run, store::k_all_run_fields &
                  ~static_cast<store::RunFields>(store::RunField::pause_requested));
  m_thread = std::jthread([this](const std::stop_token& stop) { beat(stop); });
}

RunRecorder::~RunRecorder() {
  stop_beating();
}

bool RunRecorder::pause_requested() {
  auto run = m_store.read_run();
  return run && run->pause_requested;
}

void RunRecorder::finish(RunEnd end) {
  stop_beating();
  {
    std::lock_guard lock(m_beat_mutex);
    if (m_finished)
      return;
    m_finished = true;
  }
  store::RunRecord run;
  run.state = end == RunEnd::finished ? "finished" : end == RunEnd::stopped ? "stopped" : "failed";
  run.finished_at_ms = epoch_ms();
  read_endpoints();
  run.live = m_live.view();
  record(run, store::RunField::paused | store::RunField::live | store::RunField::state |
                  store::RunField::finished_at);
}

void RunRecorder::read_endpoints() {
  if (m_endpoints)
    m_live.set_endpoints(m_endpoints());
}

void RunRecorder::on_file_started(const std::string& file_path) {
  m_live.file_started(file_path, epoch_ms());
  if (m_forward != nullptr)
    m_forward->on_file_started(file_path);
}

void RunRecorder::on_call_done(int questions, int answers) {
  m_live.generated(questions, answers);
  if (m_forward != nullptr)
    m_forward->on_call_done(questions, answers);
}

void RunRecorder::on_file_done(const FileOutcome& outcome) {
  m_live.file_finished(outcome.file_path, outcome.ok, outcome.samples);
  {
    std::lock_guard lock(m_counts_mutex);
    store::RunRecord run;
    run.done = outcome.ok ? ++m_done : m_done;
    run.failed = outcome.ok ? m_failed : ++m_failed;
    record(run, static_cast<store::RunFields>(outcome.ok ? store::RunField::done
                                                         : store::RunField::failed));
  }
  if (m_forward != nullptr)
    m_forward->on_file_done(outcome);
}

void RunRecorder::on_file_ended(const std::string& file_path) {
  m_live.file_ended(file_path);
  if (m_forward != nullptr)
    m_forward->on_file_ended(file_path);
}

void RunRecorder::on_paused(const std::string& reason) {
  store::RunRecord run;
  run.paused = reason;
  record(run, static_cast<store::RunFields>(store::RunField::paused));
  if (m_forward != nullptr)
    m_forward->on_paused(reason);
}

void RunRecorder::record(const store::RunRecord& run, store::RunFields fields) {
  if (auto s = m_store.write_run(run, fields); !s)
    spdlog::warn("cannot record the run for status: {}", s.error().message);
}

void RunRecorder::beat(const std::stop_token& stop) {
  std::unique_lock lock(m_beat_mutex);
  auto next_beat = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    if (std::chrono::steady_clock::now() >= next_beat) {
      store::RunRecord run;
      run.heartbeat_at_ms = epoch_ms();
      if (auto s = m_store.write_run(run, store::RunField::heartbeat_at); !s)
        spdlog::debug("cannot record run.heartbeat_at: {}", s.error().message);
      if (m_forward != nullptr)
        m_forward->on_tick();
      next_beat += k_heartbeat;
    }
    read_endpoints();
    if (auto changed = m_live.take_if_changed()) {
      store::RunRecord run;
      run.live = std::move(changed);
      record(run, static_cast<store::RunFields>(store::RunField::live));
    }
    // The log file is buffered; the dashboard tails it, so it is flushed here too.
    spdlog::default_logger()->flush();
    m_wake.wait_for(lock, stop, k_publish, [] { return false; });
  }
}

void RunRecorder::stop_beating() {
  if (m_thread.joinable()) {
    m_thread.request_stop();
    m_thread.join();
  }
}

}  // namespace g2d::pipeline
