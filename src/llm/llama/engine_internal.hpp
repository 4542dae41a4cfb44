// llm/llama/engine_internal.hpp — the engine's worker (private to g2d_llama_backend), defined
// across four files along its seams: engine.cpp (the thread, its command queue and the public
// Engine), engine_load.cpp (the model and llama_context lifetime), engine_schedule.cpp (admitting
// requests and the decode step of continuous batching) and engine_prefix.cpp (sharing and keeping
// prompt prefixes in the KV cache); sampler.cpp builds each request's sampler chain.
//
// Ownership: the Worker owns the model, the context, the batch and every Sequence; a Job owns its
// caller's promise until a Sequence takes it. Thread-safety: submit, call and loaded may be called
// from any thread; the members after "Worker-thread state" are touched only by the worker thread
// (the loop, and tasks it runs through call). Errors: as engine.hpp says; every Job's promise is
// answered exactly once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <llama-cpp.h>

#include "llm/llama/engine.hpp"
#include "llm/llama/model.hpp"
#include "llm/repetition.hpp"

namespace g2d::llm::llama {

struct Job {
  GenerateRequest request;
  std::stop_token stop;
  std::promise<Result<GenerateResult>> promise;
  std::optional<std::vector<llama_token>> prompt;  // kept while the job waits for room
};

// One request's sampling: greedy decoding at temperature 0, else top-k, top-p, temperature and a
// seeded draw — and, when it has a JSON schema, that schema's grammar. The grammar is costly to
// apply to the whole vocabulary at every step, and a constrained reply is mostly tokens it allows,
// so a token is drawn from the model's full distribution first and only that token is checked
// against the grammar; a refused draw is made again from the tokens the grammar allows (as
// llama.cpp's common sampler does). At temperature 0 the pick is exactly grammar-first greedy
// decoding's; above it, a draw the grammar allows is kept as drawn.
// Errors: make gives json_schema_to_gbnf's, or internal when llama.cpp rejects the grammar.
// Thread-safety: one sequence's; used by the worker thread only.
class Sampler {
 public:
  static Result<Sampler> make(const LoadedModel& model, const GenerateRequest& request);

  // The next token from the logits at `index` of ctx's last batch (-1: the last row); the token
  // is accepted (the grammar's state moves past it).
  llama_token sample(llama_context* ctx, int index);
  int redraws() const { return m_redraws; }  // draws the grammar refused

 private:
  llama_sampler_ptr m_draw;
  llama_sampler_ptr m_grammar;  // null: no schema
  const llama_vocab* m_vocab = nullptr;
  std::vector<llama_token_data> m_candidates;
  int m_redraws = 0;
};

struct Sequence {
  Job job;
  llama_seq_id id = 0;
  std::vector<llama_token> prompt;
  size_t n_evaluated = 0;  // prompt tokens in the KV cache
  // Waiting for another sequence admitted with it to evaluate their common prefix, up to
  // `wait_until` tokens, to copy it from there; -1: not waiting.
  llama_seq_id wait_source = -1;
  size_t wait_until = 0;
  llama_pos n_past = 0;            // position of the next token to feed
  int budget = 0;                  // tokens it may generate
  int reserved = 0;                // KV cells set aside for it
  std::optional<Sampler> sampler;  // set when it is admitted
  bool generating = false;
  llama_token last = 0;
  int batch_index = -1;              // its logits' row in the current batch, or -1
  std::vector<llama_token> history;  // prompt and output, for drafting (when drafting is on)
  std::vector<llama_token> draft;    // drafted in this step, after `last` in the batch
  GenerateResult result;
  LoopWatch loop_watch;
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

class Engine::Worker {
 public:
  explicit Worker(EngineOptions options);  // starts the worker thread
  ~Worker();                               // stops it; what is pending or running is cancelled
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::future<Result<GenerateResult>> submit(GenerateRequest request, std::stop_token stop);

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

  // On the worker thread (through call): load the model if needed, then answer.
  Result<ModelInfo> info();
  Result<int> count_tokens(std::string_view text);

  // Frees the model now if nothing is in flight; otherwise stops admitting work and frees it
  // when the running generations end. The future is ready once the model is freed.
  std::shared_future<void> request_unload();

  bool loaded() const { return m_loaded.load(); }

 private:
  // The worker thread: runs tasks, admits jobs and steps the batch until the engine stops.
  void loop();

  // engine_load.cpp: loads the model and creates the context sized for max_sequences (and the
  // parking ids) when none is loaded; frees them.
  Status ensure_loaded();
  void free_model();

  // engine_schedule.cpp
  // Moves waiting jobs into free sequences while their prompt and budget fit the free KV space.
  void admit();
  // Answers queued jobs whose callers gave up, wherever they wait in the queue.
  void answer_cancelled_jobs();
  static void add_token(llama_batch& batch, llama_token token, llama_pos pos, llama_seq_id seq,
                        bool logits);
  // One llama_decode over every active sequence: the next token of each generating one, then
  // prompt chunks of the others as room allows.
  void step();
  // Samples `seq`'s tokens after a decode: the one after `last`, then one after each draft token
  // that the sampler agreed with. Finishes the sequence when it ends.
  void take_tokens(Sequence& seq);
  // Appends a sampled token to `seq`'s reply; finishes it and returns false when it ends there.
  bool take_token(Sequence& seq, llama_token token);
  // Answers `seq`'s caller, keeps its prefix when it succeeded, and frees its cells and id.
  void finish(Sequence& seq, Result<GenerateResult> result);

  // engine_prefix.cpp
  // Starts `seq` from the longest evaluated prefix it has in common with a running sequence or a
  // kept one: their KV cells are copied (shared, in a unified cache) to `seq`, which then
  // evaluates only the rest of its prompt. At least the last prompt token is always evaluated,
  // for its logits.
  void share_prefix(Sequence& seq);
  // At a step's start: each waiting sequence whose source has evaluated their common prefix
  // copies it; one whose source is gone evaluates its prompt itself.
  void resolve_waits();
  // Keeps a finished sequence's prompt for the requests that share its prefix_key's file.
  void park(Sequence& seq);
  size_t oldest_parked() const;  // the least recently used kept prefix
  void evict_parked(size_t index);

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
  // Since the model was loaded, for the line logged when it is freed.
  struct Totals {
    long prompt_evaluated = 0;  // prompt tokens decoded
    long prompt_reused = 0;     // prompt tokens copied from a shared prefix
    long generated = 0;         // tokens sampled
    long steps = 0;             // llama_decode calls
    double decode_seconds = 0;
    long generation_steps = 0;  // of them, steps without prompt tokens
    double generation_seconds = 0;
  } m_totals;
  int m_ctx_seq = 0;
  int m_ctx_total = 0;
  int m_reserved = 0;
  bool m_unload_pending = false;
  std::promise<void> m_unload_done;
  std::shared_future<void> m_unload_future;

  std::thread m_thread;  // last: starts after everything above exists
};

}  // namespace g2d::llm::llama
