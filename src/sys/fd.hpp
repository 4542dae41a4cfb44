// sys/fd.hpp — an owning file descriptor: closed when the owner goes, moved never copied.
//
// Ownership: owns the descriptor it holds (-1 = none). Thread-safety: a plain value; one owner at
// a time. Errors: none from reset() (close() failing on a descriptor only read from loses nothing);
// close() returns close()'s errno for a descriptor written through.
#pragma once

#include <cerrno>
#include <unistd.h>
#include <utility>

namespace g2d::sys {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other)
      reset(std::exchange(other.m_fd, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const noexcept { return m_fd; }
  bool valid() const noexcept { return m_fd >= 0; }
  // Gives the descriptor up without closing it.
  int release() noexcept { return std::exchange(m_fd, -1); }
  void reset(int fd = -1) noexcept {
    if (m_fd >= 0)
      ::close(m_fd);
    m_fd = fd;
  }
  // Closes the descriptor now and says how it went: 0, or close()'s errno (where a file written
  // through it reports a deferred write error). None is left either way.
  int close() noexcept {
    int fd = std::exchange(m_fd, -1);
    return fd < 0 || ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int m_fd = -1;
};

}  // namespace g2d::sys
