// sys/signals.hpp — Ctrl-C, SIGTERM and SIGHUP as stop requests, instead of sudden death.
//
// The model: one thread takes the signals, nothing else ever sees them. main() calls
// start_interrupt_thread() before any other thread starts: it blocks SIGINT, SIGTERM and SIGHUP
// in the calling thread — so in every thread started later, which inherits the mask — and starts
// the thread that waits for them with sigwait(). Until a command calls handle_interrupts(), that
// thread ends the process with the signal's default action (a signal that was ignored when the
// thread started stays ignored, as under nohup), so a command that does not stop cleanly is
// ended as it would be without the thread. After handle_interrupts(), the signals are counted
// stop requests:
//   - the first requests stop_taking_token(): take no new work, let what is in flight finish;
//   - the second requests abandon_token() as well: give up the work in flight.
// Work that waits and must react registers a std::stop_callback on a token (sys::run_process
// wakes its poll() through a pipe and ends its child); nothing polls. Commands that were
// interrupted (interrupted()) exit with code 130.
//
// handle_interrupts() also ignores SIGPIPE (a closed output pipe becomes a write error) and
// restores SIGCHLD's default (an inherited SIG_IGN would hide children's exit statuses).
// Children started by sys/process.hpp get an empty signal mask and default dispositions.
// Signals sent to one thread (raise(), pthread_kill()) stay pending in it: send them to the
// process (kill(getpid(), ...)).
//
// Ownership: the signal thread and the two stop sources live as long as the process (the thread
// is detached; the state it uses is never destroyed, so a signal during exit is harmless).
// Thread-safety: everything here may be called from any thread; the tokens may be copied freely.
// Errors: none reported: when the thread cannot be started, the signals are unblocked again and
// keep their default action (start_interrupt_thread() returns false).
#pragma once

#include <stop_token>

namespace g2d::sys {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and starts the signal thread; later
// calls do nothing. Call it first in main(), before any thread starts: a thread started earlier
// keeps its mask, and a signal the kernel gives it still has its default action there.
bool start_interrupt_thread();

// From now on the signals are stop requests (see above), and SIGPIPE is ignored and SIGCHLD
// default. Starts the signal thread first when main() did not (then in this thread's mask only).
void handle_interrupts();

// Requested by the first interruption: stop taking work.
std::stop_token stop_taking_token();
// Requested by the second interruption: abandon the work in flight.
std::stop_token abandon_token();
// True once an interruption was handled (the command then exits with 130).
bool interrupted();

}  // namespace g2d::sys
