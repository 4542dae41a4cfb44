// net/port.hpp — a TCP port on the loopback interface that nothing listens on right now, for a
// server that git2dataset starts itself (mlx_lm.server) and for tests that start real servers.
// The port is free when asked; another program may take it before the server binds it, so a
// caller that sees its server fail to bind asks again.
//
// Thread-safety: reentrant.
// Errors: io when no socket can be made or bound (the message carries strerror).
#pragma once

#include "core/error.hpp"

namespace g2d::net {

Result<int> free_loopback_port();

}  // namespace g2d::net
