// Export throughput and memory: N generated samples (5 per file, 2 units per file, about 400
// bytes of text each plus the code) in a fresh database, written as OpenAI-format JSONL with the
// code in each sample — against the reference of reading the same samples from the store and
// writing nothing (the store's own floor). state.range(0) = the sample count; the peak RSS growth
// over the run is reported so that 100,000 and 1,000,000 samples can be compared (it must not
// grow with the count). scripts/bench.sh reports the ratios.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "dataset/export.hpp"
#include "dataset/formats.hpp"
#include "store/store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace g2d;

// The resident set now, in MiB (from /proc/self/statm).
double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

// A database of `samples` samples under a temporary folder, made once per sample count.
class SampleDb {
 public:
  explicit SampleDb(std::int64_t samples) {
    m_dir = fs::temp_directory_path() /
            ("g2d-export-bench-" + std::to_string(::getpid()) + "-" + std::to_string(samples));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
    auto db = store::open_sqlite(m_dir / "g2d.db");
    if (!db)
      return;
    const std::string answer(300, 'a');
    for (std::int64_t done = 0, file = 0; done < samples; ++file) {
      store::FileRecord f;
      f.file_path =
          "bench.example/r" + std::to_string(file % 500) + "/f" + std::to_string(file) + ".c";
      f.repo = "bench.example/r" + std::to_string(file % 500);
      f.commit_sha = "c0ffee";
      f.file_hash = "h" + std::to_string(file);
      f.language = "c";
      f.settings_fingerprint = "fp";
      std::vector<store::SampleRecord> rows;
      for (int i = 0; i < 5 && done < samples; ++i, ++done) {
        store::SampleRecord s;
        s.file_path = f.file_path;
        s.question = "What does function " + std::to_string(i) + " of " + f.file_path + " do?";
        s.answer = answer;
        s.repo_url = "https://" + f.repo;
        s.line_start = i < 3 ? 1 : 21;
        s.line_end = i < 3 ? 20 : 40;
        s.code = std::string(800, i < 3 ? 'x' : 'y') + "\n";
        rows.push_back(std::move(s));
      }
      if (!(*db)->commit_file(f, rows))
        return;
    }
    m_ok = true;
  }
  ~SampleDb() { fs::remove_all(m_dir); }
  SampleDb(const SampleDb&) = delete;
  SampleDb& operator=(const SampleDb&) = delete;

  bool ok() const { return m_ok; }
  fs::path db() const { return m_dir / "g2d.db"; }
  fs::path out() const { return m_dir / "out.jsonl"; }

 private:
  fs::path m_dir;
  bool m_ok = false;
};

void report(benchmark::State& state, std::int64_t samples, double rss_before) {
  state.counters["samples_per_second"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["rss_growth_mib"] = rss_mib() - rss_before;
}

void BM_ReadSamplesOnly(benchmark::State& state) {
  SampleDb data(state.range(0));
  auto db = store::open_sqlite(data.db(), store::OpenMode::read_only);
  if (!data.ok() || !db) {
    state.SkipWithError("cannot build the sample database");
    return;
  }
  double before = rss_mib();
  std::int64_t samples = 0;
  for (auto _ : state) {
    auto st = (*db)->for_each_sample([&](const store::SampleRecord& s) -> Status {
      benchmark::DoNotOptimize(s.answer.data());
      ++samples;
      return {};
    });
    if (!st)
      state.SkipWithError(st.error().describe().c_str());
  }
  report(state, samples, before);
}

void BM_Export(benchmark::State& state) {
  SampleDb data(state.range(0));
  auto db = store::open_sqlite(data.db(), store::OpenMode::read_only);
  if (!data.ok() || !db) {
    state.SkipWithError("cannot build the sample database");
    return;
  }
  dataset::ExportOptions o;
  o.format = dataset::Format::openai;
  o.format_options.system_prompt = "You are an expert software engineer.";
  o.output = data.out();
  double before = rss_mib();
  std::int64_t samples = 0;
  std::ostringstream unused;
  for (auto _ : state) {
    auto summary = dataset::export_dataset(**db, o, unused);
    if (!summary) {
      state.SkipWithError(summary.error().describe().c_str());
      return;
    }
    samples += summary->train;
  }
  report(state, samples, before);
}

// One line of the bench's typical sample, formatted into a reused buffer: the export's own CPU
// cost per sample, without the store or the file.
void BM_FormatLine(benchmark::State& state) {
  const std::string answer(300, 'a');
  const std::string code = std::string(800, 'x') + "\n";
  dataset::ExportSample s;  // a view: the strings above outlive it
  s.question = "What does function 3 of bench.example/r7/f1207.c do?";
  s.answer = answer;
  s.code = code;
  s.file_path = "bench.example/r7/f1207.c";
  s.language = "c";
  s.line_start = 1;
  s.line_end = 20;
  dataset::FormatOptions o;
  o.system_prompt = "You are an expert software engineer.";
  std::string line;
  for (auto _ : state) {
    line.clear();
    dataset::append_line(line, dataset::Format::openai, s, o);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
}

}  // namespace

BENCHMARK(BM_FormatLine);
BENCHMARK(BM_ReadSamplesOnly)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_Export)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

BENCHMARK_MAIN();
