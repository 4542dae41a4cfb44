// sys/thread_cache.hpp — runs a handful of blocking tasks at the same time, each on a thread of
// its own, without creating a thread per task: finished threads wait for the next task (for up to
// 30 s) and are reused. The pipeline posts a unit's answer calls this way, several per file and
// thousands of files a minute with a fast backend.
//
// Ownership: one process-wide cache of threads; idle threads end after 30 s, or when the process
// exits (a static destructor wakes them and waits for them).
// Thread-safety: run_concurrently may be called from any number of threads at once.
// Errors: a task must not throw — one that does ends the process (std::terminate), as it would on
// a std::thread. When a thread cannot be created (std::system_error), the tasks already started
// are waited for, the others never run, and the exception propagates.
#pragma once

#include <functional>
#include <span>

namespace g2d::sys {

// Runs every task concurrently — the last on the calling thread, the others on cached threads —
// and returns when all of them have finished and the cached threads they used are idle again (so
// a following call reuses them). No task waits for another's thread: each has its
// own, so tasks that block on one another (a barrier, a batch) cannot deadlock.
void run_concurrently(std::span<const std::function<void()>> tasks);

}  // namespace g2d::sys
