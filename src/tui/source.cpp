#include "tui/source.hpp"

#include <nlohmann/json.hpp>

#include "store/run_state.hpp"
#include "sys/host.hpp"

namespace g2d::tui {

namespace {

std::int64_t integer(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::optional<LiveView> parse_live_view(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  LiveView v;
  if (auto it = j.find("in_flight"); it != j.end() && it->is_array())
    for (const auto& f : *it)
      if (f.is_object())
        v.in_flight.push_back({string(f, "file"), integer(f, "started_at")});
  if (auto it = j.find("repository"); it != j.end() && it->is_object())
    v.repository = RepoProgress{string(*it, "name"), integer(*it, "planned"), integer(*it, "done"),
                                integer(*it, "failed")};
  v.repositories = integer(j, "repositories");
  v.questions = integer(j, "questions");
  v.answers = integer(j, "answers");
  v.samples = integer(j, "samples");
  return v;
}

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
  auto state = m_store.state();
  auto failures = m_store.failed_files();
  for (const Error* e : {counts ? nullptr : &counts.error(), state ? nullptr : &state.error(),
                         failures ? nullptr : &failures.error()}) {
    if (e != nullptr) {
      s.error = e->message;
      return;  // the last good reads stay
    }
  }
  s.counts = *counts;
  s.failures = std::move(*failures);
  s.run = store::parse_run_record(*state);
  s.process_gone = m_options.process_gone(s.run.pid, s.run.host);
  s.view = store::view_run(s.run, s.now_ms, s.process_gone);
  s.live = parse_live_view(s.run.live);
  s.skips.clear();
  if (auto it = state->find("discover.skips"); it != state->end()) {
    auto j = nlohmann::json::parse(it->second, nullptr, false);
    if (j.is_object())
      for (const auto& [reason, n] : j.items())
        if (n.is_number_integer())
          s.skips[reason] = n.get<std::int64_t>();
  }
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
