#include "sys/signals.hpp"

#include <csignal>

namespace g2d::sys {

namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_count{0};

static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

extern "C" void on_interrupt(int /*signal*/) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  g_interrupted.store(true, std::memory_order_release);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);  // the terminal went away: stop as cleanly as for Ctrl-C
  // A closed pipe (`git2dataset ... | head`) is an EPIPE write error, not sudden death.
  signal(SIGPIPE, SIG_IGN);
  // Children must be waitable: an inherited SIG_IGN would make the kernel reap them and hide
  // their exit status.
  signal(SIGCHLD, SIG_DFL);
}

const std::atomic<bool>& interrupt_flag() {
  return g_interrupted;
}

int interrupt_count() {
  return g_count.load(std::memory_order_relaxed);
}

void reset_interrupts() {
  g_count.store(0, std::memory_order_relaxed);
  g_interrupted.store(false, std::memory_order_release);
}

}  // namespace g2d::sys
