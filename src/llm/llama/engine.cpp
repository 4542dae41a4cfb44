#include "llm/llama/engine.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/utf8.hpp"
#include "llm/json_schema.hpp"
#include "llm/llama/model.hpp"

namespace g2d::llm::llama {

namespace {

struct Job {
  GenerateRequest request;
  std::stop_token stop;
  std::promise<Result<GenerateResult>> promise;
  std::optional<std::vector<llama_token>> prompt;  // kept while the job waits for room
};

struct Sequence {
  Job job;
  llama_seq_id id = 0;
  std::vector<llama_token> prompt;
  size_t n_evaluated = 0;  // prompt tokens in the KV cache
  llama_pos n_past = 0;    // position of the next token to feed
  int budget = 0;          // tokens it may generate
  int reserved = 0;        // KV cells set aside for it
  llama_sampler_ptr sampler;
  bool generating = false;
  llama_token last = 0;
  int batch_index = -1;  // its logits' row in the current batch, or -1
  GenerateResult result;
  bool done = false;
};

// A finished request's evaluated prompt, kept in the KV cache under a parking sequence id so that
// a later request starting with the same tokens (the same file's next call) skips evaluating them.
struct Parked {
  llama_seq_id id = 0;
  std::string key;  // the request's prefix_key
  std::vector<llama_token> tokens;
  std::uint64_t last_used = 0;
};

// Fewer shared tokens than this are not worth a copy.
constexpr size_t k_min_shared_tokens = 16;

size_t common_prefix(const std::vector<llama_token>& a, size_t a_len,
                     const std::vector<llama_token>& b) {
  size_t n = std::min(a_len, b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i])
    ++i;
  return i;
}

// Drops an incomplete UTF-8 sequence at the end (a generation cut off by its token budget).
void trim_partial_utf8(std::string& s) {
  s.resize(utf8_complete_length(s));
}

Result<llama_sampler_ptr> make_sampler(const LoadedModel& model, const GenerateRequest& request) {
  llama_sampler_ptr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  if (request.json_schema) {
    auto grammar = json_schema_to_gbnf(*request.json_schema);
    if (!grammar)
      return tl::unexpected(grammar.error());
    llama_sampler* g = llama_sampler_init_grammar(model.vocab, grammar->c_str(), "root");
    if (g == nullptr) {
      return fail(ErrorKind::internal, "llama.cpp rejected the grammar built from the schema");
    }
    llama_sampler_chain_add(chain.get(), g);
  }
  if (request.temperature <= 0.0) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
  } else {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(40));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(0.95F, 1));
    llama_sampler_chain_add(chain.get(),
                            llama_sampler_init_temp(static_cast<float>(request.temperature)));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(request.seed));
  }
  return chain;
}

}  // namespace

class Engine::Worker {
 public:
  explicit Worker(EngineOptions options) : m_options(std::move(options)) {
    m_options.max_sequences = std::max(1, m_options.max_sequences);
    // llama.cpp requires a batch at least as large as its sequence count (running ids plus at
    // most as many parking ids).
    m_options.batch_size = std::max(m_options.batch_size, 2 * m_options.max_sequences);
    m_thread = std::thread([this] { loop(); });
  }

  ~Worker() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::future<Result<GenerateResult>> submit(GenerateRequest request, std::stop_token stop) {
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

  // Runs `task` on the worker thread and returns its result.
  template <class T>
  T call(std::function<T()> task) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    {
      std::lock_guard lock(m_mutex);
      m_tasks.emplace_back([promise, task = std::move(task)] {
        try {
          promise->set_value(task());
        } catch (...) {
          promise->set_exception(std::current_exception());
        }
      });
    }
    m_cv.notify_all();
    return future.get();
  }

  Result<ModelInfo> info() {
    auto loaded = ensure_loaded();
    if (!loaded)
      return tl::unexpected(loaded.error());
    return ModelInfo{m_model->name, m_ctx_seq, m_model->trained_context, true};
  }

  Result<int> count_tokens(std::string_view text) {
    auto loaded = ensure_loaded();
    if (!loaded)
      return tl::unexpected(loaded.error());
    auto tokens = tokenize_text(m_model->vocab, text);
    if (!tokens)
      return tl::unexpected(tokens.error());
    return static_cast<int>(tokens->size());
  }

  // Frees the model now if nothing is in flight; otherwise stops admitting work and frees it
  // when the running generations end. The future is ready once the model is freed.
  std::shared_future<void> request_unload() {
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

  bool loaded() const { return m_loaded.load(); }

 private:
  void loop() {
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

  Status ensure_loaded() {
    if (m_model)
      return {};
    auto model = load_model(m_options.model, m_options.gpu_layers);
    if (!model)
      return tl::unexpected(model.error());
    int ctx_seq = m_options.context_window > 0 ? m_options.context_window : model->trained_context;
    if (ctx_seq <= 0)
      ctx_seq = 4096;
    if (model->trained_context > 0 && ctx_seq > model->trained_context) {
      spdlog::warn("llm.context_window {} exceeds what {} was trained for ({})", ctx_seq,
                   model->name, model->trained_context);
    }
    const std::int64_t total = static_cast<std::int64_t>(ctx_seq) * m_options.max_sequences;
    if (total > std::numeric_limits<int32_t>::max()) {
      return fail(ErrorKind::config,
                  "a context of {} tokens x {} sequences is too large (llm.context_window, "
                  "pipeline.max_concurrent_files)",
                  ctx_seq, m_options.max_sequences);
    }
    llama_context_params params = llama_context_default_params();
    params.n_ctx = static_cast<uint32_t>(total);
    params.n_batch = static_cast<uint32_t>(m_options.batch_size);
    params.n_ubatch = static_cast<uint32_t>(m_options.batch_size);
    // Ids [0, max_sequences) run generations; the ones after them keep prefixes, as many as
    // llama.cpp's sequence limit leaves (none when max_sequences takes it all).
    const int seq_limit = static_cast<int>(llama_max_parallel_sequences());
    const int parking =
        std::max(0, std::min(m_options.max_sequences, seq_limit - m_options.max_sequences));
    params.n_seq_max = static_cast<uint32_t>(m_options.max_sequences + parking);
    params.kv_unified = true;
    params.no_perf = true;
    int threads = m_options.threads > 0 ? m_options.threads
                                        : static_cast<int>(std::thread::hardware_concurrency());
    params.n_threads = std::max(1, threads);
    params.n_threads_batch = params.n_threads;
    llama_context_ptr ctx(llama_init_from_model(model->model.get(), params));
    if (!ctx) {
      return fail(ErrorKind::unavailable,
                  "llama.cpp cannot create a context of {} tokens for {} (out of memory?)",
                  params.n_ctx, model->name);
    }
    m_ctx_seq = ctx_seq;
    m_ctx_total = static_cast<int>(params.n_ctx);
    m_batch = llama_batch_init(m_options.batch_size, 0, 1);
    m_free_ids.clear();
    for (int i = m_options.max_sequences - 1; i >= 0; --i)
      m_free_ids.push_back(i);
    m_free_park_ids.clear();
    for (int i = m_options.max_sequences + parking - 1; i >= m_options.max_sequences; --i)
      m_free_park_ids.push_back(i);
    // Copying a prefix's cells is exact only for plain attention: sliding-window layers reuse
    // cells that fell out of a sequence's window, and recurrent state cannot be cut at a
    // position. Such models evaluate every prompt in full.
    m_can_share = m_options.share_prefixes && llama_model_n_swa(model->model.get()) == 0 &&
                  !llama_model_is_recurrent(model->model.get()) &&
                  !llama_model_is_hybrid(model->model.get());
    if (m_options.share_prefixes && !m_can_share)
      spdlog::info("{}: prefix sharing off (sliding-window or recurrent layers)", model->name);
    m_parked.clear();
    m_parked_cells = 0;
    m_model = std::move(*model);
    m_ctx = std::move(ctx);
    m_loaded = true;
    spdlog::info("loaded {} ({} tokens per request, {} in parallel, {} threads)", m_model->name,
                 m_ctx_seq, m_options.max_sequences, params.n_threads);
    return {};
  }

  void free_model() {
    if (!m_model)
      return;
    m_parked.clear();
    m_parked_cells = 0;
    m_ctx.reset();
    llama_batch_free(m_batch);
    m_batch = {};
    m_model.reset();
    m_loaded = false;
    spdlog::info("model unloaded");
  }

  // Moves waiting jobs into free sequences while their prompt and budget fit the free KV space.
  void admit() {
    answer_cancelled_jobs();
    if (m_unload_pending)
      return;  // no new work until the model is freed
    for (;;) {
      Job job;
      {
        std::lock_guard lock(m_mutex);
        if (m_pending.empty() || (m_model && m_free_ids.empty()))
          return;
        job = std::move(m_pending.front());
        m_pending.pop_front();
      }
      bool handed_over = false;  // the job's promise now belongs to a running sequence
      try {
        if (job.stop.stop_requested()) {
          job.promise.set_value(fail(ErrorKind::cancelled, "cancelled before it started"));
          continue;
        }
        if (job.request.messages.empty()) {
          job.promise.set_value(fail(ErrorKind::invalid_argument, "a request without messages"));
          continue;
        }
        if (auto loaded = ensure_loaded(); !loaded) {
          // The same failure awaits every job queued now: answer them all, load once.
          std::deque<Job> waiting;
          {
            std::lock_guard lock(m_mutex);
            waiting.swap(m_pending);
          }
          job.promise.set_value(tl::unexpected(loaded.error()));
          for (auto& other : waiting)
            other.promise.set_value(tl::unexpected(loaded.error()));
          return;
        }
        if (!job.prompt) {
          auto prompt = tokenize_chat(*m_model, job.request.messages);
          if (!prompt) {
            job.promise.set_value(tl::unexpected(prompt.error()));
            continue;
          }
          job.prompt = std::move(*prompt);
        }
        int n_prompt = static_cast<int>(job.prompt->size());
        if (n_prompt >= m_ctx_seq) {
          job.promise.set_value(fail(ErrorKind::context_overflow,
                                     "the prompt is {} tokens; the context window is {} tokens per "
                                     "request (llm.context_window)",
                                     n_prompt, m_ctx_seq));
          continue;
        }
        int budget = std::min(std::max(1, job.request.max_tokens), m_ctx_seq - n_prompt);
        // Space is accounted as if nothing were shared (shared cells are counted once per user),
        // so the cache is never over-committed; kept prefixes give way to new work.
        int reserve = n_prompt + budget;
        while (m_reserved + m_parked_cells + reserve > m_ctx_total &&
               m_reserved + reserve <= m_ctx_total && !m_parked.empty())
          evict_parked(oldest_parked());
        if (m_free_ids.empty() || m_reserved + m_parked_cells + reserve > m_ctx_total) {
          std::lock_guard lock(m_mutex);
          m_pending.push_front(std::move(job));
          return;
        }
        auto sampler = make_sampler(*m_model, job.request);
        if (!sampler) {
          job.promise.set_value(tl::unexpected(sampler.error()));
          continue;
        }
        auto seq = std::make_unique<Sequence>();
        seq->id = m_free_ids.back();
        m_free_ids.pop_back();
        seq->prompt = std::move(*job.prompt);
        seq->job = std::move(job);
        handed_over = true;
        seq->budget = budget;
        seq->reserved = reserve;
        seq->sampler = std::move(*sampler);
        seq->result.prompt_tokens = n_prompt;
        m_reserved += reserve;
        m_active.push_back(std::move(seq));  // from here on, the loop's handler answers it
        share_prefix(*m_active.back());
      } catch (const std::exception& e) {
        if (handed_over)
          throw;  // the loop's handler answers the running sequences
        spdlog::error("llama engine, admitting a request: {}", e.what());
        job.promise.set_value(fail(ErrorKind::internal, "engine: {}", e.what()));
      }
    }
  }

  // Starts `seq` from the longest evaluated prefix it has in common with a running sequence or a
  // kept one: their KV cells are copied (shared, in a unified cache) to `seq`, which then
  // evaluates only the rest of its prompt. At least the last prompt token is always evaluated,
  // for its logits.
  void share_prefix(Sequence& seq) {
    if (!m_can_share || seq.prompt.size() <= k_min_shared_tokens)
      return;
    size_t best = 0;
    llama_seq_id source = -1;
    Parked* parked_source = nullptr;
    for (const auto& other : m_active) {
      size_t n = common_prefix(other->prompt, other->n_evaluated, seq.prompt);
      if (n > best) {
        best = n;
        source = other->id;
        parked_source = nullptr;
      }
    }
    for (auto& p : m_parked) {
      size_t n = common_prefix(p.tokens, p.tokens.size(), seq.prompt);
      if (n > best) {
        best = n;
        source = p.id;
        parked_source = &p;
      }
    }
    best = std::min(best, seq.prompt.size() - 1);
    if (best < k_min_shared_tokens || source < 0)
      return;
    if (parked_source != nullptr)
      parked_source->last_used = ++m_clock;
    llama_memory_seq_cp(llama_get_memory(m_ctx.get()), source, seq.id, 0,
                        static_cast<llama_pos>(best));
    seq.n_evaluated = best;
    seq.result.cached_prompt_tokens = static_cast<int>(best);
  }

  // Keeps a finished sequence's prompt for the requests that share its prefix_key's file.
  void park(Sequence& seq) {
    const std::string& key = seq.job.request.prefix_key;
    if (!m_can_share || key.empty() || (m_free_park_ids.empty() && m_parked.empty()) ||
        seq.n_evaluated < seq.prompt.size() || seq.prompt.size() <= k_min_shared_tokens)
      return;
    for (size_t i = 0; i < m_parked.size(); ++i) {
      if (m_parked[i].key == key) {
        evict_parked(i);  // the newer prompt of the same file replaces it
        break;
      }
    }
    if (m_free_park_ids.empty())
      evict_parked(oldest_parked());
    auto cells = static_cast<int>(seq.prompt.size());
    if (m_reserved + m_parked_cells + cells > m_ctx_total)
      return;  // the running work needs the room more
    Parked p;
    p.id = m_free_park_ids.back();
    m_free_park_ids.pop_back();
    p.key = key;
    p.tokens = seq.prompt;
    p.last_used = ++m_clock;
    llama_memory_seq_cp(llama_get_memory(m_ctx.get()), seq.id, p.id, 0,
                        static_cast<llama_pos>(seq.prompt.size()));
    m_parked_cells += cells;
    m_parked.push_back(std::move(p));
  }

  size_t oldest_parked() const {
    size_t oldest = 0;
    for (size_t i = 1; i < m_parked.size(); ++i)
      if (m_parked[i].last_used < m_parked[oldest].last_used)
        oldest = i;
    return oldest;
  }

  void evict_parked(size_t index) {
    Parked& p = m_parked[index];
    llama_memory_seq_rm(llama_get_memory(m_ctx.get()), p.id, -1, -1);
    m_parked_cells -= static_cast<int>(p.tokens.size());
    m_free_park_ids.push_back(p.id);
    m_parked.erase(m_parked.begin() + static_cast<std::ptrdiff_t>(index));
  }

  // Answers queued jobs whose callers gave up, wherever they wait in the queue.
  void answer_cancelled_jobs() {
    std::vector<Job> cancelled;
    {
      std::lock_guard lock(m_mutex);
      for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (it->stop.stop_requested()) {
          cancelled.push_back(std::move(*it));
          it = m_pending.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& job : cancelled) {
      job.promise.set_value(fail(ErrorKind::cancelled, "cancelled before it started"));
    }
  }

  static void add_token(llama_batch& batch, llama_token token, llama_pos pos, llama_seq_id seq,
                        bool logits) {
    int i = batch.n_tokens++;
    batch.token[i] = token;
    batch.pos[i] = pos;
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = seq;
    batch.logits[i] = logits ? 1 : 0;
  }

  // One llama_decode over every active sequence: the next token of each generating one, then
  // prompt chunks of the others as room allows.
  void step() {
    m_batch.n_tokens = 0;
    for (auto& seq : m_active) {
      seq->batch_index = -1;
      if (seq->generating) {
        seq->batch_index = m_batch.n_tokens;
        add_token(m_batch, seq->last, seq->n_past++, seq->id, true);
      }
    }
    for (auto& seq : m_active) {
      while (!seq->generating && seq->n_evaluated < seq->prompt.size() &&
             m_batch.n_tokens < m_options.batch_size) {
        bool last = seq->n_evaluated + 1 == seq->prompt.size();
        if (last)
          seq->batch_index = m_batch.n_tokens;
        add_token(m_batch, seq->prompt[seq->n_evaluated], static_cast<llama_pos>(seq->n_evaluated),
                  seq->id, last);
        ++seq->n_evaluated;
      }
    }
    if (int rc = llama_decode(m_ctx.get(), m_batch); rc != 0) {
      spdlog::error("llama_decode failed (code {}) with {} sequences in flight", rc,
                    m_active.size());
      for (auto& seq : m_active) {
        finish(*seq, fail(ErrorKind::internal, "llama_decode failed (code {})", rc));
      }
      m_active.clear();
      return;
    }
    const llama_vocab* vocab = m_model->vocab;
    for (auto& seq : m_active) {
      if (seq->job.stop.stop_requested()) {
        finish(*seq, fail(ErrorKind::cancelled, "generation cancelled"));
        continue;
      }
      if (seq->batch_index < 0)
        continue;
      if (!seq->generating) {
        seq->generating = true;
        seq->n_past = static_cast<llama_pos>(seq->prompt.size());
      }
      llama_token token = llama_sampler_sample(seq->sampler.get(), m_ctx.get(), seq->batch_index);
      if (llama_vocab_is_eog(vocab, token)) {
        seq->result.finish = FinishReason::stop;
        finish(*seq, std::move(seq->result));
        continue;
      }
      seq->result.text += token_piece(vocab, token);
      seq->last = token;
      if (++seq->result.completion_tokens >= seq->budget) {
        seq->result.finish = FinishReason::length;
        trim_partial_utf8(seq->result.text);
        finish(*seq, std::move(seq->result));
      }
    }
    std::erase_if(m_active, [](const auto& seq) { return seq->done; });
  }

  void finish(Sequence& seq, Result<GenerateResult> result) {
    if (seq.done)
      return;  // already answered (an exception after it finished)
    m_reserved -= seq.reserved;
    if (m_ctx && result)
      park(seq);
    if (m_ctx)
      llama_memory_seq_rm(llama_get_memory(m_ctx.get()), seq.id, -1, -1);
    m_free_ids.push_back(seq.id);
    seq.done = true;
    seq.job.promise.set_value(std::move(result));
  }

  EngineOptions m_options;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_tasks;  // guarded by m_mutex
  std::deque<Job> m_pending;                  // guarded by m_mutex
  bool m_stopping = false;                    // guarded by m_mutex
  std::atomic<bool> m_loaded{false};

  // Worker-thread state.
  std::optional<LoadedModel> m_model;
  llama_context_ptr m_ctx;
  llama_batch m_batch{};
  std::vector<std::unique_ptr<Sequence>> m_active;
  std::vector<llama_seq_id> m_free_ids;
  std::vector<Parked> m_parked;
  std::vector<llama_seq_id> m_free_park_ids;
  int m_parked_cells = 0;    // KV cells the kept prefixes hold
  bool m_can_share = false;  // the options allow it and the model's layers permit it
  std::uint64_t m_clock = 0;
  int m_ctx_seq = 0;
  int m_ctx_total = 0;
  int m_reserved = 0;
  bool m_unload_pending = false;
  std::promise<void> m_unload_done;
  std::shared_future<void> m_unload_future;

  std::thread m_thread;  // last: starts after everything above exists
};

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
