// sys/signals.hpp — Ctrl-C and SIGTERM as a flag the program polls, instead of sudden death.
//
// install_interrupt_handlers() makes SIGINT, SIGTERM and SIGHUP count interruptions
// (async-signal-safe: the handler only increments an atomic), ignores SIGPIPE (a closed output
// pipe becomes a write error) and restores SIGCHLD's default (an inherited SIG_IGN would hide
// children's exit statuses). Long-running work polls interrupt_flag() (it can be
// given straight to ProcessOptions::cancel) or interrupt_count() — the pipeline stops taking
// work at the first interruption and abandons in-flight work at the second. Commands that were
// interrupted exit with code 130.
//
// Thread-safety: everything here may be called from any thread. Errors: none (installing a
// handler cannot fail for these signals).
#pragma once

#include <atomic>

namespace g2d::sys {

void install_interrupt_handlers();

// True once SIGINT or SIGTERM arrived (after install_interrupt_handlers()).
const std::atomic<bool>& interrupt_flag();
int interrupt_count();

// For tests: forget earlier interruptions.
void reset_interrupts();

}  // namespace g2d::sys
