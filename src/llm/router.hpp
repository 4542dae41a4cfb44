// llm/router.hpp — one Backend over several servers (llm.base_urls): every server a backend of its
// own (openai, ollama or mlx), and each unit's calls (one prefix_key) kept on one server, so that
// server keeps the unit's prompt evaluated (on llama-server the openai backend pins it to a slot).
//
// Routing: a new prefix_key goes to the server that is up and has room (fewer keys held than its
// `parallel`) with the fewest keys held per parallel × weight; when none has room the call waits
// for one (a key is held from its first call until end_prefix, or — for a caller that never ends
// its keys — until a new key needs the room and the key has no call in flight). Token counts go
// to the first server that is up.
//
// Health: a call that fails as unavailable or timeout (refused, reset, stalled) is sent again at
// once to another server while one is up, and its unit moves there (the unit's finished calls are
// the caller's and are kept), so a failing or dying server costs its units one call each, never a
// failure. The server is asked at once whether it is alive (Backend::probe) and is taken out when
// it is not, or after `max_failures` such failures in a row. A server that is out is probed again
// with backoff (probe_first, doubling to probe_max; a server taken out again soon after it came
// back keeps its backoff growing) and taken back when it answers and serves the run's model (as its
// backend says: the server backends keep what they discovered first, so a server restarted with
// another model or fewer slots is not noticed).
// With no other server up, the error goes back to the caller (its retries come back here), and a
// call fails as unavailable when no server is up at all.
//
// Models: model_info() asks every server at once. Servers serving different models are refused
// (naming them) unless allow_mixed_models; either way each call's result names the model that
// answered (GenerateResult::model). The context is the smallest of the servers'. Servers that do
// not answer at the start are out (probed as above); model_info() fails only when none answers.
//
// Ownership: the router owns the servers' backends and one probing thread. Thread-safety: as
// Backend. Errors: the servers' own; unavailable naming each server when none is up; rejected for
// mixed models.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "llm/backend.hpp"

namespace g2d::llm {

struct RoutedServer {
  std::string name;  // as shown: the URL without credentials
  std::unique_ptr<Backend> backend;
  int parallel = 1;  // keys (units in flight) it takes at once, >= 1
  int weight = 1;    // >= 1
};

struct RouterOptions {
  bool allow_mixed_models = false;
  int max_failures = 3;  // unavailable/timeout failures in a row that take a live server out
  std::chrono::milliseconds probe_first{1000};
  std::chrono::milliseconds probe_max{30000};
};

std::unique_ptr<Backend> make_router(std::vector<RoutedServer> servers, RouterOptions options = {});

}  // namespace g2d::llm
