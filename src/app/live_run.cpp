#include "app/live_run.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace g2d::app {

LiveRun::LiveRun(std::map<std::string, std::string> repo_of_file)
    : m_repo_of_file(std::move(repo_of_file)) {
  for (const auto& [file, repo] : m_repo_of_file)
    ++m_repos[repo].planned;
}

void LiveRun::file_started(const std::string& file_path, std::int64_t now_ms) {
  std::lock_guard lock(m_mutex);
  m_in_flight.emplace_back(file_path, now_ms);
  if (auto it = m_repo_of_file.find(file_path); it != m_repo_of_file.end())
    m_current_repo = it->second;
}

void LiveRun::file_ended(const std::string& file_path) {
  std::lock_guard lock(m_mutex);
  auto it = std::find_if(m_in_flight.begin(), m_in_flight.end(),
                         [&](const auto& f) { return f.first == file_path; });
  if (it != m_in_flight.end())
    m_in_flight.erase(it);
}

void LiveRun::file_finished(const std::string& file_path, bool ok, int samples) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_repo_of_file.find(file_path); it != m_repo_of_file.end())
    ++(ok ? m_repos[it->second].done : m_repos[it->second].failed);
  if (ok)
    m_samples += samples;
}

void LiveRun::generated(int questions, int answers) {
  std::lock_guard lock(m_mutex);
  m_questions += questions;
  m_answers += answers;
}

std::string LiveRun::json() const {
  std::lock_guard lock(m_mutex);
  return json_locked();
}

std::optional<std::string> LiveRun::take_if_changed() {
  std::lock_guard lock(m_mutex);
  std::string now = json_locked();
  if (m_any_published && now == m_published)
    return std::nullopt;
  m_any_published = true;
  m_published = now;
  return now;
}

std::string LiveRun::json_locked() const {
  nlohmann::json j;
  nlohmann::json flying = nlohmann::json::array();
  for (const auto& [file, started] : m_in_flight)
    flying.push_back({{"file", file}, {"started_at", started}});
  j["in_flight"] = std::move(flying);
  if (auto it = m_repos.find(m_current_repo); it != m_repos.end())
    j["repository"] = {{"name", it->first},
                       {"planned", it->second.planned},
                       {"done", it->second.done},
                       {"failed", it->second.failed}};
  else
    j["repository"] = nullptr;
  j["repositories"] = m_repos.size();
  j["questions"] = m_questions;
  j["answers"] = m_answers;
  j["samples"] = m_samples;
  // File names are the repositories' (any bytes): invalid UTF-8 is replaced, never thrown about.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace g2d::app
