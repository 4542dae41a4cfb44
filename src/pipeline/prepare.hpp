// pipeline/prepare.hpp — carrying out a plan: every new, changed or retried file goes through the
// LLM (generate_unit) and is committed with its samples in one transaction; every deleted file's
// samples are retired. `max_concurrent_files` files are in flight at once, so a batching backend
// always has work for all of its sequences.
//
// Secrets in a file (redact/) are replaced before its text reaches a prompt, which names the file
// by its path in its repository ("src/a.c"), never by its folder under repos_dir.
// A file is read again and its SHA-256 checked against the plan before generation: a file edited
// since discovery (another size or hash) is left for the next run, never stored with the wrong
// hash. The read is sys/safe_read.hpp's, bounded by the size discovery hashed: a file replaced by
// a fifo, a symlink or anything not a regular file since discovery fails with that reason, and
// never blocks or is read without end. A file whose
// failures reached `max_retries` runs is left alone with its reason (`git2dataset retry` re-queues
// it). A failure is recorded in FailedFiles and never marks the file done; the run goes on.
// Stopping: when `stop_taking` is requested no new file is started and the ones in flight finish;
// when `abandon` is requested the in-flight calls are cancelled and their files are not committed.
// Both are stop tokens (sys/signals.hpp gives the ones of Ctrl-C): a request wakes what waits.
// A file too large for the model's context is cut into units (pipeline/file_units.hpp); every
// finished call is kept as partial work, so a failed or interrupted file is never paid for twice.
//
// Progress goes to one observer (PrepareOptions::progress, pipeline/progress.hpp).
//
// Ownership: borrows the store, the backend, the prompts and the observer. Thread-safety: runs its
// own worker threads; the observer is called from them (see progress.hpp for which calls are
// serialised).
// Errors: the store's (a database that fails), and invalid_argument when the context window
// leaves no room for code (see code_budget); per-file problems are counted, not returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <stop_token>
#include <string>

#include "core/error.hpp"
#include "generate/prompts.hpp"
#include "llm/backend.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/progress.hpp"
#include "store/store.hpp"

namespace g2d::pipeline {

struct PrepareOptions {
  std::filesystem::path repos_dir;
  std::string model;  // SampleRecord::model_used
  // Repository folder → the name its samples publish (repo_url: git/repos_file.hpp RepoRef::name);
  // a folder not in it is named from the folder alone (core/repository_name.hpp).
  std::map<std::string, std::string> repo_urls;
  std::string settings_fingerprint;  // settings_fingerprint(...) of this run
  int questions_per_file = 5;
  generate::GenerationMode mode = generate::GenerationMode::two_step;
  int max_tokens = 4096;
  double temperature = 0.2;
  int max_retries = 3;          // per call, and the runs after which a failing file is left alone
  int max_units_per_file = 16;  // a file cut into more units fails before any model call
  std::chrono::milliseconds backoff{500};  // before a call's first retry; doubles, with jitter
  int concurrent_files = 4;
  std::stop_token stop_taking;  // graceful stop (first Ctrl-C)
  std::stop_token abandon;      // cancel in-flight work (second Ctrl-C)
  // Called by a worker before it takes its next file (only while files are left), outside any
  // lock: blocks while the machine is short of resources (memory, battery) and returns when work
  // may go on or `stopping` is requested (stop_taking, abandon, or a store that failed).
  std::function<void(std::stop_token stopping)> before_take;
  // Told of the files taken, the calls finished and the files' outcomes (pipeline/progress.hpp);
  // null: nobody is.
  ProgressObserver* progress = nullptr;
};

struct PrepareSummary {
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t skipped = 0;  // edited since discovery, or given up after max_retries
  std::int64_t retired = 0;  // deleted files
  std::int64_t samples = 0;
  bool stopped = false;  // stopped before every planned file was processed
};

Result<PrepareSummary> run_prepare(store::Store& store, llm::Backend& backend,
                                   const generate::PromptSet& prompts, const Plan& plan,
                                   const PrepareOptions& options);

}  // namespace g2d::pipeline
