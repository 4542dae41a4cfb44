// The same corpus and model through the embedded engine (the reference), llama-server with 4
// slots, and Ollama with 4 parallel requests: QA pairs per minute and prompt tokens evaluated per
// file (prompt tokens minus those a server or the engine reused from its cache), 4 files in
// flight, 2 questions each, answers of at most 32 tokens, greedy. The servers are started from
// the project's own builds (setup.sh; setup.sh --with-ollama) with the tiny model, on 2 threads
// like the engine. scripts/bench.sh reports the ratios.
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "corpus.hpp"
#include "counting_backend.hpp"
#include "llama_server.hpp"
#include "llm/llama/llama_backend.hpp"
#include "llm/ollama/ollama_backend.hpp"
#include "llm/openai/openai_backend.hpp"
#include "ollama_server.hpp"
#include "sys/paths.hpp"

namespace {

using namespace g2d;
using namespace g2d::bench;

constexpr int k_files = 4;
constexpr int k_in_flight = 4;
constexpr int k_context = 2048;

void run_corpus(benchmark::State& state, llm::Backend& backend) {
  run_prepare_counting(state, backend, k_files, k_in_flight, 32, 2);
}

void BM_ServerEmbeddedEngine(benchmark::State& state) {
  llm::llama::EngineOptions eo;
  eo.model = sys::default_model_path();
  eo.context_window = k_context;
  eo.max_sequences = k_in_flight;
  auto backend = llm::llama::make_llama_backend(eo);
  run_corpus(state, *backend);
}

void BM_ServerLlamaServer(benchmark::State& state) {
  std::string why;
  // 4 slots of k_context tokens each; 2 threads, like the engine.
  auto server = test::LlamaServer::start(
      sys::default_model_path(),
      {"-np", "4", "-c", std::to_string(4 * k_context), "-t", "2", "-tb", "2"}, why);
  if (!server) {
    state.SkipWithError(why.c_str());
    return;
  }
  llm::openai::OpenAiOptions o;
  o.base_url = server->url();
  o.request_timeout = std::chrono::seconds(300);
  auto backend = llm::openai::make_openai_backend(o);
  run_corpus(state, *backend);
}

void BM_ServerOllama(benchmark::State& state) {
  std::string why;
  auto server = test::OllamaServer::start(sys::default_model_path(), "tiny", why,
                                          {{"OLLAMA_NUM_PARALLEL", "4"}});
  if (!server) {
    state.SkipWithError(why.c_str());
    return;
  }
  llm::ollama::OllamaOptions o;
  o.base_url = server->url();
  o.model = "tiny";
  o.context_window = k_context;
  o.request_timeout = std::chrono::seconds(300);
  auto backend = llm::ollama::make_ollama_backend(o);
  run_corpus(state, *backend);
}

}  // namespace

BENCHMARK(BM_ServerEmbeddedEngine)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_ServerLlamaServer)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_ServerOllama)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
