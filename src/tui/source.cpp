#include "tui/source.hpp"

#include "store/run_state.hpp"
#include "sys/host.hpp"

namespace g2d::tui {

DataSource::DataSource(store::Store& store, SourceOptions options)
    : m_store(store),
      m_options(std::move(options)),
      m_log(m_options.log_file),
      m_cpu(m_options.roots),
      m_gpu(m_options.gpu) {
  if (!m_options.process_gone)
    m_options.process_gone = [](std::int64_t pid, std::string_view host) {
      return sys::process_gone(pid, host);
    };
}

Snapshot DataSource::snapshot(std::int64_t now_ms) {
  Snapshot s = m_last;
  s.now_ms = now_ms;
  s.database = m_options.database;
  s.error.clear();
  read_store(s);
  read_system(s);
  m_log.refresh();
  s.log_path = m_log.path().string();
  s.log_lines = m_log.lines();
  s.log_note = m_log.note();
  m_last = s;
  return s;
}

void DataSource::read_store(Snapshot& s) {
  auto counts = m_store.counts();
  auto run = m_store.read_run();
  auto failures = m_store.failed_files();
  for (const Error* e : {counts ? nullptr : &counts.error(), run ? nullptr : &run.error(),
                         failures ? nullptr : &failures.error()}) {
    if (e != nullptr) {
      s.error = e->message;
      return;  // the last good reads stay
    }
  }
  s.counts = *counts;
  s.failures = std::move(*failures);
  s.run = std::move(*run);
  s.process_gone = m_options.process_gone(s.run.pid, s.run.host);
  s.view = store::view_run(s.run, s.now_ms, s.process_gone);
  s.live = s.run.live;
  s.skips = s.run.skips;
}

void DataSource::read_system(Snapshot& s) {
  auto now = std::chrono::steady_clock::now();
  if (m_last_system && now - *m_last_system < m_options.system_interval)
    return;
  m_last_system = now;
  s.system.cpu_percent = m_cpu.sample();
  s.system.memory = sys::memory_reading(m_options.roots);
  s.system.power = sys::power_reading(m_options.roots);
  s.system.gpus = m_gpu.poll(now);
  s.system.gpu_note = m_gpu.note();
}

}  // namespace g2d::tui
