// llm/openai/mlx_server.hpp — the `mlx` backend when git2dataset runs mlx_lm.server itself (no
// base_url configured): the server is started on first use with the configured model, on
// 127.0.0.1 and a free port; calls go to it through the mlx client backend (make_mlx_backend);
// unload() stops it, to give its memory back, as does `idle_stop` without a call; the next call
// starts it again, as does a call that finds it dead. Destroying the backend stops it.
//
// Starting waits until GET /v1/models answers (loading a model takes a while; a first run may
// download it), at most `start_timeout`; calls arriving meanwhile wait for the same start.
// Ownership: the backend owns the server process (sys::BackgroundProcess) and the client.
// Thread-safety: as Backend; starting is serialised, and a waiting call honours its stop token.
// Errors: not_found when the command is not on PATH (with how to install it); config when the
// server exits while starting (its last output lines are in the message); timeout when it does not
// answer within start_timeout (it is stopped); cancelled when the caller stops while it starts;
// otherwise the client backend's errors.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "llm/openai/openai_backend.hpp"

namespace g2d::llm::openai {

struct MlxServerOptions {
  std::string command = "mlx_lm.server";  // looked up on PATH, or a path
  // client.model is the model the server loads (a Hugging Face id or a local path) and the one
  // asked for; client.base_url is set to the started server's.
  OpenAiOptions client;
  std::chrono::milliseconds start_timeout{std::chrono::minutes(10)};
  // Stop the server after this long without a call (0 = keep it until unload() or the end).
  std::chrono::milliseconds idle_stop{0};
};

std::unique_ptr<Backend> make_managed_mlx_backend(MlxServerOptions options);

}  // namespace g2d::llm::openai
