// The prepare pipeline as a whole (discovery, change detection, generation, commit):
// - its overhead: 10,000 small files through run_prepare with an instant fake backend (no model),
//   against the reference of committing the same files' samples straight into the store — the
//   database's own floor;
// - the batching gain: QA pairs per minute on the tiny model with max_concurrent_files 1 (the
//   reference) and 4 (4 files, 2 questions each, answers of at most 32 tokens).
// scripts/bench.sh reports the ratios.
#include <array>
#include <cctype>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "corpus.hpp"
#include "llm/llama/llama_backend.hpp"
#include "sys/paths.hpp"

namespace {

namespace fs = std::filesystem;
using namespace g2d;
using namespace g2d::bench;

// The functions a prompt's code defines ("int name(" ... in the generated C files), in order.
std::vector<std::string> defined_functions(std::string_view prompt) {
  std::vector<std::string> names;
  for (size_t at = prompt.find("int "); at != std::string_view::npos;
       at = prompt.find("int ", at + 1)) {
    size_t end = at + 4;
    while (end < prompt.size() &&
           (std::isalnum(static_cast<unsigned char>(prompt[end])) != 0 || prompt[end] == '_'))
      ++end;
    if (end > at + 4 && end < prompt.size() && prompt[end] == '(')
      names.emplace_back(prompt.substr(at + 4, end - at - 4));
  }
  return names;
}

// An instant fake backend: valid questions and a short answer with no model at all, so that
// only the pipeline's own work is measured. Like a model's, each question is about one function
// of the file's code and names it, and they vary across files: question k of a file asks with one
// of 8 phrasings (the file's first function's digits pick where it starts) about its (3k+1)-th
// function — so questions of different files share phrasing but not names. (Near duplicates are
// looked for among the samples of the same code, so a file's own questions are compared.)
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
    static constexpr std::array<std::string_view, 8> k_phrasings{
        "What does {} return when its argument x is negative?",
        "Which constant does {} multiply its argument by?",
        "Can {} overflow for a large x, and what happens then?",
        "How would you call {} to get the product for x = 7?",
        "Why does {} take an int parameter instead of a long?",
        "Is {} a pure function, with no side effects?",
        "What is the result of {}(0), and why?",
        "Where could {} be inlined by the compiler?",
    };
    llm::GenerateResult r;
    if (request.json_schema) {
      auto names = defined_functions(request.messages.back().content);
      if (names.empty())
        names.emplace_back("main");
      const size_t start = std::hash<std::string>{}(names.front()) % k_phrasings.size();
      nlohmann::json q = nlohmann::json::array();
      for (size_t k = 0; k < static_cast<size_t>(k_questions); ++k) {
        const std::string& name = names[(3 * k + 1) % names.size()];
        q.push_back(fmt::format(fmt::runtime(k_phrasings[(start + k) % k_phrasings.size()]), name));
      }
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
