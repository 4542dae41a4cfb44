// tests/support/llama_server.hpp — a real llama-server (from the project's llama.cpp build) on a
// free loopback port, serving the tiny model, for the openai backend's integration tests.
//
// Ownership: the object owns the child process; the destructor stops it (SIGTERM, then SIGKILL)
// and reaps it. Thread-safety: one owner.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace g2d::test {

// The llama-server binary: G2D_LLAMA_SERVER from the build, else one on PATH; empty if none.
std::filesystem::path llama_server_path();

class LlamaServer {
 public:
  // Starts it and waits until /health answers 200 (model loaded). On failure returns null and
  // sets `why` (for the test's skip or failure message).
  static std::unique_ptr<LlamaServer> start(const std::filesystem::path& model,
                                            const std::vector<std::string>& extra_args,
                                            std::string& why);
  ~LlamaServer();
  LlamaServer(const LlamaServer&) = delete;
  LlamaServer& operator=(const LlamaServer&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>"
  std::string log() const;  // what the server printed so far

  // SIGKILL, reaped: the server is gone at once, its connections reset.
  void kill_now();
  // Starts it again on the same port with the same arguments and waits until it is ready; false
  // (and `why`) when it does not come up.
  bool restart(std::string& why);

 private:
  LlamaServer(pid_t pid, int port, std::filesystem::path log);
  // One start on `port`; start() tries again on another port when this one was taken.
  static std::unique_ptr<LlamaServer> start_on(const std::filesystem::path& exe,
                                               const std::filesystem::path& model, int port,
                                               const std::vector<std::string>& extra_args,
                                               std::string& why);
  // Until /health answers 200 (at most 120 s); false and `why` when the server exits or is late.
  bool wait_ready(std::string& why);
  pid_t m_pid;
  int m_port;
  std::filesystem::path m_log;
  std::filesystem::path m_exe;
  std::filesystem::path m_model;
  std::vector<std::string> m_args;
};

}  // namespace g2d::test
