#include "app/app.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "cli/parser.hpp"
#include "core/error.hpp"
#include "sys/logging.hpp"

namespace g2d::app {

namespace {

int dispatch(const cli::Invocation& inv) {
  switch (inv.command) {
    case cli::Command::init:
      return run_init(inv, std::cout);
    case cli::Command::config_show:
      return run_config_show(inv, std::cout);
    case cli::Command::config_validate:
      return run_config_validate(inv, std::cout);
    case cli::Command::doctor:
      return run_doctor(inv, std::cout);
    case cli::Command::scrape:
      return run_scrape(inv, std::cout);
    case cli::Command::prepare:
      return run_prepare(inv, std::cout);
    case cli::Command::retry:
      return run_retry(inv, std::cout);
    case cli::Command::status:
      return run_status(inv, std::cout);
    case cli::Command::tui:
      return run_tui(inv, std::cout);
    case cli::Command::export_dataset:
      return run_export(inv, std::cout);
    case cli::Command::run:
      return run_all(inv, std::cout);
  }
  return 2;
}

}  // namespace

namespace {

int run_command(int argc, char** argv, bool& logging) {
  auto parsed = cli::parse(argc, argv, std::cout, std::cerr);
  if (const int* code = std::get_if<int>(&parsed))
    return *code;
  const auto& inv = std::get<cli::Invocation>(parsed);
  sys::init_logging(inv.verbosity, inv.color && isatty(STDERR_FILENO) != 0);
  logging = true;
  try {
    return dispatch(inv);
  } catch (const UsageError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const Fatal& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("unexpected error: {}", e.what());
    return 1;
  }
}

// Flushes standard output (std::cout and the C stream under it): an empty string when all of it
// was written, else why not.
std::string flush_standard_output() {
  errno = 0;
  std::cout.flush();
  int err = errno;
  bool failed = !std::cout;
  if (std::fflush(stdout) != 0) {
    failed = true;
    err = errno;
  }
  if (!failed && std::ferror(stdout) == 0)
    return "";
  return err != 0 ? std::strerror(err) : "a write failed";
}

}  // namespace

int run(int argc, char** argv) {
  bool logging = false;
  int code = run_command(argc, argv, logging);
  // Every command's output is checked once, here: a full disk under standard output is an error,
  // never a silent success.
  if (std::string why = flush_standard_output(); !why.empty()) {
    if (logging)
      spdlog::error("cannot write standard output: {}", why);
    else
      std::fprintf(stderr, "error: cannot write standard output: %s\n", why.c_str());
    return code != 0 ? code : 1;
  }
  return code;
}

}  // namespace g2d::app
