// sys/background_process.hpp — a program kept running in the background (a model server that
// git2dataset starts for itself) until it is stopped or exits by itself. It is run_process on a
// thread of its own: no shell, its own session and process group, and stopping it sends the
// group SIGTERM, then SIGKILL after a short grace period, and reaps it.
//
// Ownership: the object owns the child and the thread that waits for it; destroying it stops the
// child and waits for it.
// Thread-safety: running() and exit() may be called from any thread; stop() and the destructor
// from one thread at a time.
// Errors: as run_process's, reported by exit() once the program has ended (not_found for a
// program that is not on PATH, cancelled after stop()). Output beyond the first
// options.max_output bytes is read and dropped.
#pragma once

#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "sys/process.hpp"

namespace g2d::sys {

class BackgroundProcess {
 public:
  // Starts `argv` now; `options.stop` is replaced (stop() is the way to end it).
  explicit BackgroundProcess(std::vector<std::string> argv, ProcessOptions options = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool running() const;
  // How it ended (its status and output, or the error); nullopt while it runs.
  std::optional<Result<ProcessResult>> exit() const;
  // Ends it (if it still runs) and waits until it is reaped.
  void stop();

 private:
  std::stop_source m_stop;  // stop() requests it: run_process ends the child at once
  mutable std::mutex m_mutex;
  std::optional<Result<ProcessResult>> m_exit;  // guarded by m_mutex
  std::jthread m_waiter;                        // last: started once the rest exists
};

}  // namespace g2d::sys
