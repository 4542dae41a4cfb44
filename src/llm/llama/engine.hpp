// llm/llama/engine.hpp — the in-process inference engine: one worker thread owns the model and
// its llama_context; callers post commands (generate, tokenize, describe, unload) and wait on a
// future, as llama.cpp's server does with its slots.
//
// Continuous batching: up to `max_sequences` generations are in flight; each decode step puts
// one token of every generating sequence and chunks of newly admitted prompts into one batch.
// A sequence is admitted only when its prompt plus its token budget fit the free KV space, so
// the cache is never over-committed. The model is loaded lazily on the first command that needs
// it, once, and freed by unload() or after `idle_unload` without work.
//
// Prefix sharing: a newly admitted sequence starts from the longest prompt prefix it has in common
// with a running sequence (what that one has evaluated so far) or a kept one, whose KV cells are
// copied to it (llama_memory_seq_cp; in the unified cache the cells are shared, not duplicated);
// GenerateResult::cached_prompt_tokens says how many tokens were reused. A finished request with
// a prefix_key keeps its prompt (one per key, under a parking sequence id, least recently used
// first out) so that the same file's next calls — its answers after its questions — skip the
// system prompt and the code. Kept prefixes count against the KV budget and give way to new
// work. A sequence admitted while another still evaluates a prompt it shares beyond what it found
// (a file's answers arrive together and repeat one task before their questions) waits for that
// one to evaluate the common part and copies it; if that one ends first, it takes what is left.
// Models with sliding-window or recurrent layers evaluate every prompt in full (their cells cannot
// be shared by position), as does EngineOptions::share_prefixes = false. When the model is freed, a
// line logs what it did since loading: prompt tokens evaluated and reused, tokens generated, and
// the time spent decoding.
//
// Speculative decoding (EngineOptions::draft_tokens): each step, a generating sequence's next
// token goes into the batch with a draft of the tokens that followed its last tokens earlier in
// its prompt or output; the sampler takes the tokens one position at a time and stops at the
// first that differs from the draft, so what is kept is what plain decoding samples, and the
// rejected drafts' cells are removed. GenerateResult says how many were drafted and kept.
//
// Thread-safety: every public member may be called from any thread.
// Errors: model_missing / model_invalid / unavailable from loading (a failed load answers every
// queued request); context_overflow when a prompt does not fit the per-sequence context;
// invalid_argument for a request without messages; cancelled when the caller's stop_token fires
// (also while queued) or the engine stops; internal if llama_decode fails or the worker throws.
#pragma once

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>

#include "core/error.hpp"
#include "llm/backend.hpp"

namespace g2d::llm::llama {

struct EngineOptions {
  std::filesystem::path model;
  int context_window = 0;               // tokens per sequence; 0 = the model's trained context
  int max_sequences = 4;                // generations decoded together
  int threads = 0;                      // 0 = all hardware threads
  int gpu_layers = -1;                  // layers offloaded to a GPU; negative = all
  int batch_size = 512;                 // tokens per llama_decode call
  std::chrono::seconds idle_unload{0};  // 0 = keep the model loaded
  bool share_prefixes = true;           // false: every prompt is evaluated in full (a reference)
  // Prompt-lookup speculative decoding: up to this many tokens a step drafted from the sequence's
  // own prompt and output (llm/prompt_lookup.hpp) and verified in the same decode; 0 = off.
  int draft_tokens = 0;
};

class Engine {
 public:
  explicit Engine(EngineOptions options);
  ~Engine();  // stops the worker; pending and running generations end as cancelled
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  std::future<Result<GenerateResult>> submit(GenerateRequest request, std::stop_token stop);
  Result<ModelInfo> info();
  Result<int> count_tokens(std::string_view text);
  // Frees the model and context. With generations in flight it admits no new work, lets them
  // finish, frees, and only then returns; later work loads the model again.
  void unload();
  bool loaded() const;  // whether a model is in memory now

 private:
  class Worker;
  std::unique_ptr<Worker> m_worker;
};

}  // namespace g2d::llm::llama
