// Placeholder (issue 3, in progress).
#include <ostream>

#include "app/commands.hpp"

namespace g2d::app {

int run_prepare(const cli::Invocation& /*inv*/, std::ostream& out) {
  out << "prepare: not implemented yet\n";
  return 1;
}

}  // namespace g2d::app
