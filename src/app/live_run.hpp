// app/live_run.hpp — what a running prepare tells the dashboard beyond its counts, kept in memory
// as the workers report it and published as one JSON value, AppState `run.live`:
//
//   {"in_flight": [{"file": "github.com/o/r/a.c", "started_at": 1700000000000}, ...],
//    "repository": {"name": "github.com/o/r", "planned": 10, "done": 3, "failed": 1},
//    "repositories": 2, "questions": 12, "answers": 10, "samples": 10}
//
// in_flight is in the order the files were taken; started_at is epoch milliseconds. The repository
// is the one of the file taken last (the "current" one) with its files planned in this run and how
// many of them finished; repositories counts those with files planned. questions and answers are
// the calls finished in this run, samples the pairs committed. prepare's heartbeat thread writes it
// at most twice a second and only when it changed (`take_if_changed`), never per call or token.
//
// Ownership: plain state. Thread-safety: every method may be called from several threads at once.
// Errors: none.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace g2d::app {

class LiveRun {
 public:
  // repo_of_file: every file the run will generate → its repository folder.
  explicit LiveRun(std::map<std::string, std::string> repo_of_file);

  void file_started(const std::string& file_path, std::int64_t now_ms);
  void file_ended(const std::string& file_path);
  // The file's outcome (before file_ended): counted for its repository.
  void file_finished(const std::string& file_path, bool ok, int samples);
  void generated(int questions, int answers);

  std::string json() const;
  // The JSON when it changed since the last call (or on the first call), else nullopt.
  std::optional<std::string> take_if_changed();

 private:
  std::string json_locked() const;

  struct RepoCounts {
    std::int64_t planned = 0;
    std::int64_t done = 0;
    std::int64_t failed = 0;
  };

  mutable std::mutex m_mutex;
  std::map<std::string, std::string> m_repo_of_file;
  std::map<std::string, RepoCounts> m_repos;
  std::vector<std::pair<std::string, std::int64_t>> m_in_flight;  // file, started_at
  std::string m_current_repo;
  std::int64_t m_questions = 0;
  std::int64_t m_answers = 0;
  std::int64_t m_samples = 0;
  std::string m_published;
  bool m_any_published = false;
};

}  // namespace g2d::app
