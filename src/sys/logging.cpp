#include "sys/logging.hpp"

#include <cstdio>
#include <memory>
#include <mutex>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/text.hpp"

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

// `msg` with its text escaped (escape_controls, TAB kept), to be passed on to another sink;
// `storage` holds the escaped text and must outlive the returned message's use.
spdlog::details::log_msg escaped(const spdlog::details::log_msg& msg, std::string& storage) {
  std::string_view text(msg.payload.data(), msg.payload.size());
  spdlog::details::log_msg out = msg;
  storage = escape_controls(text, true);
  if (storage != text)
    out.payload = spdlog::string_view_t(storage.data(), storage.size());
  return out;
}

// Any sink behind one that escapes each message's text first (the log file).
class EscapingSink : public spdlog::sinks::sink {
 public:
  explicit EscapingSink(std::shared_ptr<spdlog::sinks::sink> inner) : m_inner(std::move(inner)) {}
  void log(const spdlog::details::log_msg& msg) override {
    std::string storage;
    m_inner->log(escaped(msg, storage));
  }
  void flush() override { m_inner->flush(); }
  void set_pattern(const std::string& pattern) override { m_inner->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    m_inner->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> m_inner;  // thread-safe (an _mt sink)
};

// The console sink: forwards to stderr's sink (each message escaped), around the overlay when
// one is set.
class OverlaySink : public spdlog::sinks::sink {
 public:
  explicit OverlaySink(std::shared_ptr<spdlog::sinks::sink> inner) : m_inner(std::move(inner)) {}
  void log(const spdlog::details::log_msg& raw) override {
    std::string storage;
    const spdlog::details::log_msg msg = escaped(raw, storage);
    std::lock_guard lock(m_mutex);
    if (m_overlay == nullptr) {
      m_inner->log(msg);
      return;
    }
    m_overlay->write_above([&] {
      m_inner->log(msg);
      m_inner->flush();
    });
  }
  void flush() override {
    std::lock_guard lock(m_mutex);
    m_inner->flush();
  }
  void set_pattern(const std::string& pattern) override {
    std::lock_guard lock(m_mutex);
    m_inner->set_pattern(pattern);
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    std::lock_guard lock(m_mutex);
    m_inner->set_formatter(std::move(formatter));
  }
  void set_overlay(ConsoleOverlay* overlay) {
    std::lock_guard lock(m_mutex);
    m_overlay = overlay;
  }

 private:
  std::mutex m_mutex;
  std::shared_ptr<spdlog::sinks::sink> m_inner;
  ConsoleOverlay* m_overlay = nullptr;  // guarded by m_mutex
};

std::mutex g_console_mutex;
std::shared_ptr<OverlaySink> g_console;  // guarded by g_console_mutex
}  // namespace

void init_logging(int verbosity, bool color) {
  std::shared_ptr<spdlog::sinks::sink> stderr_sink;
  if (color) {
    stderr_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    stderr_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  stderr_sink->set_pattern("%^%l%$: %v");
  auto console = std::make_shared<OverlaySink>(stderr_sink);
  console->set_level(level_for(verbosity));
  {
    std::lock_guard lock(g_console_mutex);
    g_console = console;
  }
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
    auto file = std::make_shared<EscapingSink>(
        std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string()));
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

void set_console_overlay(ConsoleOverlay* overlay) {
  std::lock_guard lock(g_console_mutex);
  if (g_console)
    g_console->set_overlay(overlay);
}

}  // namespace g2d::sys
