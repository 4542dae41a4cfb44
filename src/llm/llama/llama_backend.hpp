// llm/llama/llama_backend.hpp — the `llama_cpp` backend: the embedded engine behind the Backend
// interface. The default backend: no server, the model runs in this process.
//
// Ownership: the returned Backend owns its Engine (worker thread, model, context).
// Thread-safety: as Backend — concurrent generate() calls are decoded together in one batch.
// Errors: see engine.hpp.
#pragma once

#include <memory>

#include "llm/backend.hpp"
#include "llm/llama/engine.hpp"

namespace g2d::llm::llama {

std::unique_ptr<Backend> make_llama_backend(EngineOptions options);

}  // namespace g2d::llm::llama
