// dataset/export.hpp — writes the stored live samples as a JSONL dataset: one format, a selection
// (repositories, languages, path globs, answer length, quality flags), and an optional
// validation file split off deterministically by repository (or by file), so no repository is in
// both. Samples stream from one snapshot of the store straight to the file: memory does not grow
// with the sample count.
//
// Files are written to a temporary file beside the target and renamed over it only when complete
// (fsync'd first), so a crash or an error never leaves a half-written dataset and an earlier one
// stays intact. Output "-" writes to the given stream instead (no split allowed).
//
// Thread-safety: one call at a time per output path; the store may be written meanwhile (the
// export reads one snapshot).
// Errors: invalid_argument for a bad option (a split with "-", a fraction outside [0, 1)); io
// when a file cannot be written (the message names it); the store's errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "dataset/formats.hpp"
#include "store/store.hpp"

namespace g2d::dataset {

struct Selection {
  std::vector<std::string> repositories;  // repository URLs (or folders); empty: all
  std::vector<std::string> languages;     // empty: all
  std::vector<std::string> paths;         // globs (git wildmatch) over file paths; empty: all
  int min_answer_chars = 1;
  bool include_flagged = false;  // keep samples with quality flags (truncated answers)
};

enum class SplitBy { repository, file };

struct ExportOptions {
  Format format = Format::openai;
  FormatOptions format_options;
  Selection selection;
  double validation_fraction = 0;  // 0: no validation file
  SplitBy split_by = SplitBy::repository;
  std::filesystem::path output = "dataset.jsonl";  // "-": the stream given to export_dataset
};

struct ExportSummary {
  std::int64_t considered = 0;                  // live samples read
  std::int64_t train = 0;                       // lines written to the output
  std::int64_t validation = 0;                  // lines written to the validation file
  std::map<std::string, std::int64_t> removed;  // reason -> samples left out
  std::filesystem::path train_path;
  std::filesystem::path validation_path;  // empty without a split
};

// The validation file beside `output`: "data/train.jsonl" -> "data/train.validation.jsonl".
std::filesystem::path validation_path_for(const std::filesystem::path& output);

// Whether a sample of `key` (a repository URL or a file path) goes to the validation file: a
// stable hash of the key against the fraction, the same on every machine and run.
bool in_validation(std::string_view key, double fraction);

Result<ExportSummary> export_dataset(store::Store& store, const ExportOptions& options,
                                     std::ostream& stdout_stream);

}  // namespace g2d::dataset
