// bench/corpus.hpp — what the pipeline benchmarks share: a generated corpus of small C files in a
// temporary repository folder, and one prepare run over it from a fresh database.
//
// Ownership: a Corpus owns its temporary folder and removes it on destruction.
// Thread-safety: none needed (benchmarks run one at a time).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "discover/discover.hpp"
#include "generate/prompts.hpp"
#include "llm/backend.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/prepare.hpp"
#include "store/store.hpp"

namespace g2d::bench {

namespace fs = std::filesystem;

constexpr int k_questions = 5;
inline const std::string k_repo = "bench.example/gen/small";

// A temporary corpus of `files` small C files (about 300 bytes each) in 100 directories.
class Corpus {
 public:
  explicit Corpus(int files, int lines_per_file = 12) {
    m_root = fs::temp_directory_path() /
             ("g2d-pipeline-bench-" + std::to_string(::getpid()) + "-" + std::to_string(files));
    fs::remove_all(m_root);
    for (int i = 0; i < files; ++i) {
      fs::path dir = m_root / "repos" / k_repo / ("d" + std::to_string(i % 100));
      fs::create_directories(dir);
      std::string code;
      for (int l = 0; l < lines_per_file; ++l)
        code += "int f" + std::to_string(i) + "_" + std::to_string(l) + "(int x) { return x * " +
                std::to_string(l + 1) + "; }\n";
      std::FILE* f = std::fopen((dir / ("f" + std::to_string(i) + ".c")).c_str(), "wb");
      std::fwrite(code.data(), 1, code.size(), f);
      std::fclose(f);
    }
  }
  ~Corpus() { fs::remove_all(m_root); }
  Corpus(const Corpus&) = delete;
  Corpus& operator=(const Corpus&) = delete;

  fs::path repos_dir() const { return m_root / "repos"; }
  fs::path fresh_db() const {
    fs::path db = m_root / "bench.db";
    for (const char* suffix : {"", "-wal", "-shm"})
      fs::remove(db.string() + suffix);
    return db;
  }

 private:
  fs::path m_root;
};

inline discover::Options discover_options() {
  discover::Options o;
  o.allowed_extensions = {".c"};
  return o;
}

inline pipeline::Plan plan_for(const Corpus& corpus, store::Store& db,
                               const std::string& fingerprint) {
  pipeline::DiscoveredRepo repo;
  repo.repository = discover::discover_repository(corpus.repos_dir(), k_repo, discover_options());
  repo.commit = "bench";
  auto plan = pipeline::make_plan(&db, {repo}, fingerprint);
  return plan ? *plan : pipeline::Plan{};
}

inline pipeline::PrepareOptions prepare_options(const Corpus& corpus, int concurrent,
                                                int max_tokens, int questions = k_questions) {
  pipeline::PrepareOptions o;
  o.repos_dir = corpus.repos_dir();
  o.model = "bench";
  o.settings_fingerprint = "bench";
  o.questions_per_file = questions;
  o.max_tokens = max_tokens;
  o.concurrent_files = concurrent;
  return o;
}

// One prepare run over the corpus from a fresh database; its summary, or an error text.
inline Result<pipeline::PrepareSummary> prepare_once(const Corpus& corpus, llm::Backend& backend,
                                                     const pipeline::PrepareOptions& options) {
  auto db = store::open_sqlite(corpus.fresh_db());
  if (!db)
    return tl::unexpected(db.error());
  auto plan = plan_for(corpus, **db, "bench");
  return pipeline::run_prepare(**db, backend, generate::builtin_prompts(), plan, options);
}

}  // namespace g2d::bench
