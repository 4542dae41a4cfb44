// store/store.hpp — the pipeline's durable state: which file versions are done, the samples they
// produced, which files failed, and small key/value run state for the dashboard.
//
// `Store` is abstract so the stages stay the same whether the database is one SQLite file
// (`open_sqlite`) or, for many workers, PostgreSQL. Its methods are semantic units of work, never
// SQL; each one is a single atomic transaction: after a crash (SIGKILL included) either all of it
// happened or none of it did.
//
// Semantics:
// - `commit_file` is the unit of work of one finished file version: the path's earlier samples are
//   RETIRED (kept with retired = true, never exported, counted apart) — not deleted, so a history
//   stays for audits and nothing finished is silently destroyed — the new samples are inserted, the
//   file becomes `done`, and its FailedFiles entry goes away.
// - `record_failure` never marks a file done and never touches its samples or its stored hash, so
//   the previous fully processed version (if any) stays in the dataset and the file is retried.
// - `retire_file` is for a file that was deleted from its repository.
// - Duplicates: commit_file links each new sample to an earlier live one with the same
//   duplicate_key (`duplicate_of`) and to the earlier live one whose question is most alike
//   (`near_duplicate_of`, by MinHash signature over shared band keys; at most 256 candidates are
//   compared, the earliest first). Retiring a sample re-links the samples that pointed at it, in
//   the same transaction, so a link always names a live sample and the earliest copy is the one
//   kept.
// - The last prepare run is one typed record (RunRecord, store/run_state.hpp): `write_run` writes
//   the fields it names in one transaction and leaves the others as they are (so the run's writer
//   never overwrites the pause the dashboard asks for); `read_run` reads the whole record, a
//   missing or malformed value as its default.
// - PartialWork holds the finished calls of files not yet done (`save_partials`); `commit_file` and
//   `retire_file` drop a path's partial work in the same transaction, `record_failure` keeps it.
//
// Ownership: the app owns the Store (unique_ptr) and lends it to the stages.
// Thread-safety: every method may be called from several threads at once. Visitor callbacks of
// `for_each_*` run on the calling thread over a consistent snapshot and may call back into the
// store.
// Errors: failures come back as Error values of kind `store` (the database failed or holds
// something unexpected), `invalid_argument` (a malformed record, rejected before anything is
// written) or `not_found`; visitors' own errors are returned unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/run_state.hpp"

namespace g2d::store {

enum class FileStatus { pending, done, failed, retired };
std::string_view to_string(FileStatus status);
std::optional<FileStatus> parse_file_status(std::string_view text);

// One file version the pipeline knows. Timestamps are Unix epoch milliseconds.
struct FileRecord {
  std::string file_path;  // key: repo directory name + repository-relative path
                          // ("github.com/o/r/src/a.c")
  std::string repo;
  std::string commit_sha;
  std::string file_hash;  // SHA-256 of the content, lower-case hex
  std::string language;
  FileStatus status = FileStatus::pending;
  std::string settings_fingerprint;  // model, prompts, questions per file, ...
  std::int64_t last_processed = 0;

  bool operator==(const FileRecord&) const = default;
};

// One question/answer pair with its provenance.
struct SampleRecord {
  std::int64_t id = 0;  // assigned by the store; increasing in insertion order
  std::string file_path;
  std::string question;  // non-empty
  std::string answer;    // non-empty
  std::string model_used;
  std::string repo_url;
  std::string commit_sha;
  std::string file_hash;
  int line_start = 1;  // the chunk's line range, 1-based, inclusive
  int line_end = 1;
  std::string prompt_version;
  std::string settings_fingerprint;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::string quality_flags;  // comma-separated
  std::int64_t created_at = 0;
  bool retired = false;
  // The unit the question is about, as the model saw it (secrets redacted), and its enclosing
  // scope ("namespace a > class B"). Stored once per unit (SampleUnits), shared by its samples.
  std::string code;
  std::string scope;
  std::string language;  // read back from the file's record; ignored by commit_file
  std::string repo;      // the repository's folder, read back from the file's record; ignored too

  // Quality measures the pipeline computes when it makes the sample (see quality/):
  std::optional<double> grounding;  // share of the identifiers the answer names that exist
                                    // (nullopt: not measured, samples stored before schema v4)
  std::int64_t duplicate_key = 0;   // hash of the normalised question and answer (0: none)
  // MinHash of the question as bytes (4-byte slots; empty: none) and its locality-sensitive hash
  // band keys: kept for finding near duplicates, not read back by for_each_sample.
  std::string question_signature;
  std::vector<std::int64_t> question_bands;
  // Set by the store, ignored by commit_file: the earliest LIVE earlier sample with the same
  // duplicate_key, and the earlier live sample whose question signature agrees best with this
  // one's (sharing a band key, agreeing on at least half the slots), with the share of slots that
  // agree. 0 when there is none. When such a sample is retired, these point at the next one (or 0).
  std::int64_t duplicate_of = 0;
  std::int64_t near_duplicate_of = 0;
  double near_duplicate_similarity = 0;

  bool operator==(const SampleRecord&) const = default;
};

struct FailedRecord {
  std::string file_path;
  std::string error_kind;  // e.g. to_string(ErrorKind)
  std::string error_message;
  int retry_count = 0;  // failed attempts since the failure was last cleared
  std::int64_t last_attempt = 0;

  bool operator==(const FailedRecord&) const = default;
};

// A finished call of a file version that is not done yet — the questions of one of its units, or
// one answer — kept so that a failed or interrupted file pays, on its next run, only for what is
// missing. The payload is the pipeline's (JSON); the store does not read it.
struct PartialRecord {
  std::string file_path;
  std::string file_hash;
  std::string settings_fingerprint;
  std::string unit;     // which part of the file, e.g. its line range "120-240"
  int slot = 0;         // 0: the unit's questions; n >= 1: the answer to question n
  std::string payload;  // what the call produced

  bool operator==(const PartialRecord&) const = default;
};

struct Counts {
  std::int64_t files_pending = 0;
  std::int64_t files_done = 0;
  std::int64_t files_failed = 0;
  std::int64_t files_retired = 0;
  std::int64_t live_samples = 0;     // what export writes
  std::int64_t retired_samples = 0;  // replaced or deleted files' samples
  std::int64_t failed_files = 0;     // rows of FailedFiles

  std::int64_t files_total() const {
    return files_pending + files_done + files_failed + files_retired;
  }
  bool operator==(const Counts&) const = default;
};

// Visitors return an error to stop the iteration; that error is returned by for_each_*.
using FileVisitor = std::function<Status(const FileRecord&)>;
using SampleVisitor = std::function<Status(const SampleRecord&)>;

class Store {
 public:
  virtual ~Store() = default;

  // The schema version of the open database (equal to what this build understands).
  virtual int schema_version() const = 0;

  virtual Result<std::optional<FileRecord>> get_file(std::string_view file_path) = 0;
  // Every file record, in file_path order, streamed from one snapshot.
  virtual Status for_each_file(const FileVisitor& visit) = 0;
  Result<std::vector<FileRecord>> list_files();

  // One finished file version, atomically (see the header comment). `file.status` is ignored (the
  // file becomes done); every sample's file_path must equal file.file_path (invalid_argument
  // otherwise); samples' id and retired are ignored.
  virtual Status commit_file(const FileRecord& file, const std::vector<SampleRecord>& samples) = 0;

  // Adds the path to FailedFiles (retry_count + 1, one row per path) and marks an existing file
  // record failed. Does not create a file record, change a stored hash, or touch samples.
  virtual Status record_failure(std::string_view file_path, std::string_view error_kind,
                                std::string_view error_message, std::int64_t now) = 0;

  // A file deleted from its repository: its live samples are retired, its status becomes retired,
  // and its FailedFiles entry goes away. Returns how many samples were retired (0 for an unknown
  // path, which is not an error).
  virtual Result<std::int64_t> retire_file(std::string_view file_path) = 0;

  // Keeps finished calls, all in one transaction (each inserted, or replacing the same unit and
  // slot). Work saved earlier for another version or fingerprint of the same path is dropped: it
  // can never be used again. invalid_argument (and nothing written) for a record with an empty
  // file_path or unit, or a negative slot.
  virtual Status save_partials(const std::vector<PartialRecord>& work) = 0;
  Status save_partial(const PartialRecord& work) { return save_partials({work}); }
  // The partial work on one file version under one fingerprint, in (unit, slot) order.
  virtual Result<std::vector<PartialRecord>> partials(std::string_view file_path,
                                                      std::string_view file_hash,
                                                      std::string_view settings_fingerprint) = 0;

  // FailedFiles, in file_path order.
  virtual Result<std::vector<FailedRecord>> failed_files() = 0;
  // Re-queue (`retry`): remove the FailedFiles entry and turn a failed file record back to pending.
  // clear_failure returns whether the path was in FailedFiles; clear_all_failures how many were.
  virtual Result<bool> clear_failure(std::string_view file_path) = 0;
  virtual Result<std::int64_t> clear_all_failures() = 0;

  virtual Result<std::optional<std::string>> get_state(std::string_view key) = 0;
  virtual Status set_state(std::string_view key, std::string_view value) = 0;
  virtual Result<std::map<std::string, std::string>> state() = 0;

  // The last prepare run (see the header comment).
  virtual Result<RunRecord> read_run() = 0;
  virtual Status write_run(const RunRecord& run, RunFields fields) = 0;
  Status write_run(const RunRecord& run, RunField field) {
    return write_run(run, static_cast<RunFields>(field));
  }

  virtual Result<Counts> counts() = 0;

  // Live (non-retired) samples in id order, streamed from one snapshot: memory does not grow with
  // the number of samples, and writers are not blocked while the visitor runs.
  virtual Status for_each_sample(const SampleVisitor& visit) = 0;
};

enum class OpenMode {
  read_write,  // creates the file (and its folder) if needed and applies pending migrations
  read_only,   // never writes or blocks a writer (the dashboard); the database must exist and be
               // at this build's schema version
};

// Opens (or creates) the SQLite database at `path`. Refuses, naming the file: not a SQLite or not
// git2dataset's database, a newer schema, a directory or other non-regular file, (read_write) a
// database it cannot write (a read-only file, which SQLite opens read-only silently), (read_only)
// a missing file (not_found) or one needing migrations. `path` must name a file (not ":memory:").
Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& path,
                                           OpenMode mode = OpenMode::read_write);

// Whether `error` is open_sqlite's refusal to open, read-only, a database of an older schema
// version (the next command that writes to it upgrades it; read-only callers can say so).
bool is_older_schema(const Error& error);

}  // namespace g2d::store
