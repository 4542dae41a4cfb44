// Discovery + hashing over a generated repository of 100,000 files (about 1 GB), against the
// reference `git ls-files -z | xargs -0 sha256sum` over the same tree, in the same run.
// scripts/bench.sh reports the ratio.
//
// The tree is generated once (deterministically) into G2D_BENCH_TREE, or
// ~/.cache/git2dataset/bench/tree-100k, committed with git, and reused by later runs. Both
// benchmarks read from the page cache (the first iteration of each warms it).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <sys/resource.h>
#include <vector>

#include <benchmark/benchmark.h>

#include "discover/discover.hpp"
#include "sys/paths.hpp"
#include "sys/process.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int k_dirs = 1000;
constexpr int k_files_per_dir = 100;
constexpr std::uint64_t k_mean_size = 10'000;
const char* const k_extensions[] = {".c", ".py", ".js", ".go", ".rs", ".java", ".ts", ".cpp"};

fs::path tree_root() {
  if (const char* p = std::getenv("G2D_BENCH_TREE"); p != nullptr && *p != '\0')
    return p;
  return g2d::sys::cache_dir() / "bench" / "tree-100k";
}

fs::path repos_dir() {
  return tree_root() / "repos";
}
const std::string k_repo = "bench.example/gen/tree";

bool git(const std::vector<std::string>& args, const fs::path& cwd) {
  std::vector<std::string> argv{
      "git", "-C", cwd.string(), "-c", "user.name=bench", "-c", "user.email=b@example.com"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = g2d::sys::run_process(argv);
  return r && r->exit_code == 0;
}

// Code-like ASCII lines, deterministic per file.
std::string content(std::mt19937_64& rng, std::uint64_t size) {
  static const char* const words[] = {"int",   "return", "value", "for",    "if",    "else",
                                      "count", "buffer", "size",  "struct", "const", "while",
                                      "(",     ")",      "{",     "}",      ";",     "=",
                                      "+",     "index",  "node",  "next",   "0",     "1"};
  std::string out;
  out.reserve(size + 16);
  while (out.size() < size) {
    int n = 4 + static_cast<int>(rng() % 10);
    out += "    ";
    for (int i = 0; i < n; ++i) {
      out += words[rng() % std::size(words)];
      out += ' ';
    }
    out += '\n';
  }
  out.resize(size);
  out.back() = '\n';
  return out;
}

bool ensure_tree() {
  fs::path root = repos_dir() / k_repo;
  fs::path marker = tree_root() / "complete";
  if (fs::exists(marker))
    return true;
  fs::remove_all(tree_root());
  fs::create_directories(root);
  std::mt19937_64 rng(42);
  for (int d = 0; d < k_dirs; ++d) {
    fs::path dir = root / ("pkg" + std::to_string(d / 50)) / ("mod" + std::to_string(d));
    fs::create_directories(dir);
    for (int f = 0; f < k_files_per_dir; ++f) {
      // Sizes from 1 KB to about 19 KB, mean about 10 KB.
      std::uint64_t size = 1000 + rng() % (2 * (k_mean_size - 1000));
      std::ofstream(dir / ("file" + std::to_string(f) + k_extensions[(d + f) % 8]),
                    std::ios::binary)
          << content(rng, size);
    }
  }
  std::ofstream(root / ".gitignore") << "*.o\n/build/\n";
  if (!git({"init", "-q"}, root) || !git({"add", "-A"}, root) ||
      !git({"commit", "-qm", "generated"}, root))
    return false;
  std::ofstream(marker) << "ok\n";
  return true;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void BM_ReferenceGitLsFilesSha256sum(benchmark::State& state) {
  if (!ensure_tree()) {
    state.SkipWithError("could not generate the tree (git failed?)");
    return;
  }
  // The reference is a shell pipeline by definition; it is not product code.
  std::vector<std::string> argv{"sh", "-c",
                                "cd \"$1\" && git ls-files -z | xargs -0 sha256sum > /dev/null",
                                "sh", (repos_dir() / k_repo).string()};
  for (auto _ : state) {
    auto r = g2d::sys::run_process(argv, 64);
    if (!r || r->exit_code != 0) {
      state.SkipWithError("the reference pipeline failed");
      return;
    }
  }
  state.counters["files"] = k_dirs * k_files_per_dir;
}

void BM_Discover(benchmark::State& state) {
  if (!ensure_tree()) {
    state.SkipWithError("could not generate the tree (git failed?)");
    return;
  }
  g2d::discover::Options options;
  options.allowed_extensions.assign(std::begin(k_extensions), std::end(k_extensions));
  options.ignore_patterns = {"*.test.*", "*.spec.*", "node_modules/", "target/", "build/"};
  options.max_file_bytes = 1'000'000;
  std::uint64_t bytes = 0;
  size_t files = 0;
  for (auto _ : state) {
    auto repos = g2d::discover::find_repositories(repos_dir());
    if (!repos || repos->size() != 1) {
      state.SkipWithError("repository not found");
      return;
    }
    auto repo = g2d::discover::discover_repository(repos_dir(), repos->front(), options);
    files = repo.files.size();
    bytes = 0;
    for (const auto& f : repo.files)
      bytes += f.size;
    benchmark::DoNotOptimize(repo);
  }
  state.counters["files"] = static_cast<double>(files);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["peak_rss_mib"] = static_cast<double>(peak_rss_kib()) / 1024.0;
}

BENCHMARK(BM_ReferenceGitLsFilesSha256sum)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Discover)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
