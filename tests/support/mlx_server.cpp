#include "mlx_server.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "net/http.hpp"
#include "net/port.hpp"

namespace g2d::test {

namespace fs = std::filesystem;

fs::path mlx_dir() {
  fs::path dir;
  if (const char* env = std::getenv("G2D_MLX_DIR"); env != nullptr && *env != '\0')
    dir = env;
#ifdef G2D_MLX_DIR_DEFAULT
  else
    dir = G2D_MLX_DIR_DEFAULT;
#endif
  if (dir.empty() || !fs::exists(dir / "bin" / "mlx_lm.server") || !fs::exists(dir / "model"))
    return {};
  return dir;
}

fs::path mlx_server_command() {
  fs::path dir = mlx_dir();
  return dir.empty() ? fs::path() : dir / "bin" / "mlx_lm.server";
}

fs::path mlx_model() {
  fs::path dir = mlx_dir();
  return dir.empty() ? fs::path() : dir / "model";
}

std::unique_ptr<MlxServer> MlxServer::start(std::string& why) {
  if (mlx_dir().empty()) {
    why = "mlx_lm.server not set up (scripts/setup.sh --with-mlx sets it up on Linux x86_64)";
    return nullptr;
  }
  std::unique_ptr<MlxServer> server(new MlxServer());
  auto port = net::free_loopback_port();
  if (!port) {
    why = port.error().describe();
    return nullptr;
  }
  server->m_port = *port;
  sys::ProcessOptions options;
  options.max_output = size_t{256} * 1024;
  server->m_process = std::make_unique<sys::BackgroundProcess>(
      std::vector<std::string>{mlx_server_command().string(), "--model", mlx_model().string(),
                               "--host", "127.0.0.1", "--port", std::to_string(*port)},
      options);

  net::Client client;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  for (;;) {
    if (auto exit = server->m_process->exit()) {
      why = "mlx_lm.server exited: " + (*exit ? (*exit)->output : exit->error().describe());
      return nullptr;
    }
    net::Request health;
    health.url = server->url() + "/health";
    health.idle_timeout = std::chrono::seconds(5);
    if (auto res = client.send(health); res && res->status == 200)
      return server;
    if (std::chrono::steady_clock::now() > deadline) {
      why = "mlx_lm.server did not answer /health within 3 minutes";
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

MlxServer::~MlxServer() {
  if (m_process)
    m_process->stop();
}

std::string MlxServer::url() const {
  return "http://127.0.0.1:" + std::to_string(m_port);
}

bool MlxServer::running() const {
  return m_process && m_process->running();
}

}  // namespace g2d::test
