#include "pipeline/live_run.hpp"

#include <algorithm>

namespace g2d::pipeline {

LiveRun::LiveRun(std::map<std::string, std::string> repo_of_file)
    : m_repo_of_file(std::move(repo_of_file)) {
  for (const auto& [file, repo] : m_repo_of_file)
    ++m_repos[repo].planned;
}

void LiveRun::file_started(const std::string& file_path, std::int64_t now_ms) {
  std::lock_guard lock(m_mutex);
  m_in_flight.push_back({file_path, now_ms});
  if (auto it = m_repo_of_file.find(file_path); it != m_repo_of_file.end())
    m_current_repo = it->second;
}

void LiveRun::file_ended(const std::string& file_path) {
  std::lock_guard lock(m_mutex);
  auto it = std::find_if(m_in_flight.begin(), m_in_flight.end(),
                         [&](const auto& f) { return f.file == file_path; });
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

void LiveRun::set_endpoints(std::vector<store::EndpointView> endpoints) {
  std::lock_guard lock(m_mutex);
  m_endpoints = std::move(endpoints);
}

store::LiveView LiveRun::view() const {
  std::lock_guard lock(m_mutex);
  return view_locked();
}

std::optional<store::LiveView> LiveRun::take_if_changed() {
  std::lock_guard lock(m_mutex);
  store::LiveView now = view_locked();
  if (m_published && now == *m_published)
    return std::nullopt;
  m_published = now;
  return now;
}

store::LiveView LiveRun::view_locked() const {
  store::LiveView v;
  v.in_flight = m_in_flight;
  if (auto it = m_repos.find(m_current_repo); it != m_repos.end())
    v.repository =
        store::RepoProgress{it->first, it->second.planned, it->second.done, it->second.failed};
  v.repositories = static_cast<std::int64_t>(m_repos.size());
  v.questions = m_questions;
  v.answers = m_answers;
  v.samples = m_samples;
  v.endpoints = m_endpoints;
  return v;
}

}  // namespace g2d::pipeline
