#include "ollama_server.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "net/http.hpp"
#include "net/port.hpp"
#include "sys/process.hpp"

namespace g2d::test {

namespace fs = std::filesystem;

fs::path ollama_path() {
  if (const char* env = std::getenv("G2D_OLLAMA"); env != nullptr && fs::exists(env))
    return env;
#ifdef G2D_OLLAMA_DEFAULT
  if (fs::exists(G2D_OLLAMA_DEFAULT))
    return G2D_OLLAMA_DEFAULT;
#endif
  return {};
}

std::unique_ptr<OllamaServer> OllamaServer::start(
    const fs::path& gguf, const std::string& model_name, std::string& why,
    const std::vector<std::pair<std::string, std::string>>& extra_env) {
  fs::path exe = ollama_path();
  if (exe.empty()) {
    why = "ollama not built (scripts/setup.sh --with-ollama builds it)";
    return nullptr;
  }
  if (gguf.empty() || !fs::exists(gguf)) {
    why = "tiny model not installed; run scripts/setup.sh";
    return nullptr;
  }
  std::unique_ptr<OllamaServer> server(new OllamaServer());
  auto port = net::free_loopback_port();
  if (!port) {
    why = port.error().describe();
    return nullptr;
  }
  server->m_port = *port;
  std::string host = "127.0.0.1:" + std::to_string(*port);
  sys::ProcessOptions env;
  env.env = {{"OLLAMA_HOST", host},
             {"OLLAMA_MODELS", (server->m_store / "models").string()},
             {"HOME", server->m_store.path().string()},
             {"OLLAMA_NOPRUNE", "1"}};
  sys::ProcessOptions serve = env;
  for (const auto& [name, value] : extra_env)
    serve.env.emplace_back(name, value);
  serve.max_output = size_t{256} * 1024;
  server->m_process = std::make_unique<sys::BackgroundProcess>(
      std::vector<std::string>{exe.string(), "serve"}, serve);

  net::Client client;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    if (auto exit = server->m_process->exit()) {
      why = "ollama serve exited: " + (*exit ? (*exit)->output : exit->error().describe());
      return nullptr;
    }
    net::Request version;
    version.url = server->url() + "/api/version";
    version.idle_timeout = std::chrono::seconds(5);
    if (auto res = client.send(version); res && res->status == 200)
      break;
    if (std::chrono::steady_clock::now() > deadline) {
      why = "ollama serve did not answer within 60 s";
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  fs::path modelfile = server->m_store / "Modelfile";
  write_file(modelfile, "FROM " + fs::absolute(gguf).string() + "\n");
  sys::ProcessOptions create = env;
  create.timeout = std::chrono::minutes(5);
  auto created =
      sys::run_process({exe.string(), "create", model_name, "-f", modelfile.string()}, create);
  if (!created || created->exit_code != 0) {
    why = "ollama create failed: " + (created ? created->output : created.error().describe());
    return nullptr;
  }
  return server;
}

OllamaServer::~OllamaServer() {
  if (m_process)
    m_process->stop();
}

std::string OllamaServer::url() const {
  return "http://127.0.0.1:" + std::to_string(m_port);
}

}  // namespace g2d::test
