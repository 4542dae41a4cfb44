// tests/support/support.hpp — shared helpers for the test suite: temporary directories, file
// writing, and where the real tiny model lives.
//
// Thread-safety: TempDir is owned by one test; the free functions are reentrant.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <vector>

#include "sys/process.hpp"

namespace g2d::test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(std::string_view name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

void write_file(const std::filesystem::path& path, std::string_view content);
std::string read_file(const std::filesystem::path& path);

// `git init` in `repo` and one commit of everything in it (author T <t@example.com>): "" when
// every step succeeded, else what the failing git step said.
std::string commit_all(const std::filesystem::path& repo);

// The GGUF model scripts/setup.sh fetched (G2D_TEST_MODEL overrides); empty if none is there.
std::filesystem::path tiny_model_path();
// The python of the venv with Hugging Face `datasets` (scripts/setup-consumers.sh):
// $G2D_DATASETS_VENV's, else the cache's; empty when it is not set up.
std::filesystem::path datasets_python();

// Sets (or, with nullopt, removes) an environment variable for one scope and restores it after.
// Not thread-safe: only for tests that run no other threads while it changes the environment.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

// Runs `work` on a thread of its own and waits for it up to `deadline`. When it has not finished
// by then (it is blocked opening the fifo at `fifo`, say), the fifo is opened for writing and
// closed again, which releases a reader blocked in open() with an end of file, and the thread is
// joined: a test of code that must never block on a fifo fails instead of hanging. Returns
// whether `work` finished before the deadline.
bool finishes_without_fifo_release(const std::function<void()>& work,
                                   const std::filesystem::path& fifo,
                                   std::chrono::seconds deadline = std::chrono::seconds(60));

// Starts `argv` (no shell) in the background with stdout and stderr going to `log` (appended, or
// truncated first); the child's pid, or -1 when it cannot be started. The caller reaps it.
pid_t spawn_logged(std::vector<std::string> argv, const std::filesystem::path& log,
                   bool append = true);

// The git2dataset binary of this build tree.
std::filesystem::path git2dataset_exe();

// Runs that binary with `args` (no shell); throws std::runtime_error when it cannot be started.
sys::ProcessResult run_git2dataset(std::vector<std::string> args);
// The same with `env` applied over this process's environment (e.g. a PATH with a server on it),
// run in `cwd` (empty: this process's working directory).
sys::ProcessResult run_git2dataset(
    std::vector<std::string> args,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& env,
    const std::filesystem::path& cwd = {});

// Reads a FIFO on a thread of its own until every writer has closed it. It holds a read-write
// descriptor of the FIFO while it lives (so neither the writer's open nor its own waits for the
// other) and closes it in finish(): the reader then sees the end whether or not anything was
// written into the FIFO, so a test never hangs on a writer that did not come.
class FifoReader {
 public:
  explicit FifoReader(const std::filesystem::path& fifo);
  ~FifoReader();
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;

  bool opened() const { return m_read >= 0; }
  // Everything written into the FIFO; call once the writers are done.
  const std::string& finish();

 private:
  int m_keep_open;     // a writer of our own until finish(), so no open of the FIFO waits
  int m_read;          // the read end, read (and closed) by the thread
  std::string m_data;  // written by the thread until it is joined
  std::thread m_thread;
};

}  // namespace g2d::test
