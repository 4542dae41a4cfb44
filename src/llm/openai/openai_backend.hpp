// llm/openai/openai_backend.hpp — the `openai` backend: any OpenAI-compatible server (llama-server,
// vLLM, SGLang, LM Studio; and, as the `mlx` backend, mlx_lm.server) through
// `/v1/chat/completions`, streamed (so the idle timeout measures silence, not the length of an
// answer). Questions are constrained with `response_format` (json_schema).
//
// llama-server is recognised by its `/props` endpoint, and then: token counts come from its
// `/tokenize` (other servers: a conservative estimate, bytes / 3, and a context overflow makes the
// pipeline cut the unit again); the context length is its per-slot `n_ctx`; and the calls of one
// prefix_key (a file's unit) are pinned to one slot (`id_slot`), so the server keeps that unit's
// evaluated prompt and reuses it (its `timings.cache_n`, reported as cached_prompt_tokens). A new
// unit takes a slot held by the fewest units (end_prefix frees a unit's), so it does not queue
// behind a unit still at work. probe() asks llama-server's `/health` (other servers:
// `/v1/models`), within 10 s.
// `/v1/models` checks that the configured model exists (an empty model name takes the server's
// first).
//
// A completion's reply is bounded by llm/reply_limits.hpp (events, bytes and time derived from
// max_tokens); other calls take at most request_timeout in all, and 16 MiB.
//
// Errors: unavailable (cannot connect, reset, 5xx, 429, 503 "loading" — worth a retry), timeout
// (idle, or over the call's total time), context_overflow (400 exceed_context_size_error, or a
// message saying so), model_missing (404, or a model the server does not list), rejected (401, 403
// and other 4xx: named with the server's message), bad_output (a body that is not the protocol's
// JSON, or a reply over its limits), cancelled. Ownership: the backend owns its HTTP clients (one
// per concurrent call, reused). Thread-safety: as Backend — generate() may be called from many
// threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "llm/backend.hpp"

namespace g2d::llm::openai {

struct OpenAiOptions {
  std::string base_url = "http://127.0.0.1:8080";  // with or without a trailing /v1
  std::string model;                               // as the server names it; "" = its first
  std::string api_key;                             // sent as a Bearer token when not empty
  std::chrono::milliseconds request_timeout{std::chrono::seconds(300)};  // idle; 0 = none
  // A completion takes at most request_timeout + max_tokens × this in all; 0 = no total limit.
  double seconds_per_token = 1.0;
  int context_window = 0;  // 0 = the server's (llama-server), else 4096 when it does not say
  // Whether the server enforces response_format's JSON schema. mlx_lm.server does not: then the
  // schema is not sent, model_info says so, and the questions are validated (and asked again
  // when they do not match) by the caller.
  bool json_schema = true;
  std::string backend_name = "openai";  // what name() says: "openai", or "mlx"
  // Whether the configured model must be listed by /v1/models. mlx_lm.server serves the model it
  // was started with whatever that list says (it lists the Hugging Face cache, names a local model
  // by its resolved path, and fails without a cache folder), so the mlx backend does not insist.
  bool require_listed_model = true;
};

std::unique_ptr<Backend> make_openai_backend(OpenAiOptions options);

// `mlx_lm.server` on Apple Silicon (OpenAI protocol, no schema support) at base_url; its default
// port is 8080.
std::unique_ptr<Backend> make_mlx_backend(OpenAiOptions options);

}  // namespace g2d::llm::openai
