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

// The long name of a flag spelled "-f,--format": "--format" (what messages and `config show` name).
std::string long_name(const std::string& flag) {
  auto comma = flag.rfind(',');
  return comma == std::string::npos ? flag : flag.substr(comma + 1);
}

// Adds `--name VALUE` as a shortcut for `--set key=VALUE`. `exact`: the value is the string itself,
// never read as YAML (text keys: a prompt, a path).
void add_shortcut(CLI::App& app, Invocation& inv, const std::string& flag, const std::string& key,
                  const std::string& help, bool exact = false) {
  app.add_option_function<std::string>(
         flag,
         [&inv, origin = long_name(flag), key, exact](const std::string& value) {
           inv.overrides.push_back({key, value, origin, exact});
         },
         help + " (overrides " + key + ")")
      ->type_name("VALUE");
}

// A repeatable `--name VALUE` whose values together replace the list `key`.
void add_list_shortcut(CLI::App& app, Invocation& inv, const std::string& flag,
                       const std::string& key, const std::string& help,
                       const std::string& type_name) {
  app.add_option_function<std::vector<std::string>>(
         flag,
         [&inv, origin = long_name(flag), key](const std::vector<std::string>& items) {
           inv.overrides.push_back({key, "", origin, true, items});
         },
         help + " (repeatable; overrides " + key + ")")
      ->type_name(type_name);
}

// A `--name` flag that sets `key` to `value`.
void add_switch(CLI::App& app, Invocation& inv, const std::string& flag, const std::string& key,
                const std::string& value, const std::string& help) {
  app.add_flag_callback(
      flag,
      [&inv, flag, key, value] {
        inv.overrides.push_back({key, value, flag});
      },
      help + " (sets " + key + ": " + value + ")");
}

// export's options, on `export` and on `run`: each is a flag for a key of the config's `export:`
// section, checked (and suggested) there like any other key.
void add_export_options(CLI::App& cmd, Invocation& inv) {
  add_shortcut(cmd, inv, "-f,--format", "export.format", "alpaca, sharegpt, openai, chatml or raw",
               true);
  add_shortcut(cmd, inv, "-o,--output", "export.output",
               "the JSONL file (- for standard output; relative to the current directory)", true);
  add_switch(cmd, inv, "--no-code", "export.include_code", "false",
             "leave the code out of each sample (the question alone)");
  add_shortcut(cmd, inv, "--system-prompt", "export.system_prompt",
               "the system message of each sample (\"\" for none)", true);
  add_list_shortcut(cmd, inv, "--repo", "export.repositories",
                    "only this repository (repo_url as exported, or folder)", "REPO");
  add_list_shortcut(cmd, inv, "--language", "export.languages", "only this language", "LANG");
  add_list_shortcut(cmd, inv, "--path", "export.paths", "only file paths matching this glob",
                    "GLOB");
  add_shortcut(cmd, inv, "--min-answer-chars", "export.min_answer_chars",
               "leave out shorter answers");
  add_list_shortcut(
      cmd, inv, "--keep", "export.keep",
      "keep samples with this quality flag: truncated, empty, refusal, repetitive, "
      "control_chars, ungrounded, duplicate, near_duplicate, not_a_question, echo, names_no_code",
      "FLAG");
  // After --keep: its callback runs later, so "all" wins over a --keep given with it.
  cmd.add_flag_callback(
      "--include-flagged",
      [&inv] {
        inv.overrides.push_back({"export.keep", "", "--include-flagged", true, {"all"}});
      },
      "keep samples whatever their quality flags (sets export.keep: [all])");
  add_shortcut(cmd, inv, "--min-grounding", "export.min_grounding",
               "an answer naming fewer of its identifiers than this share of the code's is "
               "ungrounded");
  add_shortcut(cmd, inv, "--near-duplicate-similarity", "export.near_duplicate_similarity",
               "questions at least this alike (estimated Jaccard of word 3-grams) are near "
               "duplicates; the earliest is kept");
  add_switch(cmd, inv, "--no-card", "export.card", "false",
             "do not write the dataset card (README.md) beside the file");
  add_shortcut(cmd, inv, "--validation", "export.validation_fraction",
               "the fraction of repositories (or files) written to <output>.validation.jsonl");
  add_shortcut(cmd, inv, "--split-by", "export.split_by",
               "what the validation split keeps together: repository or file", true);
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
  auto* tui = app.add_subcommand(
      "tui", "the live dashboard of a running or finished prepare (q quits, p pauses)");
  auto* scrape = app.add_subcommand(
      "scrape", "clone the repositories of repos.txt that are missing, update the others");
  add_shortcut(*scrape, inv, "-j,--jobs", "pipeline.scrape_jobs", "repositories at once");
  add_shortcut(*scrape, inv, "--depth", "pipeline.clone_depth", "commits cloned, 0 = all");
  auto* prepare = app.add_subcommand(
      "prepare",
      "discover source files and generate question/answer pairs for the new and changed");
  auto* export_cmd = app.add_subcommand(
      "export", "write the stored samples as a JSONL dataset for a fine-tuning tool");
  add_export_options(*export_cmd, inv);
  auto* run = app.add_subcommand("run", "scrape, prepare and export in one go");
  add_export_options(*run, inv);
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
  } else if (tui->parsed()) {
    inv.command = Command::tui;
  } else if (export_cmd->parsed()) {
    inv.command = Command::export_dataset;
  } else if (run->parsed()) {
    inv.command = Command::run;
  }
  return inv;
}

}  // namespace g2d::cli
