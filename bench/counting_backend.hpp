// bench/counting_backend.hpp — what the server benchmarks share: a Backend that passes calls
// through and adds up the prompt tokens each one really evaluated (prompt minus those reused from a
// cache), and one prepare run of a generated corpus through a backend, reported as QA pairs per
// minute and prompt tokens evaluated per file.
//
// Thread-safety: CountingBackend as the Backend it wraps.
#pragma once

#include <atomic>
#include <cstdint>

#include <benchmark/benchmark.h>

#include "corpus.hpp"
#include "llm/backend.hpp"

namespace g2d::bench {

class CountingBackend : public llm::Backend {
 public:
  explicit CountingBackend(llm::Backend& inner) : m_inner(inner) {}
  std::string_view name() const override { return m_inner.name(); }
  Result<llm::ModelInfo> model_info() override { return m_inner.model_info(); }
  Result<int> count_tokens(std::string_view text) override { return m_inner.count_tokens(text); }
  Result<llm::GenerateResult> generate(const llm::GenerateRequest& request,
                                       std::stop_token stop) override {
    auto r = m_inner.generate(request, stop);
    if (r)
      m_evaluated += r->prompt_tokens - r->cached_prompt_tokens;
    return r;
  }
  void unload() override { m_inner.unload(); }
  Result<void> probe() override { return m_inner.probe(); }
  void end_prefix(const std::string& prefix_key) override { m_inner.end_prefix(prefix_key); }
  std::vector<llm::EndpointStatus> endpoints() const override { return m_inner.endpoints(); }
  long long evaluated() const { return m_evaluated; }

 private:
  llm::Backend& m_inner;
  std::atomic<long long> m_evaluated{0};
};

// `files` generated files of 20 lines, `in_flight` at once, `questions` each with answers of at
// most `max_tokens`, greedy; every iteration a fresh database.
inline void run_prepare_counting(benchmark::State& state, llm::Backend& backend, int files,
                                 int in_flight, int max_tokens, int questions) {
  Corpus corpus(files, 20);
  CountingBackend counting(backend);
  std::int64_t pairs = 0;
  std::int64_t done = 0;
  for (auto _ : state) {
    auto options = prepare_options(corpus, in_flight, max_tokens, questions);
    options.temperature = 0;
    auto summary = prepare_once(corpus, counting, options);
    if (!summary || summary->done != files) {
      state.SkipWithError(summary ? "not every file was done" : summary.error().describe().c_str());
      return;
    }
    pairs += summary->samples;
    done += summary->done;
  }
  state.counters["qa_per_minute"] =
      benchmark::Counter(static_cast<double>(pairs) * 60.0, benchmark::Counter::kIsRate);
  state.counters["prompt_tokens_evaluated_per_file"] =
      static_cast<double>(counting.evaluated()) / static_cast<double>(done);
}

}  // namespace g2d::bench
