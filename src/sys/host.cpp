#include "sys/host.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <limits>
#include <unistd.h>

namespace g2d::sys {

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0)
    return "";
  return name.data();
}

bool process_gone(std::int64_t pid, std::string_view host) {
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max() || host.empty() || host != host_name())
    return false;
  return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace g2d::sys
