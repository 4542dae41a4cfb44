// pipeline/live_run.hpp — what a running prepare tells the dashboard beyond its counts (the run
// record's live view, store::LiveView; AppState `run.live`), kept in memory as the workers report
// it: the files in flight in the order they were taken (with when), the repository of the file
// taken last (the "current" one) with its files planned in this run and how many of them finished,
// how many repositories have files planned, the calls finished in this run and the pairs
// committed. The run's recorder (pipeline/run_recorder.hpp) feeds it and writes it at most twice a
// second and only when it changed (`take_if_changed`), never per call or token.
//
// Ownership: plain state. Thread-safety: every method may be called from several threads at once.
// Errors: none.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/run_state.hpp"

namespace g2d::pipeline {

class LiveRun {
 public:
  // repo_of_file: every file the run will generate → its repository folder.
  explicit LiveRun(std::map<std::string, std::string> repo_of_file);

  void file_started(const std::string& file_path, std::int64_t now_ms);
  void file_ended(const std::string& file_path);
  // The file's outcome (before file_ended): counted for its repository.
  void file_finished(const std::string& file_path, bool ok, int samples);
  void generated(int questions, int answers);
  // Several servers: what each is doing now.
  void set_endpoints(std::vector<store::EndpointView> endpoints);

  store::LiveView view() const;
  // The view when it changed since the last call (or on the first call), else nullopt.
  std::optional<store::LiveView> take_if_changed();

 private:
  store::LiveView view_locked() const;

  struct RepoCounts {
    std::int64_t planned = 0;
    std::int64_t done = 0;
    std::int64_t failed = 0;
  };

  mutable std::mutex m_mutex;
  std::map<std::string, std::string> m_repo_of_file;
  std::map<std::string, RepoCounts> m_repos;
  std::vector<store::InFlightFile> m_in_flight;
  std::string m_current_repo;
  std::int64_t m_questions = 0;
  std::int64_t m_answers = 0;
  std::int64_t m_samples = 0;
  std::vector<store::EndpointView> m_endpoints;
  std::optional<store::LiveView> m_published;
};

}  // namespace g2d::pipeline
