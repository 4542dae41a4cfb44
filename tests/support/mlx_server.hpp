// tests/support/mlx_server.hpp — a real mlx_lm.server (set up by scripts/setup-mlx.sh on Linux:
// mlx-lm from PyPI on the CPU, serving the tiny model converted to an MLX folder) on a free
// loopback port, for the mlx backend's integration tests.
//
// Ownership: the object owns the server process; destroying it stops the server.
// Thread-safety: url() may be called from any thread; start and destruction from one.
// Errors: start() returns null and says why (not set up: run scripts/setup.sh --with-mlx; the
// server exited, with its output; it did not answer /health in time).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "sys/background_process.hpp"

namespace g2d::test {

// The folder scripts/setup-mlx.sh fills ($G2D_MLX_DIR, else the cache's); empty when it has not
// run (no bin/mlx_lm.server or model/ there).
std::filesystem::path mlx_dir();
// Its wrapper of mlx_lm.server (bin/mlx_lm.server) and its model folder (model/).
std::filesystem::path mlx_server_command();
std::filesystem::path mlx_model();

class MlxServer {
 public:
  static std::unique_ptr<MlxServer> start(std::string& why);
  ~MlxServer();
  MlxServer(const MlxServer&) = delete;
  MlxServer& operator=(const MlxServer&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>"
  bool running() const;

 private:
  MlxServer() = default;
  int m_port = 0;
  std::unique_ptr<sys::BackgroundProcess> m_process;
};

}  // namespace g2d::test
