// `git2dataset retry [PATH...]`: failed files back into the queue. Their FailedFiles entries go
// (so the max_retries limit starts again) and their records become pending, so the next
// `prepare` takes them whatever their earlier attempts. Exit 1 when a named path was not a failed
// file (the other paths are re-queued all the same), when the database cannot be opened, or while
// another command (prepare) writes to it.
#include <filesystem>
#include <ostream>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "store/store.hpp"

namespace g2d::app {

int run_retry(const cli::Invocation& inv, std::ostream& out) {
  auto cfg = load_config(inv);
  auto lock = lock_database(cfg, "retry");  // not while a prepare runs
  if (!lock)
    return 1;
  auto store = open_existing_database(cfg, store::OpenMode::read_write);
  if (!store)
    return 1;
  if (inv.retry_paths.empty()) {
    auto cleared = store->clear_all_failures();
    if (!cleared) {
      spdlog::error("{}", cleared.error().message);
      return 1;
    }
    if (*cleared == 0)
      out << "no failed files\n";
    else
      out << "re-queued " << *cleared << " failed file" << (*cleared == 1 ? "" : "s") << "\n";
    return 0;
  }
  int code = 0;
  for (const auto& path : inv.retry_paths) {
    auto cleared = store->clear_failure(path);
    if (!cleared) {
      spdlog::error("{}", cleared.error().message);
      return 1;
    }
    if (*cleared) {
      out << "re-queued " << printable(path) << "\n";
    } else {
      out << printable(path) << ": not a failed file\n";
      code = 1;
    }
  }
  return code;
}

}  // namespace g2d::app
