// The prepare pipeline as a whole (discovery, change detection, generation, commit):
// - its overhead: 10,000 small files through run_prepare with an instant fake backend (no model),
//   against the reference of committing the same files' samples straight into the store — the
//   database's own floor;
// - the batching gain: QA pairs per minute on the tiny model with max_concurrent_files 1 (the
//   reference) and 4 (4 files, 2 questions each, answers of at most 32 tokens).
// scripts/bench.sh reports the ratios.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "corpus.hpp"
#include "llm/llama/llama_backend.hpp"
#include "sys/paths.hpp"

namespace {

namespace fs = std::filesystem;
using namespace g2d;
using namespace g2d::bench;

// An instant fake backend: valid questions and a short answer with no model at all, so that
// only the pipeline's own work is measured.
class InstantFakeBackend : public llm::Backend {
 public:
  std::string_view name() const override { return "instant-fake"; }
  Result<llm::ModelInfo> model_info() override {
    return llm::ModelInfo{"instant", 8192, 8192, true};
  }
  Result<int> count_tokens(std::string_view text) override {
    return static_cast<int>(text.size() / 4);
  }
  Result<llm::GenerateResult> generate(const llm::GenerateRequest& request,
                                       std::stop_token) override {
    llm::GenerateResult r;
    if (request.json_schema) {
      nlohmann::json q = nlohmann::json::array();
      for (int i = 0; i < k_questions; ++i)
        q.push_back("What does part " + std::to_string(i) + " of this code do?");
      r.text = nlohmann::json{{"questions", q}}.dump();
    } else {
      r.text = "It multiplies its argument by a constant and returns the product.";
    }
    r.prompt_tokens = 100;
    r.completion_tokens = 12;
    return r;
  }
  void unload() override {}
};

constexpr int k_small_files = 10'000;

// The reference: the same files' records and samples committed straight into a fresh store.
void BM_StoreCommitOnly(benchmark::State& state) {
  Corpus corpus(k_small_files);
  std::int64_t files = 0;
  for (auto _ : state) {
    auto db = store::open_sqlite(corpus.fresh_db());
    if (!db) {
      state.SkipWithError(db.error().describe().c_str());
      return;
    }
    auto plan = plan_for(corpus, **db, "bench");
    for (const auto& p : plan.files) {
      store::FileRecord r{
          p.file.file_path,        p.file.repo, p.commit, p.file.sha256, p.file.language,
          store::FileStatus::done, "bench",     1};
      std::vector<store::SampleRecord> samples(k_questions);
      for (auto& s : samples) {
        s.file_path = r.file_path;
        s.question = "What does this code do?";
        s.answer = "It multiplies its argument by a constant and returns the product.";
      }
      if (!(*db)->commit_file(r, samples)) {
        state.SkipWithError("commit failed");
        return;
      }
      ++files;
    }
  }
  state.counters["files_per_second"] =
      benchmark::Counter(static_cast<double>(files), benchmark::Counter::kIsRate);
}

void BM_PrepareInstantBackend(benchmark::State& state) {
  Corpus corpus(k_small_files);
  InstantFakeBackend backend;
  std::int64_t files = 0;
  for (auto _ : state) {
    auto summary = prepare_once(corpus, backend, prepare_options(corpus, 4, 256));
    if (!summary || summary->done != k_small_files) {
      state.SkipWithError("prepare did not finish every file");
      return;
    }
    files += summary->done;
  }
  state.counters["files_per_second"] =
      benchmark::Counter(static_cast<double>(files), benchmark::Counter::kIsRate);
}

// QA pairs per minute on the tiny model; state.range(0) = max_concurrent_files.
void BM_PrepareTinyModel(benchmark::State& state) {
  const int concurrent = static_cast<int>(state.range(0));
  fs::path model = sys::default_model_path();
  if (!fs::exists(model)) {
    state.SkipWithError("default model missing: run scripts/setup.sh");
    return;
  }
  Corpus corpus(4, 20);
  llm::llama::EngineOptions eo;
  eo.model = model;
  eo.context_window = 2048;
  eo.max_sequences = concurrent;  // as the app sets it: one sequence per file in flight
  auto backend = llm::llama::make_llama_backend(eo);
  std::int64_t pairs = 0;
  for (auto _ : state) {
    auto options = prepare_options(corpus, concurrent, 32, 2);
    options.temperature = 0;
    auto summary = prepare_once(corpus, *backend, options);
    if (!summary) {
      state.SkipWithError(summary.error().describe().c_str());
      return;
    }
    pairs += summary->samples;
  }
  state.counters["qa_per_minute"] =
      benchmark::Counter(static_cast<double>(pairs) * 60.0, benchmark::Counter::kIsRate);
}

BENCHMARK(BM_StoreCommitOnly)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PrepareInstantBackend)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PrepareTinyModel)
    ->Arg(1)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
