// `git2dataset export`: the stored samples as a JSONL dataset (dataset::export_dataset), with a
// summary of what was written and what the selection left out; `git2dataset run`: scrape, prepare
// and export in one go. The dataset goes to a file (written atomically) or as a stream — with
// `--output -` to standard output, or to a device or FIFO named by path — and then the summary goes
// to the log (stderr), never into the dataset.
// Exit codes: 0 written; 1 no database, or it cannot be read or the file written; 2 bad options;
// `run` stops after an interrupted step (130) and otherwise returns its worst step's code.
#include <filesystem>
#include <ostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "dataset/export.hpp"
#include "quality/quality.hpp"
#include "store/store.hpp"

namespace g2d::app {

namespace {

// The export's options from the config's `export:` section (flags already applied to it; the
// config checked every value).
dataset::ExportOptions export_options(const config::LoadedConfig& cfg) {
  const config::ExportConfig& e = cfg.config.export_;
  dataset::ExportOptions o;
  auto format = dataset::parse_format(e.format);
  if (!format)  // the schema's choices are the formats; this would be a bug
    throw UsageError(fmt::format("export.format: \"{}\" is not a format", e.format));
  o.format = *format;
  // From the file or the environment a relative output is relative to the config file's folder,
  // like every path it names; from --output, relative to the current directory.
  bool from_flag = cfg.origins.at("export.output").source == config::Source::flag;
  o.output = e.output == "-" || from_flag ? std::filesystem::path(e.output)
                                          : config::resolve_path(cfg, e.output);
  o.format_options.include_code = e.include_code;
  o.format_options.system_prompt = e.system_prompt;
  o.selection.repositories = e.repositories;
  o.selection.languages = e.languages;
  o.selection.paths = e.paths;
  o.selection.min_answer_chars = e.min_answer_chars;
  for (const auto& name : e.keep) {
    if (name == "all") {
      for (auto flag : quality::all_flags())
        o.selection.keep.insert(flag);
    } else if (auto flag = quality::parse_flag(name)) {
      o.selection.keep.insert(*flag);
    }
  }
  o.selection.min_grounding = e.min_grounding;
  o.selection.near_duplicate_similarity = e.near_duplicate_similarity;
  o.card = e.card;
  o.validation_fraction = e.validation_fraction;
  o.split_by = e.split_by == "file" ? dataset::SplitBy::file : dataset::SplitBy::repository;
  return o;
}

std::string summary_text(const dataset::ExportSummary& s, const dataset::ExportOptions& o) {
  std::string where = o.output == "-" ? "standard output" : printable(s.train_path.string());
  std::string text = fmt::format("export: {} sample{} to {} ({})", s.train, s.train == 1 ? "" : "s",
                                 where, dataset::to_string(o.format));
  if (!s.validation_path.empty())
    text += fmt::format(", {} to {}", s.validation, printable(s.validation_path.string()));
  if (!s.card_path.empty())
    text += fmt::format("; card {}", printable(s.card_path.string()));
  std::int64_t left_out = s.considered - s.train - s.validation;
  if (left_out > 0) {
    std::string reasons;
    for (const auto& [why, n] : s.removed)
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", n, why);
    text += fmt::format("; left out {} ({})", left_out, reasons);
  }
  return text;
}

}  // namespace

int run_export(const cli::Invocation& inv, std::ostream& out) {
  auto cfg = load_config(inv);
  auto options = export_options(cfg);
  options.repos_dir = config::resolve_path(cfg, cfg.config.pipeline.repos_dir);
  // Read-only: an export never blocks (or is blocked by) a prepare running meanwhile.
  auto store = open_existing_database(cfg, store::OpenMode::read_only);
  if (!store)
    return 1;
  auto summary = dataset::export_dataset(*store, options, out);
  if (!summary) {
    spdlog::error("export: {}", summary.error().message);
    return 1;
  }
  if (summary->streamed)  // the summary never goes into the dataset
    spdlog::info("{}", summary_text(*summary, options));
  else
    out << summary_text(*summary, options) << "\n";
  return 0;
}

int run_all(const cli::Invocation& inv, std::ostream& out) {
  constexpr int k_interrupted = 130;
  // Bad options are refused before anything runs.
  if (load_config(inv).config.export_.output == "-")
    throw UsageError(
        "run reports each step on standard output: give --output (export.output) a "
        "file, not -");
  // Held from the scrape to the end: no other prepare starts on the database meanwhile.
  auto lock = lock_database(load_config(inv), "run");
  if (!lock)
    return 1;
  int worst = run_scrape(inv, out);
  if (worst == k_interrupted)
    return worst;
  int prepared = run_prepare(inv, out);
  if (prepared == k_interrupted)
    return prepared;
  worst = std::max(worst, prepared);
  return std::max(worst, run_export(inv, out));
}

}  // namespace g2d::app
