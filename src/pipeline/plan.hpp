// pipeline/plan.hpp — change detection: what discovery found, compared with what the store holds,
// decides the work of a `prepare` run (and is what `prepare --dry-run` prints).
//
// A discovered file is
//   new        when the store has no record of its path (or only a retired one),
//   unchanged  when its record is done with the same content hash AND settings fingerprint —
//              such a file never reaches the LLM,
//   changed    when it is done but the hash or the fingerprint differs (`why` says which),
//   retry      when its record is pending or failed and the content is the same (an interrupted
//              or failed earlier attempt);
// a stored, not yet retired path that discovery did not take (removed, or now skipped) is
//   deleted    and its samples are to be retired — except a path discovery could not judge (in a
//              directory it could not list, or a file it could not read), which is left alone.
//
// The settings fingerprint (settings_fingerprint) is the SHA-256 of what decides the samples
// besides the code: the model, the prompts' version and the questions per file.
//
// Ownership: plain values. Thread-safety: make_plan reads the store through its thread-safe API.
// Errors: the store's, unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "discover/discover.hpp"
#include "store/store.hpp"

namespace g2d::pipeline {

enum class Change { new_file, changed, unchanged, retry, deleted };
std::string_view to_string(Change change);  // "new", "changed", ...

struct Settings {
  std::string model;           // what identifies the model ("llama_cpp:SmolLM2-...gguf")
  std::string prompt_version;  // the prompt templates' version
  int questions_per_file = 5;
};
std::string settings_fingerprint(const Settings& settings);

struct PlannedFile {
  discover::SourceFile file;
  std::string commit;  // HEAD of its repository
  Change change = Change::new_file;
  std::string why;  // for changed / retry: what differs, or the last error
};

struct DiscoveredRepo {
  discover::Repository repository;
  std::string commit;
};

struct Plan {
  std::vector<PlannedFile> files;              // in file_path order
  std::vector<std::string> deleted;            // file paths, in order
  std::vector<discover::SkippedFile> skipped;  // in file_path order
  std::array<std::int64_t, 5> changes{};       // indexed by Change
  std::map<discover::SkipReason, std::int64_t> skip_counts;

  std::int64_t count(Change c) const { return changes[static_cast<size_t>(c)]; }
};

// The stored record's verdict for one discovered file (`record` absent: never seen).
Change classify(const discover::SourceFile& file, const store::FileRecord* record,
                std::string_view fingerprint, std::string* why = nullptr);

// `store` may be null: a database that does not exist yet (everything is new).
Result<Plan> make_plan(store::Store* store, std::vector<DiscoveredRepo> repos,
                       std::string_view fingerprint);

}  // namespace g2d::pipeline
