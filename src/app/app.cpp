#include "app/app.hpp"

#include <iostream>
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

int run(int argc, char** argv) {
  auto parsed = cli::parse(argc, argv, std::cout, std::cerr);
  if (const int* code = std::get_if<int>(&parsed))
    return *code;
  const auto& inv = std::get<cli::Invocation>(parsed);
  sys::init_logging(inv.verbosity, inv.color && isatty(STDERR_FILENO) != 0);
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

}  // namespace g2d::app
