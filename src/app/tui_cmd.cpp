// `git2dataset tui`: the live dashboard (tui/) over the database of the configuration — a running
// prepare started elsewhere, or the last run's summary. The database is opened read-only (it never
// blocks the run); the one write, the user's pause (the run record's pause_requested), goes through
// a connection opened for that write and closed after it. The log pane tails the run's log file
// (log_file_path: beside the database).
//
// Without a terminal (stdin or stdout redirected, TERM unset or dumb) it refuses before touching
// anything, naming why; without a database it says so like `status`. Exit 0 on q, 130 after
// SIGINT/SIGTERM/SIGHUP (the terminal is restored either way).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <ostream>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "store/store.hpp"
#include "sys/logging.hpp"
#include "sys/signals.hpp"
#include "tui/curses_terminal.hpp"
#include "tui/dashboard.hpp"
#include "tui/source.hpp"

namespace g2d::app {

namespace fs = std::filesystem;

namespace {

// The dashboard's one write: a connection of its own, opened for it and closed after it, so no
// lock is held longer than the write.
Status request_pause(const fs::path& db, bool pause) {
  auto store = store::open_sqlite(db, store::OpenMode::read_write);
  if (!store)
    return tl::unexpected(store.error());
  store::RunRecord request;
  request.pause_requested = pause;
  return (*store)->write_run(request, store::RunField::pause_requested);
}

// While the screen is up, console log lines would be drawn over it: they are dropped (the
// dashboard shows its own errors in its footer; nothing here writes the log file).
class SilentConsole final : public sys::ConsoleOverlay {
 public:
  SilentConsole() { sys::set_console_overlay(this); }
  ~SilentConsole() override { sys::set_console_overlay(nullptr); }
  SilentConsole(const SilentConsole&) = delete;
  SilentConsole& operator=(const SilentConsole&) = delete;
  void write_above(const std::function<void()>& /*write*/) override {}
};

}  // namespace

int run_tui(const cli::Invocation& inv, std::ostream& /*out*/) {
  if (auto why = tui::why_no_terminal(STDIN_FILENO, STDOUT_FILENO, std::getenv("TERM"))) {
    spdlog::error("tui needs a terminal: {}; `git2dataset status` prints the same numbers", *why);
    return 1;
  }
  auto cfg = load_config(inv);
  auto store = open_existing_database(cfg, store::OpenMode::read_only);
  if (!store)
    return 1;
  fs::path db = database_path(cfg);
  tui::SourceOptions options;
  options.database = db.string();
  options.log_file = log_file_path(cfg);
  tui::DataSource source(*store, options);

  sys::handle_interrupts();  // before the screen: SIGINT, SIGTERM, SIGHUP end the dashboard
  std::fflush(stdout);
  auto terminal = tui::CursesTerminal::open(stdout, stdin, inv.color);
  if (!terminal) {
    spdlog::error("{}", terminal.error().message);
    return 1;
  }
  {
    SilentConsole silent;
    tui::DashboardHooks hooks;
    hooks.snapshot = [&source](std::int64_t now_ms) { return source.snapshot(now_ms); };
    hooks.set_pause = [&db](bool pause) { return request_pause(db, pause); };
    hooks.stop = [stop = sys::stop_taking_token()] { return stop.stop_requested(); };
    tui::run_dashboard(**terminal, hooks);
  }
  terminal->reset();  // endwin: the terminal as it was
  return sys::interrupted() ? 130 : 0;
}

}  // namespace g2d::app
