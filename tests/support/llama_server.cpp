#include "llama_server.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "net/http.hpp"
#include "net/port.hpp"
#include "support.hpp"

namespace g2d::test {

namespace fs = std::filesystem;

fs::path llama_server_path() {
#ifdef G2D_LLAMA_SERVER
  if (fs::exists(G2D_LLAMA_SERVER))
    return G2D_LLAMA_SERVER;
#endif
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && fs::exists(fs::path(dir) / "llama-server"))
        return fs::path(dir) / "llama-server";
  }
  return {};
}

namespace {

// One thread, loopback only, no web page; then the test's own arguments.
std::vector<std::string> command(const fs::path& exe, const fs::path& model, int port,
                                 const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{exe.string(), "-m",        model.string(),       "--host",
                                "127.0.0.1",  "--port",    std::to_string(port), "-t",
                                "1",          "--no-webui"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return args;
}

}  // namespace

std::unique_ptr<LlamaServer> LlamaServer::start(const fs::path& model,
                                                const std::vector<std::string>& extra_args,
                                                std::string& why) {
  fs::path exe = llama_server_path();
  if (exe.empty()) {
    why = "llama-server not found (scripts/setup.sh builds it)";
    return nullptr;
  }
  if (model.empty() || !fs::exists(model)) {
    why = "tiny model not installed; run scripts/setup.sh";
    return nullptr;
  }
  // The free port may be taken before the server binds it (tests run in parallel): try another.
  for (int attempt = 1;; ++attempt) {
    auto port = net::free_loopback_port();
    if (!port) {
      why = port.error().describe();
      return nullptr;
    }
    auto server = start_on(exe, model, *port, extra_args, why);
    bool port_taken = !server && why.find("couldn't bind") != std::string::npos;
    if (!port_taken || attempt == 3)
      return server;
  }
}

std::unique_ptr<LlamaServer> LlamaServer::start_on(const fs::path& exe, const fs::path& model,
                                                   int port,
                                                   const std::vector<std::string>& extra_args,
                                                   std::string& why) {
  fs::path log = fs::temp_directory_path() / ("g2d-llama-server-" + std::to_string(::getpid()) +
                                              "-" + std::to_string(port) + ".log");
  pid_t pid = spawn_logged(command(exe, model, port, extra_args), log, false);
  if (pid < 0) {
    why = "cannot start " + exe.string();
    return nullptr;
  }
  std::unique_ptr<LlamaServer> server(new LlamaServer(pid, port, log));
  server->m_exe = exe;
  server->m_model = model;
  server->m_args = extra_args;
  if (!server->wait_ready(why))
    return nullptr;
  return server;
}

bool LlamaServer::wait_ready(std::string& why) {
  const pid_t pid = m_pid;
  LlamaServer* server = this;
  net::Client client;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server->m_pid = -1;
      why = "llama-server exited at start:\n" + server->log();
      return false;
    }
    net::Request health;
    health.url = server->url() + "/health";
    health.idle_timeout = std::chrono::seconds(5);
    if (auto res = client.send(health); res && res->status == 200)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  why = "llama-server did not become ready in 120 s:\n" + server->log();
  return false;
}

void LlamaServer::kill_now() {
  if (m_pid <= 0)
    return;
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

bool LlamaServer::restart(std::string& why) {
  kill_now();
  m_pid = spawn_logged(command(m_exe, m_model, m_port, m_args), m_log, false);
  if (m_pid < 0) {
    why = "cannot start " + m_exe.string();
    return false;
  }
  return wait_ready(why);
}

LlamaServer::LlamaServer(pid_t pid, int port, fs::path log)
    : m_pid(pid), m_port(port), m_log(std::move(log)) {}

LlamaServer::~LlamaServer() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
    }
  }
  std::error_code ec;
  fs::remove(m_log, ec);
}

std::string LlamaServer::url() const {
  return "http://127.0.0.1:" + std::to_string(m_port);
}

std::string LlamaServer::log() const {
  std::ifstream in(m_log);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace g2d::test
