#include "net/port.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace g2d::net {

Result<int> free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail(ErrorKind::io, "cannot make a socket: {}", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free one
  socklen_t len = sizeof addr;
  // sockaddr_in is a sockaddr by the sockets API's own definition.
  auto* any =
      reinterpret_cast<sockaddr*>(&addr);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  if (::bind(fd, any, sizeof addr) != 0 || ::getsockname(fd, any, &len) != 0) {
    int err = errno;
    ::close(fd);
    return fail(ErrorKind::io, "cannot find a free port on 127.0.0.1: {}", std::strerror(err));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

}  // namespace g2d::net
