#include "llm/openai/mlx_server.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/text.hpp"
#include "net/http.hpp"
#include "net/port.hpp"
#include "sys/background_process.hpp"

namespace g2d::llm::openai {

namespace {

using namespace std::chrono_literals;

constexpr int k_bind_attempts = 3;  // another program may take the free port first
constexpr auto k_poll_interval = 200ms;

// The last `n` non-empty lines of `text`, joined with " | ".
std::string last_lines(const std::string& text, int n) {
  std::vector<std::string_view> lines = split_nonempty(text, '\n');
  if (lines.size() > static_cast<size_t>(n))
    lines.erase(lines.begin(), lines.end() - n);
  return fmt::format("{}", fmt::join(lines, " | "));
}

// A model given as a local folder is passed (and asked for) by its absolute, resolved path:
// mlx_lm.server knows a local model by that name, and a relative one would depend on its cwd.
MlxServerOptions absolute_model(MlxServerOptions options) {
  std::error_code ec;
  const std::filesystem::path model(options.client.model);
  if (!options.client.model.empty() && std::filesystem::exists(model, ec)) {
    auto resolved = std::filesystem::canonical(model, ec);
    if (!ec)
      options.client.model = resolved.string();
  }
  return options;
}

class ManagedMlxBackend final : public Backend {
 public:
  explicit ManagedMlxBackend(MlxServerOptions options)
      : m_options(absolute_model(std::move(options))) {
    if (m_options.idle_stop.count() > 0)
      m_idle_watch = std::jthread([this](const std::stop_token& stop) { watch_idle(stop); });
  }

  ~ManagedMlxBackend() override {
    m_idle_watch = {};  // requests its stop and joins it
    unload();
  }
  ManagedMlxBackend(const ManagedMlxBackend&) = delete;
  ManagedMlxBackend& operator=(const ManagedMlxBackend&) = delete;

  std::string_view name() const override { return "mlx"; }

  Result<ModelInfo> model_info() override {
    InUse in_use(*this);
    auto client = acquire({});
    if (!client)
      return tl::unexpected(client.error());
    return (*client)->model_info();
  }

  Result<int> count_tokens(std::string_view text) override {
    InUse in_use(*this);
    auto client = acquire({});
    if (!client)
      return tl::unexpected(client.error());
    return (*client)->count_tokens(text);
  }

  Result<GenerateResult> generate(const GenerateRequest& request, std::stop_token stop) override {
    InUse in_use(*this);
    auto client = acquire(stop);
    if (!client)
      return tl::unexpected(client.error());
    auto reply = (*client)->generate(request, stop);
    // A server that died (killed, out of memory) is started again, and the call asked once more.
    if (!reply && reply.error().kind == ErrorKind::unavailable && server_died(*client)) {
      client = acquire(stop);
      if (!client)
        return tl::unexpected(client.error());
      reply = (*client)->generate(request, stop);
    }
    return reply;
  }

  void unload() override {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return !m_starting; });
    if (m_server) {
      spdlog::info("stopping mlx_lm.server (port {}) to free its memory", m_port);
      m_server->stop();
    }
    m_server.reset();
    m_client.reset();
  }

 private:
  // Marks a call in progress, so the idle watch leaves the server alone; the end of the last
  // call starts the idle time.
  class InUse {
   public:
    explicit InUse(ManagedMlxBackend& b) : m_b(b) {
      std::lock_guard lock(m_b.m_mutex);
      ++m_b.m_calls;
    }
    ~InUse() {
      std::lock_guard lock(m_b.m_mutex);
      --m_b.m_calls;
      m_b.m_last_call = std::chrono::steady_clock::now();
    }
    InUse(const InUse&) = delete;
    InUse& operator=(const InUse&) = delete;

   private:
    ManagedMlxBackend& m_b;
  };

  // Stops the server once it has had no call for idle_stop.
  void watch_idle(const std::stop_token& stop) {
    std::unique_lock lock(m_mutex);
    while (!stop.stop_requested()) {
      auto idle_until = m_last_call + m_options.idle_stop;
      bool idle =
          m_calls == 0 && !m_starting && m_server && std::chrono::steady_clock::now() >= idle_until;
      if (idle) {
        spdlog::info("stopping mlx_lm.server (port {}): no call for {} s", m_port,
                     std::chrono::duration_cast<std::chrono::seconds>(m_options.idle_stop).count());
        auto server = std::move(m_server);
        m_client.reset();
        lock.unlock();
        server->stop();  // without the mutex: a new call may start another meanwhile
        lock.lock();
        continue;
      }
      auto wake = m_server && m_calls == 0 ? idle_until
                                           : std::chrono::steady_clock::now() + m_options.idle_stop;
      m_changed.wait_until(lock, stop, wake, [] { return false; });
    }
  }

  // Whether the server behind `client` has ended (allowing a moment for it to be reaped, as a
  // refused connection can come first); logs how it ended.
  bool server_died(const std::shared_ptr<Backend>& client) {
    std::unique_lock lock(m_mutex);
    if (m_client != client || !m_server)
      return true;  // already replaced or unloaded: acquire again
    for (int i = 0; i < 10 && m_server->running(); ++i) {
      lock.unlock();
      std::this_thread::sleep_for(100ms);
      lock.lock();
      if (m_client != client || !m_server)
        return true;
    }
    if (m_server->running())
      return false;
    auto exit = m_server->exit();
    spdlog::warn("mlx_lm.server (port {}) ended: {}; starting it again", m_port,
                 *exit ? fmt::format("status {}", (*exit)->exit_code) : exit->error().describe());
    return true;
  }

  // The client of a running server, starting one when none runs.
  // A call that waited for a start takes that start's outcome, failure included: N waiting calls
  // never make N starts one after the other.
  Result<std::shared_ptr<Backend>> acquire(const std::stop_token& stop) {
    std::unique_lock lock(m_mutex);
    bool waited = false;
    while (m_starting) {
      waited = true;
      m_changed.wait(lock, stop, [this] { return !m_starting; });
      if (stop.stop_requested())
        return fail(ErrorKind::cancelled, "stopped while mlx_lm.server was starting");
    }
    if (waited && m_last_start_error)
      return tl::unexpected(*m_last_start_error);
    if (m_server && m_server->running())
      return m_client;
    m_starting = true;
    m_server.reset();
    m_client.reset();
    lock.unlock();
    auto started = start(stop);
    lock.lock();
    m_starting = false;
    m_last_start_error = started ? std::nullopt : std::optional<Error>(started.error());
    m_changed.notify_all();
    if (!started)
      return tl::unexpected(started.error());
    m_server = std::move(started->server);
    m_client = std::move(started->client);
    m_port = started->port;
    return m_client;
  }

  struct Started {
    std::unique_ptr<sys::BackgroundProcess> server;
    std::shared_ptr<Backend> client;
    int port = 0;
  };

  // Starts the server and waits until it answers. Runs without the mutex (m_starting is set).
  Result<Started> start(const std::stop_token& stop) {
    for (int attempt = 1;; ++attempt) {
      auto port = net::free_loopback_port();
      if (!port)
        return tl::unexpected(port.error());
      std::vector<std::string> argv{m_options.command, "--model", m_options.client.model, "--host",
                                    "127.0.0.1",       "--port",  std::to_string(*port)};
      spdlog::info("starting {} --model {} on 127.0.0.1:{}", m_options.command,
                   m_options.client.model, *port);
      sys::ProcessOptions po;
      po.max_output = size_t{64} * 1024;
      auto server = std::make_unique<sys::BackgroundProcess>(argv, po);
      std::string base = fmt::format("http://127.0.0.1:{}", *port);
      auto ready = wait_ready(*server, base, stop);
      if (ready) {
        OpenAiOptions client = m_options.client;
        client.base_url = base;
        return Started{std::move(server), make_mlx_backend(std::move(client)), *port};
      }
      server->stop();
      bool port_taken = ready.error().message.find("Address already in use") != std::string::npos;
      if (!port_taken || attempt == k_bind_attempts)
        return tl::unexpected(ready.error());
    }
  }

  Status wait_ready(const sys::BackgroundProcess& server, const std::string& base,
                    const std::stop_token& stop) {
    // GET /health (mlx-lm 0.32) or, on a server without it, GET /v1/models.
    net::Client http;
    net::Request probe;
    probe.url = base + "/health";
    probe.idle_timeout = 5s;
    probe.total_timeout = 5s;  // a probe's reply is short: a server that trickles is not ready
    probe.max_body_bytes = std::size_t{1} << 20;
    probe.connect_timeout = 1s;
    net::Request older = probe;
    older.url = base + "/v1/models";
    auto deadline = std::chrono::steady_clock::now() + m_options.start_timeout;
    for (;;) {
      if (auto exit = server.exit()) {
        if (!*exit && exit->error().kind == ErrorKind::not_found) {
          return fail(ErrorKind::not_found,
                      "{}: not found on PATH (install it with `pip install mlx-lm` on Apple "
                      "Silicon, or set llm.base_url to a running server)",
                      m_options.command);
        }
        if (!*exit)
          return tl::unexpected(exit->error());
        return fail(ErrorKind::config, "{} exited with status {} while starting: {}",
                    m_options.command, (*exit)->exit_code, last_lines((*exit)->output, 5));
      }
      auto reply = http.send(probe, stop);
      if (reply && reply->status == 404)
        reply = http.send(older, stop);
      if (reply && reply->status == 200)
        return {};
      if (stop.stop_requested())
        return fail(ErrorKind::cancelled, "stopped while {} was starting", m_options.command);
      if (std::chrono::steady_clock::now() >= deadline) {
        return fail(
            ErrorKind::timeout, "{} did not answer on {} within {} s", m_options.command, base,
            std::chrono::duration_cast<std::chrono::seconds>(m_options.start_timeout).count());
      }
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, k_poll_interval, [] { return false; });
    }
  }

  const MlxServerOptions m_options;
  std::mutex m_mutex;  // guards what follows
  std::condition_variable_any m_changed;
  bool m_starting = false;
  std::unique_ptr<sys::BackgroundProcess> m_server;
  std::shared_ptr<Backend> m_client;
  int m_port = 0;
  int m_calls = 0;                          // calls in progress
  std::optional<Error> m_last_start_error;  // of the last start that ended
  std::chrono::steady_clock::time_point m_last_call = std::chrono::steady_clock::now();
  std::jthread m_idle_watch;  // last: stopped and joined first
};

}  // namespace

std::unique_ptr<Backend> make_managed_mlx_backend(MlxServerOptions options) {
  return std::make_unique<ManagedMlxBackend>(std::move(options));
}

}  // namespace g2d::llm::openai
