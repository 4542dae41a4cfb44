// llm/llama/model.hpp — loading a GGUF model and turning chat messages into tokens with the
// model's own template and tokenizer. Internal to the llama_cpp backend.
//
// Ownership: LoadedModel owns the llama_model (freed on destruction).
// Thread-safety: the functions take the model read-only; the engine calls them from its worker.
// Errors: model_missing (no file), model_invalid (not GGUF, or libllama refuses it).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <llama-cpp.h>

#include "core/error.hpp"
#include "llm/backend.hpp"

namespace g2d::llm::llama {

// Initialises libllama once per process and routes its log to spdlog (debug level).
void ensure_runtime();

struct LoadedModel {
  llama_model_ptr model;
  const llama_vocab* vocab = nullptr;
  std::string name;
  std::string chat_template;  // the model's own; "chatml" when it has none we can apply
  int trained_context = 0;
};

Result<LoadedModel> load_model(const std::filesystem::path& path, int gpu_layers);

// Tokens of plain text: special-token strings inside it are NOT interpreted (so code that
// contains "<|im_end|>" cannot end a message early).
Result<std::vector<llama_token>> tokenize_text(const llama_vocab* vocab, std::string_view text);

// The templated prompt (ending with the assistant turn's opening) as tokens. The template's own
// markup is tokenized with special tokens enabled, each message's content with them disabled.
Result<std::vector<llama_token>> tokenize_chat(const LoadedModel& model,
                                               const std::vector<Message>& messages);

// The text of one generated token (UTF-8 bytes; a multi-byte character may span tokens).
std::string token_piece(const llama_vocab* vocab, llama_token token);

}  // namespace g2d::llm::llama
