// Embedded engine throughput: the same requests decoded one at a time (the reference) and
// decoded together by continuous batching. scripts/bench.sh reports the ratio.
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "llm/llama/engine.hpp"
#include "sys/paths.hpp"

namespace {

using g2d::llm::GenerateRequest;
using g2d::llm::Role;

constexpr int k_requests = 4;
constexpr int k_tokens = 48;

GenerateRequest request(int i) {
  GenerateRequest r;
  r.messages = {{Role::system, "You explain C code briefly."},
                {Role::user, "Explain what `for (int i = 0; i < " + std::to_string(10 + i) +
                                 "; ++i) sum += i;` computes."}};
  r.max_tokens = k_tokens;
  r.temperature = 0;
  return r;
}

void run(benchmark::State& state, int sequences) {
  auto model = g2d::sys::default_model_path();
  if (!std::filesystem::exists(model)) {
    state.SkipWithError("default model missing: run scripts/setup.sh");
    return;
  }
  g2d::llm::llama::EngineOptions options;
  options.model = model;
  options.context_window = 1024;
  options.max_sequences = sequences;
  g2d::llm::llama::Engine engine(options);
  if (!engine.info()) {
    state.SkipWithError("model does not load");
    return;
  }
  int64_t tokens = 0;
  for (auto _ : state) {
    if (sequences == 1) {
      for (int i = 0; i < k_requests; ++i) {
        auto result = engine.submit(request(i), {}).get();
        if (result)
          tokens += result->completion_tokens;
      }
    } else {
      std::vector<std::future<g2d::Result<g2d::llm::GenerateResult>>> futures;
      for (int i = 0; i < k_requests; ++i)
        futures.push_back(engine.submit(request(i), {}));
      for (auto& f : futures) {
        auto result = f.get();
        if (result)
          tokens += result->completion_tokens;
      }
    }
  }
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_EngineOneAtATime(benchmark::State& state) {
  run(state, 1);
}
void BM_EngineBatched(benchmark::State& state) {
  run(state, k_requests);
}

BENCHMARK(BM_EngineOneAtATime)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();
BENCHMARK(BM_EngineBatched)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
