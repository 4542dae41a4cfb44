#include "sys/signals.hpp"

#include <array>
#include <atomic>
#include <csignal>
#include <mutex>
#include <pthread.h>
#include <system_error>
#include <thread>

namespace g2d::sys {

namespace {

constexpr std::array<int, 3> k_interrupts{SIGINT, SIGTERM, SIGHUP};

struct State {
  std::once_flag started;
  std::stop_source stop_taking;
  std::stop_source abandon;
  std::atomic<int> count{0};
  std::atomic<bool> handled{false};
  std::atomic<bool> running{false};  // the signal thread started
  // Whether each of k_interrupts was ignored when the thread started; written before it starts.
  std::array<bool, k_interrupts.size()> ignored{};
};

// Never destroyed: the detached signal thread may still use it while the process exits.
State& state() {
  static State* const s = new State();
  return *s;
}

sigset_t interrupt_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : k_interrupts)
    sigaddset(&set, sig);
  return set;
}

void set_disposition(int sig, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(sig, &action, nullptr);
}

// What the signal would have done without the thread: end the process with its default action,
// or nothing when it was ignored.
void act_as_default(int sig) {
  for (size_t i = 0; i < k_interrupts.size(); ++i) {
    if (k_interrupts[i] == sig && state().ignored[i])
      return;
  }
  set_disposition(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  raise(sig);  // pending in this thread, which no longer blocks it: the process ends here
  pthread_sigmask(SIG_BLOCK, &one, nullptr);
}

void take_signals(sigset_t set) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      continue;
    State& s = state();
    if (!s.handled.load(std::memory_order_acquire)) {
      act_as_default(sig);
      continue;
    }
    const int count = s.count.fetch_add(1, std::memory_order_acq_rel) + 1;
    s.stop_taking.request_stop();
    if (count >= 2)
      s.abandon.request_stop();
  }
}

}  // namespace

bool start_interrupt_thread() {
  State& s = state();
  std::call_once(s.started, [&s] {
    const sigset_t set = interrupt_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    for (size_t i = 0; i < k_interrupts.size(); ++i) {
      struct sigaction old {};
      sigaction(k_interrupts[i], nullptr, &old);
      s.ignored[i] = old.sa_handler == SIG_IGN;
      // Blocked everywhere, a signal stays pending until sigwait() takes it; an ignored one could
      // be discarded instead on some systems.
      set_disposition(k_interrupts[i], SIG_DFL);
    }
    try {
      std::thread(take_signals, set).detach();
      s.running.store(true, std::memory_order_release);
    } catch (const std::system_error&) {
      for (size_t i = 0; i < k_interrupts.size(); ++i)
        set_disposition(k_interrupts[i], s.ignored[i] ? SIG_IGN : SIG_DFL);
      pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    }
  });
  return s.running.load(std::memory_order_acquire);
}

void handle_interrupts() {
  start_interrupt_thread();
  // A closed pipe (`git2dataset ... | head`) is an EPIPE write error, not sudden death.
  set_disposition(SIGPIPE, SIG_IGN);
  // Children must be waitable: an inherited SIG_IGN would make the kernel reap them and hide
  // their exit status.
  set_disposition(SIGCHLD, SIG_DFL);
  state().handled.store(true, std::memory_order_release);
}

std::stop_token stop_taking_token() {
  return state().stop_taking.get_token();
}

std::stop_token abandon_token() {
  return state().abandon.get_token();
}

bool interrupted() {
  return state().count.load(std::memory_order_acquire) > 0;
}

}  // namespace g2d::sys
