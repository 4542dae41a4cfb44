#include <ostream>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "config/config.hpp"

namespace g2d::app {

int run_config_show(const cli::Invocation& inv, std::ostream& out) {
  out << config::render_effective(load_config(inv));
  return 0;
}

int run_config_validate(const cli::Invocation& inv, std::ostream& out) {
  cli::Invocation target = inv;
  if (inv.validate_file)
    target.config_file = inv.validate_file;
  auto file = config_file_for(target);
  if (!file) {
    throw UsageError("no configuration file to validate: give one, or run `git2dataset init`");
  }
  target.config_file = file;
  load_config(target);  // throws UsageError listing every problem
  out << file->string() << ": valid\n";
  return 0;
}

}  // namespace g2d::app
