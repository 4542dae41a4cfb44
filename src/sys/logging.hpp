// sys/logging.hpp — the process's logger: spdlog to stderr and, when a path is given, to a log
// file (beside the database, so `tui` and users find it).
//
// Levels: -q → warnings and errors only; default → info; -v → debug; -vv → trace. The file always
// receives debug and above. Call init_logging once, early, from app::run; afterwards spdlog's
// default logger is thread-safe and used through spdlog::info(...) etc.
// Errors: a log file that cannot be opened is reported on stderr and logging continues without it.
#pragma once

#include <filesystem>
#include <optional>

namespace g2d::sys {

// verbosity: -1 quiet, 0 normal, 1 verbose, 2+ trace.
void init_logging(int verbosity, bool color);

// Adds (or replaces) the log file sink. Parent directories are created.
void attach_log_file(const std::filesystem::path& path);

}  // namespace g2d::sys
