#include "cli/parser.hpp"

#include <cstdlib>
#include <ostream>

#include <CLI/CLI.hpp>

#ifndef G2D_VERSION
#define G2D_VERSION "0.0.0"
#endif

namespace g2d::cli {

std::string version_string() {
  return std::string("git2dataset ") + G2D_VERSION + " (llama.cpp " + G2D_LLAMA_COMMIT + ")";
}

namespace {

// Adds `--name VALUE` as a shortcut for `--set key=VALUE`.
void add_shortcut(CLI::App& app, Invocation& inv, const std::string& flag, const std::string& key,
                  const std::string& help) {
  app.add_option_function<std::string>(
         flag,
         [&inv, flag, key](const std::string& value) {
           inv.overrides.push_back({key, value, flag});
         },
         help + " (overrides " + key + ")")
      ->type_name("VALUE");
}

// export's options, on `export` and on `run`.
void add_export_options(CLI::App& cmd, ExportArgs& a) {
  cmd.add_option("-f,--format", a.format, "alpaca, sharegpt, openai, chatml or raw")
      ->capture_default_str()
      ->check(CLI::IsMember({"alpaca", "sharegpt", "openai", "chatml", "raw"}));
  cmd.add_option("-o,--output", a.output, "the JSONL file (- for standard output)")
      ->capture_default_str()
      ->type_name("PATH");
  cmd.add_flag("--no-code", a.no_code,
               "leave the code out of each sample (the question alone; by default the code it is "
               "about is in the sample)");
  cmd.add_option("--system-prompt", a.system_prompt,
                 "the system message of each sample (\"\" for none; default: a short built-in "
                 "one)")
      ->type_name("TEXT");
  cmd.add_option("--repo", a.repositories, "only this repository (URL or folder; repeatable)")
      ->type_name("REPO");
  cmd.add_option("--language", a.languages, "only this language (repeatable)")->type_name("LANG");
  cmd.add_option("--path", a.paths, "only file paths matching this glob (repeatable)")
      ->type_name("GLOB");
  cmd.add_option("--min-answer-chars", a.min_answer_chars, "leave out shorter answers")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--keep", a.keep,
                 "keep samples with this quality flag (repeatable): truncated, empty, refusal, "
                 "repetitive, ungrounded, duplicate, near_duplicate")
      ->type_name("FLAG")
      ->check(CLI::IsMember({"truncated", "empty", "refusal", "repetitive", "ungrounded",
                             "duplicate", "near_duplicate"}));
  cmd.add_flag("--include-flagged", a.include_flagged, "keep samples whatever their quality flags");
  cmd.add_option("--min-grounding", a.min_grounding,
                 "an answer naming fewer of its identifiers than this share of the code's is "
                 "ungrounded")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--near-duplicate-similarity", a.near_duplicate_similarity,
                 "questions at least this alike (estimated Jaccard of word 3-grams) are near "
                 "duplicates; the earliest is kept")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 1.0));
  cmd.add_flag("--no-card", a.no_card, "do not write the dataset card (README.md) beside the file");
  cmd.add_option("--validation", a.validation,
                 "the fraction of repositories (or files) written to <output>.validation.jsonl")
      ->check(CLI::Range(0.0, 0.99));
  cmd.add_option("--split-by", a.split_by, "what the validation split keeps together")
      ->capture_default_str()
      ->check(CLI::IsMember({"repository", "file"}));
}

}  // namespace

std::variant<Invocation, int> parse(int argc, const char* const* argv, std::ostream& out,
                                    std::ostream& err) {
  Invocation inv;
  const char* no_color = std::getenv("NO_COLOR");
  inv.color = no_color == nullptr || *no_color == '\0';

  CLI::App app{"git2dataset — turn Git repositories into fine-tuning datasets with a local LLM",
               "git2dataset"};
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too (inherited)
  app.set_version_flag("--version", version_string());
  app.add_option("--config", inv.config_file,
                 "configuration file (default: ./git2dataset.yaml when it exists)")
      ->type_name("PATH");
  int verbose = 0;
  app.add_flag("-v,--verbose", verbose, "more output (-vv: also llama.cpp's own log)");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "only warnings and errors");
  bool force_no_color = false;
  app.add_flag("--no-color", force_no_color, "no colours (also: NO_COLOR=1)");
  std::vector<std::string> sets;
  app.add_option("--set", sets, "override a config key, e.g. --set llm.context_window=8192")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  add_shortcut(app, inv, "--backend", "llm.backend", "LLM backend");
  add_shortcut(app, inv, "--model", "llm.model", "model (GGUF path or server model name)");
  add_shortcut(app, inv, "--database", "pipeline.database", "database path");

  auto* init =
      app.add_subcommand("init", "write a commented git2dataset.yaml and an example repos.txt");
  init->add_option("--dir", inv.init_dir, "where to write them (default: current directory)")
      ->type_name("DIR");
  auto* config = app.add_subcommand("config", "show or validate the configuration");
  config->require_subcommand(1);
  auto* show = config->add_subcommand(
      "show", "print the effective configuration and where each value came from");
  auto* validate =
      config->add_subcommand("validate", "check a configuration file and report every error");
  validate->add_option("file", inv.validate_file, "file to check (default: the --config file)")
      ->type_name("FILE");
  auto* doctor = app.add_subcommand(
      "doctor", "check the model, the backend, the database, disk space and git");
  auto* retry = app.add_subcommand(
      "retry", "re-queue failed files for the next prepare: all of them, or the paths given");
  retry->add_option("paths", inv.retry_paths, "file paths as prepare shows them")
      ->type_name("PATH");
  auto* status = app.add_subcommand(
      "status", "files by state, samples, the last run's progress, skip reasons and failures");
  status->add_flag("--json", inv.json, "one JSON object, for scripts");
  auto* scrape = app.add_subcommand(
      "scrape", "clone the repositories of repos.txt that are missing, update the others");
  add_shortcut(*scrape, inv, "-j,--jobs", "pipeline.scrape_jobs", "repositories at once");
  add_shortcut(*scrape, inv, "--depth", "pipeline.clone_depth", "commits cloned, 0 = all");
  auto* prepare = app.add_subcommand(
      "prepare",
      "discover source files and generate question/answer pairs for the new and changed");
  auto* export_cmd = app.add_subcommand(
      "export", "write the stored samples as a JSONL dataset for a fine-tuning tool");
  add_export_options(*export_cmd, inv.export_args);
  auto* run = app.add_subcommand("run", "scrape, prepare and export in one go");
  add_export_options(*run, inv.export_args);
  prepare->add_flag("--dry-run", inv.dry_run,
                    "list each file as new / changed / unchanged / deleted / skipped (with the "
                    "reason) and the totals, without calling the LLM");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    out << version_string() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "git2dataset: " << e.what() << "\n";
    err << "Run with --help for usage.\n";
    return 2;
  }

  for (const auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "git2dataset: --set expects KEY=VALUE, got \"" << s << "\"\n";
      return 2;
    }
    inv.overrides.push_back({s.substr(0, eq), s.substr(eq + 1), "--set " + s.substr(0, eq)});
  }
  inv.verbosity = quiet ? -1 : verbose;
  if (force_no_color)
    inv.color = false;

  if (init->parsed()) {
    inv.command = Command::init;
  } else if (show->parsed()) {
    inv.command = Command::config_show;
  } else if (validate->parsed()) {
    inv.command = Command::config_validate;
  } else if (doctor->parsed()) {
    inv.command = Command::doctor;
  } else if (scrape->parsed()) {
    inv.command = Command::scrape;
  } else if (prepare->parsed()) {
    inv.command = Command::prepare;
  } else if (retry->parsed()) {
    inv.command = Command::retry;
  } else if (status->parsed()) {
    inv.command = Command::status;
  } else if (export_cmd->parsed()) {
    inv.command = Command::export_dataset;
  } else if (run->parsed()) {
    inv.command = Command::run;
  }
  return inv;
}

}  // namespace g2d::cli
