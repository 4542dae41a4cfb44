// sys/host.hpp — this machine's name and whether a process recorded by another command (a run's
// pid and host in AppState) still exists.
//
// Thread-safety: reentrant. Errors: none; what cannot be told is reported as such (an empty name,
// "not known to be gone").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace g2d::sys {

// gethostname(), or "" when it fails.
std::string host_name();

// Whether process `pid` of machine `host` is known to be gone: `host` is this machine and no
// process has that id (kill(pid, 0) fails with ESRCH). False when it cannot be told: another
// machine, a pid out of range, or a process this user may not signal (it exists).
bool process_gone(std::int64_t pid, std::string_view host);

}  // namespace g2d::sys
