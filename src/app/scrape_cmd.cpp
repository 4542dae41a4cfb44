// Placeholder while `scrape` is being written (issue 3).
#include <ostream>

#include "app/commands.hpp"

namespace g2d::app {

int run_scrape(const cli::Invocation& /*inv*/, std::ostream& out) {
  out << "scrape: not implemented yet\n";
  return 1;
}

}  // namespace g2d::app
