// The engine's thread and its command queue: the worker thread waits for work (or unloads an idle
// model), runs the tasks posted through call, admits jobs and steps the batch; the destructor
// cancels what is pending or running. The public Engine only forwards to its Worker.
// Thread-safety: Engine's members may be called from any thread; the loop is the only code that
// touches the worker-thread state. Errors: as engine.hpp says; an exception from admitting or
// stepping fails what is in flight and the engine keeps serving.
#include "llm/llama/engine.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "llm/llama/engine_internal.hpp"
#include "llm/llama/model.hpp"

namespace g2d::llm::llama {

Engine::Worker::Worker(EngineOptions options) : m_options(std::move(options)) {
  m_options.max_sequences = std::max(1, m_options.max_sequences);
  // llama.cpp requires a batch at least as large as its sequence count (running ids plus at
  // most as many parking ids).
  m_options.batch_size = std::max(m_options.batch_size, 2 * m_options.max_sequences);
  m_thread = std::thread([this] { loop(); });
}

Engine::Worker::~Worker() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  m_thread.join();
}

std::future<Result<GenerateResult>> Engine::Worker::submit(GenerateRequest request,
                                                           std::stop_token stop) {
  Job job{std::move(request), std::move(stop), {}, std::nullopt};
  auto future = job.promise.get_future();
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
      job.promise.set_value(fail(ErrorKind::cancelled, "the engine is stopping"));
    } else {
      m_pending.push_back(std::move(job));
    }
  }
  m_cv.notify_all();
  return future;
}

Result<ModelInfo> Engine::Worker::info() {
  auto loaded = ensure_loaded();
  if (!loaded)
    return tl::unexpected(loaded.error());
  return ModelInfo{m_model->name, m_ctx_seq, m_model->trained_context, true};
}

Result<int> Engine::Worker::count_tokens(std::string_view text) {
  auto loaded = ensure_loaded();
  if (!loaded)
    return tl::unexpected(loaded.error());
  auto tokens = tokenize_text(m_model->vocab, text);
  if (!tokens)
    return tl::unexpected(tokens.error());
  return static_cast<int>(tokens->size());
}

std::shared_future<void> Engine::Worker::request_unload() {
  if (m_active.empty()) {
    free_model();
    std::promise<void> done;
    done.set_value();
    return done.get_future().share();
  }
  if (!m_unload_pending) {
    m_unload_done = std::promise<void>();
    m_unload_future = m_unload_done.get_future().share();
    m_unload_pending = true;
  }
  return m_unload_future;
}

void Engine::Worker::loop() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    auto has_work = [&] {
      return m_stopping || !m_tasks.empty() || !m_pending.empty() || !m_active.empty();
    };
    if (!has_work()) {
      if (m_model && m_options.idle_unload.count() > 0) {
        if (!m_cv.wait_for(lock, m_options.idle_unload, has_work)) {
          spdlog::info("model idle for {}s: unloading", m_options.idle_unload.count());
          lock.unlock();
          free_model();
          lock.lock();
          continue;
        }
      } else {
        m_cv.wait(lock, has_work);
      }
    }
    if (m_stopping)
      break;
    std::deque<std::function<void()>> tasks;
    tasks.swap(m_tasks);
    lock.unlock();
    for (auto& task : tasks)
      task();
    try {
      admit();
      if (!m_active.empty())
        step();
    } catch (const std::exception& e) {
      // A bug or an allocation failure: fail what is in flight, keep serving.
      spdlog::error("llama engine: {}", e.what());
      for (auto& seq : m_active)
        finish(*seq, fail(ErrorKind::internal, "engine: {}", e.what()));
      m_active.clear();
    }
    if (m_active.empty() && m_unload_pending) {
      free_model();
      m_unload_pending = false;
      m_unload_done.set_value();
    }
    lock.lock();
  }
  std::deque<Job> pending;
  pending.swap(m_pending);
  lock.unlock();
  for (auto& job : pending)
    job.promise.set_value(fail(ErrorKind::cancelled, "the engine stopped"));
  for (auto& seq : m_active)
    finish(*seq, fail(ErrorKind::cancelled, "the engine stopped"));
  m_active.clear();
  free_model();
  if (m_unload_pending)
    m_unload_done.set_value();
}

Engine::Engine(EngineOptions options) : m_worker(std::make_unique<Worker>(std::move(options))) {}
Engine::~Engine() = default;

std::future<Result<GenerateResult>> Engine::submit(GenerateRequest request, std::stop_token stop) {
  return m_worker->submit(std::move(request), std::move(stop));
}

Result<ModelInfo> Engine::info() {
  return m_worker->call<Result<ModelInfo>>([this] { return m_worker->info(); });
}

Result<int> Engine::count_tokens(std::string_view text) {
  return m_worker->call<Result<int>>([this, text] { return m_worker->count_tokens(text); });
}

void Engine::unload() {
  m_worker->call<std::shared_future<void>>([this] { return m_worker->request_unload(); }).wait();
}

bool Engine::loaded() const {
  return m_worker->loaded();
}

}  // namespace g2d::llm::llama
