// llm/ollama/ollama_backend.hpp — the `ollama` backend: Ollama's native API. `/api/chat` streamed
// as NDJSON, questions constrained with `format` (the JSON schema), the context set with
// `options.num_ctx` and the reply's length with `num_predict`; `/api/show` checks the model exists
// (a missing model is an error naming it — never a silent fallback to another model) and gives its
// context length; `keep_alive` keeps the model loaded between calls for
// `unload_after_idle_seconds` (then Ollama frees it), and unload() frees it at once
// (`keep_alive: 0`); probe() asks `/api/version` (within 10 s). An API key, when set, goes as a
// Bearer token (an Ollama behind an authenticating proxy).
//
// Ollama has no tokenizer endpoint: token counts are a conservative estimate (bytes / 3), so that
// units fit; Ollama reuses a prompt's evaluated prefix by itself within a runner slot.
//
// A chat's reply is bounded by llm/reply_limits.hpp (lines, bytes and time derived from
// num_predict); other calls take at most request_timeout in all, and 16 MiB.
//
// Errors: unavailable (cannot connect, reset, 5xx, 503 busy — worth a retry), timeout (idle, or
// over the call's total time), model_missing (404 / "not found"), context_overflow (a message
// saying so), rejected (other 4xx), bad_output (not the protocol's JSON, or a reply over its
// limits), cancelled.
// Ownership: the backend owns its pooled HTTP clients. Thread-safety: as Backend.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "llm/backend.hpp"

namespace g2d::llm::ollama {

struct OllamaOptions {
  std::string base_url = "http://127.0.0.1:11434";
  std::string model;  // required: "qwen2.5-coder:7b"
  std::chrono::milliseconds request_timeout{std::chrono::seconds(300)};  // idle; 0 = none
  // A chat takes at most request_timeout + num_predict × this in all; 0 = no total limit.
  double seconds_per_token = 1.0;
  int context_window = 0;               // num_ctx; 0 = the model's own (from /api/show)
  std::chrono::seconds keep_alive{60};  // 0 = keep loaded while git2dataset runs
  int threads = 0;                      // num_thread for Ollama's runner; 0 = Ollama's choice
  std::string api_key;  // sent as a Bearer token when not empty (an Ollama behind a proxy)
};

std::unique_ptr<Backend> make_ollama_backend(OllamaOptions options);

}  // namespace g2d::llm::ollama
