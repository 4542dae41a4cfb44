#include "sys/logging.hpp"

#include <cstdio>
#include <memory>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace g2d::sys {

namespace {
spdlog::level::level_enum level_for(int verbosity) {
  if (verbosity < 0)
    return spdlog::level::warn;
  if (verbosity == 0)
    return spdlog::level::info;
  if (verbosity == 1)
    return spdlog::level::debug;
  return spdlog::level::trace;
}
}  // namespace

void init_logging(int verbosity, bool color) {
  std::shared_ptr<spdlog::sinks::sink> console;
  if (color) {
    console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  console->set_level(level_for(verbosity));
  console->set_pattern("%^%l%$: %v");
  auto logger = std::make_shared<spdlog::logger>("git2dataset", console);
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

void attach_log_file(const std::filesystem::path& path) {
  auto logger = spdlog::default_logger();
  try {
    if (path.has_parent_path())
      std::filesystem::create_directories(path.parent_path());
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string());
    file->set_level(spdlog::level::debug);
    file->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
    auto& sinks = logger->sinks();
    if (sinks.size() > 1)
      sinks.resize(1);
    sinks.push_back(file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: cannot open log file %s: %s\n", path.c_str(), e.what());
  }
}

}  // namespace g2d::sys
