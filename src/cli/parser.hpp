// cli/parser.hpp — the command line: global options, subcommands and their flags (CLI11).
// Parsing has no side effects beyond printing help, version or a usage error.
//
// Thread-safety: reentrant. Errors: a usage error is printed to `err` and returned as exit code 2;
// --help and --version print to `out` and return 0.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace g2d::cli {

enum class Command {
  init,
  config_show,
  config_validate,
  doctor,
  scrape,
  prepare,
  retry,
  status,
  tui,
  export_dataset,
  run,
};

struct Invocation {
  Command command = Command::doctor;
  std::optional<std::filesystem::path> config_file;    // --config
  int verbosity = 0;                                   // -q: -1, -v: 1, -vv: 2
  bool color = true;                                   // false with NO_COLOR or --no-color
  std::vector<config::Override> overrides;             // --set KEY=VALUE and shortcut flags
  std::filesystem::path init_dir = ".";                // init --dir
  std::optional<std::filesystem::path> validate_file;  // config validate [FILE]
  bool dry_run = false;                                // prepare --dry-run
  std::vector<std::string> retry_paths;                // retry [PATH...]
  bool json = false;                                   // status --json
};

std::string version_string();

// The invocation, or the exit code when parsing already finished the job.
std::variant<Invocation, int> parse(int argc, const char* const* argv, std::ostream& out,
                                    std::ostream& err);

}  // namespace g2d::cli
