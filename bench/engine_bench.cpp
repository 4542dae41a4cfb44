// Embedded engine throughput: the same requests decoded one at a time (the reference) and
// decoded together by continuous batching; a file's calls with and without prefix sharing; and
// answers about a file with and without prompt-lookup drafts (on the tiny model, and on the code
// model of `scripts/setup.sh --with-quality-model` when $G2D_QUALITY_MODEL names it).
// scripts/bench.sh reports the ratios.
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
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

// An engine on `options.model` (default: the default model), loaded; null (and the benchmark
// skipped) when it cannot be.
std::unique_ptr<g2d::llm::llama::Engine> loaded_engine(benchmark::State& state,
                                                       g2d::llm::llama::EngineOptions options) {
  if (options.model.empty())
    options.model = g2d::sys::default_model_path();
  if (!std::filesystem::exists(options.model)) {
    state.SkipWithError(
        ("no model at " + options.model.string() + ": run scripts/setup.sh").c_str());
    return nullptr;
  }
  auto engine = std::make_unique<g2d::llm::llama::Engine>(options);
  if (!engine->info()) {
    state.SkipWithError("model does not load");
    return nullptr;
  }
  return engine;
}

void run(benchmark::State& state, int sequences) {
  g2d::llm::llama::EngineOptions options;
  options.context_window = 1024;
  options.max_sequences = sequences;
  auto owned = loaded_engine(state, options);
  if (!owned)
    return;
  auto& engine = *owned;
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

// One file as the pipeline treats it: its questions call, then its answer calls together, all
// starting with the same system prompt and code. The reference evaluates every prompt in full;
// the other shares the file's evaluated prefix between its calls.
constexpr int k_answers = 4;

std::string file_code(int64_t iteration) {
  std::string code = "// file " + std::to_string(iteration) + "\n";
  for (int f = 0; f < 12; ++f) {
    code += "static int step" + std::to_string(f) + "(int x) {\n  int y = x * " +
            std::to_string(f + 3) + ";\n  if (y > 100) return y - " + std::to_string(f) +
            ";\n  return y + x;\n}\n";
  }
  return code;
}

GenerateRequest file_call(const std::string& code, const std::string& task, int64_t iteration) {
  GenerateRequest r;
  r.messages = {{Role::system, "You answer questions about source code, using only the code."},
                {Role::user, "File: src/steps.c\n\n" + code + "\n" + task}};
  r.max_tokens = 8;
  r.temperature = 0;
  r.prefix_key = "src/steps.c@" + std::to_string(iteration);
  return r;
}

void run_file(benchmark::State& state, bool share) {
  g2d::llm::llama::EngineOptions options;
  options.context_window = 2048;
  options.max_sequences = k_answers;
  options.share_prefixes = share;
  auto owned = loaded_engine(state, options);
  if (!owned)
    return;
  auto& engine = *owned;
  int64_t iteration = 0;
  int64_t evaluated = 0;
  int64_t files = 0;
  for (auto _ : state) {
    std::string code = file_code(++iteration);
    auto questions = engine.submit(file_call(code, "Write questions.", iteration), {}).get();
    if (!questions) {
      state.SkipWithError("generation failed");
      return;
    }
    evaluated += questions->prompt_tokens - questions->cached_prompt_tokens;
    std::vector<std::future<g2d::Result<g2d::llm::GenerateResult>>> answers;
    for (int a = 0; a < k_answers; ++a)
      answers.push_back(engine.submit(
          file_call(code, "Answer question " + std::to_string(a) + ".", iteration), {}));
    for (auto& f : answers) {
      auto r = f.get();
      if (r)
        evaluated += r->prompt_tokens - r->cached_prompt_tokens;
    }
    ++files;
  }
  state.counters["prompt_tokens_evaluated_per_file"] =
      static_cast<double>(evaluated) / static_cast<double>(std::max<int64_t>(1, files));
}

void BM_FileWithoutPrefixSharing(benchmark::State& state) {
  run_file(state, false);
}
void BM_FileWithPrefixSharing(benchmark::State& state) {
  run_file(state, true);
}

// Answers about one file, four at a time after its prompt was evaluated (the questions call), as
// the pipeline asks them: each names a function of the code and asks for its lines explained, so
// answers quote the code. state.range(0): 0 = the tiny model,
// 1 = the code model; `draft` = EngineOptions::draft_tokens (0 = the reference).
void run_answers(benchmark::State& state, int draft) {
  g2d::llm::llama::EngineOptions options;
  if (state.range(0) == 1) {
    const char* code_model = std::getenv("G2D_QUALITY_MODEL");
    options.model = code_model != nullptr ? code_model : "";
    if (options.model.empty()) {
      state.SkipWithError("G2D_QUALITY_MODEL is not set (scripts/env.sh sets it)");
      return;
    }
  }
  options.context_window = 2048;
  options.max_sequences = k_answers;
  options.draft_tokens = draft;
  auto owned = loaded_engine(state, options);
  if (!owned)
    return;
  auto& engine = *owned;
  int64_t iteration = 0;
  int64_t generated = 0;
  int64_t drafted = 0;
  int64_t accepted = 0;
  for (auto _ : state) {
    // The file's prompt evaluated first, as its questions call does, and not timed: what is
    // measured is the answers' decoding.
    state.PauseTiming();
    std::string code = file_code(++iteration);
    auto warm = engine.submit(file_call(code, "Write questions.", iteration), {}).get();
    state.ResumeTiming();
    if (!warm) {
      state.SkipWithError("generation failed");
      return;
    }
    std::vector<std::future<g2d::Result<g2d::llm::GenerateResult>>> answers;
    for (int a = 0; a < k_answers; ++a) {
      auto r = file_call(code,
                         "Quote the code of `step" + std::to_string(a * 3 + 1) +
                             "` and explain what each of its lines does.",
                         iteration);
      r.max_tokens = 128;
      answers.push_back(engine.submit(r, {}));
    }
    for (auto& f : answers) {
      auto r = f.get();
      if (!r) {
        state.SkipWithError("generation failed");
        return;
      }
      generated += r->completion_tokens;
      drafted += r->draft_tokens;
      accepted += r->accepted_draft_tokens;
    }
  }
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(generated), benchmark::Counter::kIsRate);
  state.counters["drafted_per_token"] =
      static_cast<double>(drafted) / static_cast<double>(std::max<int64_t>(1, generated));
  state.counters["accepted_per_token"] =
      static_cast<double>(accepted) / static_cast<double>(std::max<int64_t>(1, generated));
  state.counters["acceptance"] =
      static_cast<double>(accepted) / static_cast<double>(std::max<int64_t>(1, drafted));
}

void BM_AnswersPlain(benchmark::State& state) {
  run_answers(state, 0);
}
void BM_AnswersDrafted(benchmark::State& state) {
  run_answers(state, 8);
}

BENCHMARK(BM_AnswersPlain)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();
BENCHMARK(BM_AnswersDrafted)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();

BENCHMARK(BM_FileWithoutPrefixSharing)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();
BENCHMARK(BM_FileWithPrefixSharing)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

BENCHMARK(BM_EngineOneAtATime)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();
BENCHMARK(BM_EngineBatched)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
