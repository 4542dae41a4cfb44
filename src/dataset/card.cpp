#include "dataset/card.hpp"

#include <set>
#include <sstream>
#include <unistd.h>

#include <fmt/format.h>

#include "core/text.hpp"
#include "sys/safe_read.hpp"

namespace g2d::dataset {

namespace fs = std::filesystem;

namespace {

// A Markdown table cell: '|' and line breaks would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out.empty() ? "(none)" : out;
}

// A YAML double-quoted scalar.
std::string yaml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out + "\"";
}

void count_table(std::ostringstream& md, std::string_view what,
                 const std::map<std::string, std::int64_t>& counts) {
  md << fmt::format("| {} | samples |\n|---|---:|\n", what);
  for (const auto& [name, n] : counts)
    md << fmt::format("| {} | {} |\n", cell(name), n);
  md << "\n";
}

std::string list_or_all(const std::vector<std::string>& items) {
  if (items.empty())
    return "all";
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

fs::path card_path_for(const fs::path& output) {
  fs::path readme = output.parent_path() / "README.md";
  std::error_code ec;
  if (fs::symlink_status(readme, ec).type() == fs::file_type::not_found)
    return readme;
  fs::path other = output.parent_path() / (output.stem().string() + ".README.md");
  // Only a regular file is read for the marker, opened without following a symlink or waiting on
  // a FIFO (sys's safe read): anything else there is not ours.
  auto file =
      sys::open_regular_file(output.has_parent_path() ? output.parent_path() : ".", "README.md");
  if (!file)
    return other;
  std::string head(4096, '\0');
  ssize_t n = ::pread(file->fd.get(), head.data(), head.size(), 0);
  head.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return head.find(k_card_marker) != std::string::npos ? readme : other;
}

std::string render_card(const ExportOptions& options, const ExportSummary& summary,
                        const std::map<std::string, Licence>& licences) {
  std::set<std::string> spdx;
  for (const auto& [url, n] : summary.repositories) {
    auto l = licences.find(url);
    spdx.insert(l != licences.end() && !l->second.spdx.empty() ? l->second.spdx : "other");
  }
  std::ostringstream md;
  md << "---\n";
  md << "license: " << (spdx.size() == 1 ? to_lower(*spdx.begin()) : "other") << "\n";
  md << "tags:\n- code\n- synthetic\n- git2dataset\n";
  md << "task_categories:\n- question-answering\n- text-generation\n";
  md << "configs:\n- config_name: default\n  data_files:\n";
  md << "  - split: train\n    path: " << yaml_string(summary.train_path.filename().string())
     << "\n";
  if (!summary.validation_path.empty())
    md << "  - split: validation\n    path: "
       << yaml_string(summary.validation_path.filename().string()) << "\n";
  md << "---\n" << k_card_marker << "\n\n";
  md << "# " << summary.train_path.filename().string() << "\n\n";
  md << "Technical questions about source code and their answers, written by a language model "
        "from the code alone with git2dataset. Each sample holds the question, "
     << (options.format_options.include_code ? "the code it is about, " : "")
     << "and the answer, in the `" << to_string(options.format) << "` format (JSON Lines).\n\n";

  md << "## Files\n\n| file | split | samples |\n|---|---|---:|\n";
  md << fmt::format("| {} | train | {} |\n", cell(summary.train_path.filename().string()),
                    summary.train);
  if (!summary.validation_path.empty())
    md << fmt::format(
        "| {} | validation ({} of the {}s, by a stable hash) | {} |\n",
        cell(summary.validation_path.filename().string()), options.validation_fraction,
        options.split_by == SplitBy::file ? "file" : "repositorie", summary.validation);
  md << "\n## Sources\n\n"
        "Each repository's licence is read from its licence file; check it before you "
        "publish or train on the data.\n\n"
        "| repository | licence | licence file | samples |\n|---|---|---|---:|\n";
  for (const auto& [url, n] : summary.repositories) {
    auto l = licences.find(url);
    Licence licence = l != licences.end() ? l->second : Licence{};
    md << fmt::format("| {} | {} | {} | {} |\n", cell(url),
                      licence.file.empty()   ? "unknown (no licence file)"
                      : licence.spdx.empty() ? "not recognised"
                                             : licence.spdx,
                      cell(licence.file), n);
  }
  md << "\n## Languages\n\n";
  count_table(md, "language", summary.languages);
  md << "## Generation\n\n";
  count_table(md, "model", summary.models);
  count_table(md, "prompt version", summary.prompt_versions);
  count_table(md, "settings fingerprint", summary.settings);

  const Selection& s = options.selection;
  md << "## Selection and quality\n\n";
  md << fmt::format("- repositories: {}\n- languages: {}\n- paths: {}\n",
                    list_or_all(s.repositories), list_or_all(s.languages), list_or_all(s.paths));
  md << fmt::format("- answers of at least {} characters\n", s.min_answer_chars);
  md << fmt::format(
      "- grounding: answers naming identifiers of which fewer than {} exist in "
      "their code or file are `ungrounded`\n",
      s.min_grounding);
  md << fmt::format(
      "- near duplicates: questions at least {} alike (MinHash estimate of the "
      "Jaccard similarity of word 3-grams) to an earlier one\n",
      s.near_duplicate_similarity);
  std::string kept;
  for (auto flag : s.keep)
    kept += (kept.empty() ? "" : ", ") + std::string(quality::to_string(flag));
  md << "- quality flags kept: " << (kept.empty() ? "none" : kept) << "\n\n";
  md << fmt::format("{} samples were read; {} written.\n\n", summary.considered,
                    summary.train + summary.validation);
  md << "| left out because | samples |\n|---|---:|\n";
  for (const auto& [why, n] : summary.removed)
    md << fmt::format("| {} | {} |\n", cell(why), n);
  if (summary.removed.empty())
    md << "| (nothing left out) | 0 |\n";
  md << "\n| quality flag (of the samples read) | samples |\n|---|---:|\n";
  for (auto flag : quality::all_flags()) {
    auto it = summary.flagged.find(std::string(quality::to_string(flag)));
    md << fmt::format("| {} | {} |\n", quality::to_string(flag),
                      it != summary.flagged.end() ? it->second : 0);
  }
  return md.str();
}

}  // namespace g2d::dataset
