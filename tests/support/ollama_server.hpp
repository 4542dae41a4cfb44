// tests/support/ollama_server.hpp — a real Ollama (`ollama serve`, built by
// scripts/build-ollama.sh) on a free loopback port with its own empty model store, and a GGUF
// imported into it under a name
// (`ollama create NAME -f Modelfile`, Modelfile `FROM <gguf>`), for the ollama backend's
// integration tests.
//
// Ownership: the object owns the server process and its temporary model store; destroying it stops
// the server (SIGTERM to its process group, then SIGKILL) and removes the store.
// Thread-safety: url() may be called from any thread; start and destruction from one.
// Errors: start() returns null and says why (no binary: run scripts/setup.sh --with-ollama; the
// server did not answer; the import failed, with its output).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"
#include "sys/background_process.hpp"

namespace g2d::test {

// The ollama binary: $G2D_OLLAMA, else the one setup.sh --with-ollama builds; empty if neither.
std::filesystem::path ollama_path();

class OllamaServer {
 public:
  // `env` is added to the server's environment (e.g. OLLAMA_NUM_PARALLEL).
  static std::unique_ptr<OllamaServer> start(
      const std::filesystem::path& gguf, const std::string& model_name, std::string& why,
      const std::vector<std::pair<std::string, std::string>>& env = {});
  ~OllamaServer();
  OllamaServer(const OllamaServer&) = delete;
  OllamaServer& operator=(const OllamaServer&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>"

 private:
  OllamaServer() = default;
  TempDir m_store;  // OLLAMA_MODELS and HOME
  int m_port = 0;
  std::unique_ptr<sys::BackgroundProcess> m_process;
};

}  // namespace g2d::test
