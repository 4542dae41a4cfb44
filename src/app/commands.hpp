// app/commands.hpp — one function per subcommand. Each returns the process exit code and writes
// its report to `out` (stdout); diagnostics go through spdlog (stderr and the log file).
#pragma once

#include <iosfwd>

#include "cli/parser.hpp"

namespace g2d::app {

int run_init(const cli::Invocation& inv, std::ostream& out);
int run_config_show(const cli::Invocation& inv, std::ostream& out);
int run_config_validate(const cli::Invocation& inv, std::ostream& out);
int run_doctor(const cli::Invocation& inv, std::ostream& out);
int run_scrape(const cli::Invocation& inv, std::ostream& out);
int run_prepare(const cli::Invocation& inv, std::ostream& out);
int run_retry(const cli::Invocation& inv, std::ostream& out);
int run_status(const cli::Invocation& inv, std::ostream& out);
int run_tui(const cli::Invocation& inv, std::ostream& out);
int run_export(const cli::Invocation& inv, std::ostream& out);
int run_all(const cli::Invocation& inv, std::ostream& out);  // `run`: scrape, prepare, export

}  // namespace g2d::app
