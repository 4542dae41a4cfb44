// llm/backend.hpp — the one interface every LLM backend implements (llama_cpp in-process; ollama,
// openai and mlx servers), and the plain data it speaks.
//
// Contract: generate() blocks until the completion is done, failed or cancelled. Every backend is
// safe to call from several threads at once; a backend may batch concurrent calls (the embedded
// engine decodes them in one batch). Requests with the same non-empty `prefix_key` share a
// prefix (a file's calls: system prompt + code) and a backend should keep it evaluated between
// them. Failures come back as Error values with the kinds of core/error.hpp: model_missing,
// model_invalid, context_overflow, cancelled, unavailable, timeout, rejected, bad_output.
// Ownership: the app owns the backend; the pipeline borrows it.
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace g2d::llm {

enum class Role { system, user, assistant };
std::string_view to_string(Role role);

struct Message {
  Role role;
  std::string content;
};

struct GenerateRequest {
  std::vector<Message> messages;
  std::optional<nlohmann::json> json_schema;  // constrain the output to this JSON Schema
  int max_tokens = 512;
  double temperature = 0.2;
  uint32_t seed = 0;
  std::string prefix_key;  // calls sharing it share an evaluated prefix (empty: none)
};

// stop: the model ended; length: max_tokens reached; loop: stopped early because the text had
// fallen into a loop (llm/repetition.hpp) — the text then keeps one copy of the repeated block.
enum class FinishReason { stop, length, loop };

struct GenerateResult {
  std::string text;
  int prompt_tokens = 0;         // tokens of the templated prompt
  int cached_prompt_tokens = 0;  // of those, reused from an earlier evaluation
  int completion_tokens = 0;
  FinishReason finish = FinishReason::stop;
  // Speculative decoding (the embedded engine's prompt lookup): tokens drafted and verified, and
  // of those the ones kept (each one a decode step saved).
  int draft_tokens = 0;
  int accepted_draft_tokens = 0;
  std::string model;  // the model that answered, when a backend knows it (several servers)
};

// One server of a backend that drives several (llm/router.hpp), as `status` and the dashboard
// show it.
struct EndpointStatus {
  std::string name;  // the URL without credentials
  std::string model;
  std::string state;  // "up", "down" (taken out, probed again), "starting" (not heard from yet)
  std::string why;    // the error that took it out (down)
  int context = 0;    // tokens per request it takes (0: not heard from)
  int in_flight = 0;  // units (prefix keys) it holds
  int parallel = 0;
  std::int64_t calls = 0;  // finished, successful or not
  std::int64_t errors = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t cached_prompt_tokens = 0;
  std::int64_t completion_tokens = 0;

  bool operator==(const EndpointStatus&) const = default;
};

struct ModelInfo {
  std::string name;
  int context_length = 0;          // tokens one request may use (prompt + completion)
  int trained_context_length = 0;  // what the model was trained for; 0 if unknown
  bool structured_output = false;  // json_schema is enforced while decoding
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string_view name() const = 0;

  // Loads the model if needed (lazily, once) and describes it.
  virtual Result<ModelInfo> model_info() = 0;

  // Tokens `text` takes with the model's own tokenizer (or a conservative estimate).
  virtual Result<int> count_tokens(std::string_view text) = 0;

  virtual Result<GenerateResult> generate(const GenerateRequest& request, std::stop_token stop) = 0;

  // Frees the model and its context; the next call loads it again.
  virtual void unload() = 0;

  // Whether the backend can take calls now (a server: its health endpoint answers; loading counts
  // as unavailable). The default asks model_info().
  virtual Result<void> probe();

  // No more calls will carry `prefix_key` (its unit is done, or failed): what was kept for it may
  // go. The default does nothing.
  virtual void end_prefix(const std::string& prefix_key);

  // The servers behind the backend when it drives several (llm/router.hpp); else empty.
  virtual std::vector<EndpointStatus> endpoints() const;
};

}  // namespace g2d::llm
