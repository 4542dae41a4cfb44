// dataset/card.hpp — the dataset card: a README.md beside an exported dataset (the file Hugging
// Face shows for a dataset repository), saying what is in it and where it came from — the files
// and their sample counts, each repository with its licence, languages, models, prompt versions
// and settings, the selection and quality thresholds applied, and what each filter removed.
//
// Thread-safety: pure (render_card); write_card writes one file.
// Errors: write_card returns io naming the file it could not write.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "core/error.hpp"
#include "dataset/export.hpp"
#include "dataset/licence.hpp"

namespace g2d::dataset {

// Marks a card git2dataset wrote: only such a README.md is ever replaced.
inline constexpr std::string_view k_card_marker = "<!-- dataset card written by git2dataset -->";

// The card's Markdown, with a YAML header Hugging Face reads (licence, data files, tags).
// `licences` maps a repository URL to its licence (detect_licence), when known.
std::string render_card(const ExportOptions& options, const ExportSummary& summary,
                        const std::map<std::string, Licence>& licences);

// Where the card goes: README.md beside the output, unless a README.md that git2dataset did not
// write is there (or something other than a regular file: a symlink, a FIFO, ...) — then
// "<output stem>.README.md", so a user's own file is never replaced. Either is written as
// dataset/output_file.hpp says.
std::filesystem::path card_path_for(const std::filesystem::path& output);

}  // namespace g2d::dataset
