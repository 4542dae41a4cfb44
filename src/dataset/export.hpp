// dataset/export.hpp — writes the stored live samples as a JSONL dataset: one format, a selection
// (repositories, languages, path globs, answer length, quality flags), and an optional
// validation file split off deterministically by repository (or by file), so no repository is in
// both. A sample shows where it comes from as a dataset may publish it: the file's path in its
// repository and the repository's published name (core/repository_name.hpp: a repo_url an earlier
// version stored — a local path, a URL with userinfo — is shown in this version's form, and the
// split and the selection use that form too; a question or answer of an earlier version that names
// a local repository's clone folder shows the path in the repository instead). Samples stream from
// one snapshot of the store straight to the file: memory does not grow with the sample count.
//
// Files are written as dataset/output_file.hpp says: a regular file through a temporary file
// beside it, renamed over it only when complete (fsync'd first), so a crash or an error never
// leaves a half-written dataset and an earlier one stays intact; a symlink written through to its
// target; a FIFO or character device streamed in place (then no split and no card). Output "-"
// writes to the given stream instead (no split allowed).
//
// Thread-safety: one call at a time per output path; the store may be written meanwhile (the
// export reads one snapshot).
// Errors: invalid_argument for a bad option (a split with "-" or a stream, a fraction outside
// [0, 1)); io when a file cannot be written or is of a kind never written (a directory; the
// message names it); the store's errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "dataset/formats.hpp"
#include "quality/quality.hpp"
#include "store/store.hpp"

namespace g2d::dataset {

struct Selection {
  std::vector<std::string> repositories;  // published names (repo_url), or folders; empty: all
  std::vector<std::string> languages;     // empty: all
  // Globs (git wildmatch) over the path in the repository or the stored path (the repository's
  // folder, then the path in it); empty: all.
  std::vector<std::string> paths;
  int min_answer_chars = 1;
  // Quality (quality/): a sample with a flag is left out unless the flag is kept. The flags stored
  // with it (truncated, empty, refusal, repetitive, control_chars), and three the export derives:
  // ungrounded (grounding below min_grounding), duplicate (an earlier live sample has the same
  // normalised question and answer), near_duplicate (an earlier live sample's question is at least
  // near_duplicate_similarity alike, estimated by MinHash; the store links pairs of 0.5 and up).
  std::set<quality::Flag> keep;
  double min_grounding = 0.5;
  double near_duplicate_similarity = 0.7;
};

enum class SplitBy { repository, file };

struct ExportOptions {
  Format format = Format::openai;
  FormatOptions format_options;
  Selection selection;
  double validation_fraction = 0;  // 0: no validation file
  SplitBy split_by = SplitBy::repository;
  std::filesystem::path output = "dataset.jsonl";  // "-": the stream given to export_dataset
  // The dataset card (dataset/card.hpp) beside a file output; repos_dir is where the
  // repositories are, for their licence files (empty: licences unknown).
  bool card = true;
  std::filesystem::path repos_dir;
};

struct ExportSummary {
  std::int64_t considered = 0;                  // live samples read
  std::int64_t train = 0;                       // lines written to the output
  std::int64_t validation = 0;                  // lines written to the validation file
  std::map<std::string, std::int64_t> removed;  // reason -> samples left out (a quality flag's
                                                // name, "repository", "language", "path", ...)
  std::map<std::string, std::int64_t> flagged;  // quality flag -> samples read that carry it
  // What was written (both files), counted by published repository, language, model, prompt version
  // and settings fingerprint; and the folder under repos_dir of each repository written.
  std::map<std::string, std::int64_t> repositories;
  std::map<std::string, std::int64_t> languages;
  std::map<std::string, std::int64_t> models;
  std::map<std::string, std::int64_t> prompt_versions;
  std::map<std::string, std::int64_t> settings;
  std::map<std::string, std::string> repository_folders;
  std::filesystem::path train_path;
  std::filesystem::path validation_path;  // empty without a split
  std::filesystem::path card_path;        // empty without a card
  bool streamed = false;  // written to standard output, a device or a FIFO, not to a file
};

// The quality flags of a sample under a selection's thresholds, in quality::Flag order.
std::vector<quality::Flag> flags_of(const Selection& selection, const store::SampleRecord& sample);

// The validation file beside `output`: "data/train.jsonl" -> "data/train.validation.jsonl".
std::filesystem::path validation_path_for(const std::filesystem::path& output);

// Whether a sample of `key` (a published repository or a stored file path) goes to the validation
// file: a stable hash of the key against the fraction, the same on every machine and run.
bool in_validation(std::string_view key, double fraction);

Result<ExportSummary> export_dataset(store::Store& store, const ExportOptions& options,
                                     std::ostream& stdout_stream);

}  // namespace g2d::dataset
