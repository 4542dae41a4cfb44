#include "sys/thread_cache.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace g2d::sys {

namespace {

constexpr auto k_idle_lifetime = std::chrono::seconds(30);

class ThreadCache {
 public:
  ThreadCache() = default;
  ThreadCache(const ThreadCache&) = delete;
  ThreadCache& operator=(const ThreadCache&) = delete;

  // Wakes the idle threads and waits until every thread has ended (none runs a task by then:
  // run_concurrently waits for its tasks, and static destruction happens after main returns).
  ~ThreadCache() {
    std::unique_lock lock(m_mutex);
    m_closing = true;
    for (Idle* idle : m_idle)
      idle->wake.notify_one();
    m_all_ended.wait(lock, [this] { return m_live == 0; });
  }

  // Runs `task` on an idle thread, or on a new one when none is idle; `finished` is counted down
  // once the task has returned AND its thread is idle again (listed in m_idle), so a caller that
  // waits for it and posts again finds that thread waiting.
  void post(std::function<void()> task, std::latch& finished) {
    std::lock_guard lock(m_mutex);
    if (!m_idle.empty()) {
      Idle* idle = m_idle.back();
      m_idle.pop_back();
      idle->job = Job{std::move(task), &finished};
      idle->wake.notify_one();
      return;
    }
    std::thread thread(
        [this, first = Job{std::move(task), &finished}]() mutable { serve(std::move(first)); });
    thread.detach();  // ends by itself; the destructor waits for m_live to reach 0
    ++m_live;
  }

 private:
  struct Job {
    std::function<void()> task;
    std::latch* finished = nullptr;
  };

  // A waiting thread's mailbox, on that thread's stack; listed in m_idle while it waits.
  struct Idle {
    std::condition_variable wake;
    Job job;
  };

  void serve(Job job) {
    Idle self;
    std::unique_lock lock(m_mutex);
    while (job.task) {
      lock.unlock();
      job.task();
      job.task = nullptr;
      lock.lock();
      if (m_closing) {
        job.finished->count_down();
        break;
      }
      m_idle.push_back(&self);
      // Counted down only now that this thread is listed as idle; the latch outlives the call
      // (its caller waits on it), and a post() that takes this thread meanwhile just waits for
      // the lock below.
      job.finished->count_down();
      self.wake.wait_for(lock, k_idle_lifetime, [&] { return self.job.task || m_closing; });
      // Still listed unless a post() took this thread (then self.job.task is set).
      if (auto it = std::find(m_idle.begin(), m_idle.end(), &self); it != m_idle.end())
        m_idle.erase(it);
      job = std::exchange(self.job, Job{});
    }
    if (--m_live == 0)
      m_all_ended.notify_all();
  }

  std::mutex m_mutex;  // guards what follows
  std::vector<Idle*> m_idle;
  int m_live = 0;  // threads started and not yet ended
  bool m_closing = false;
  std::condition_variable m_all_ended;
};

ThreadCache& cache() {
  static ThreadCache instance;
  return instance;
}

}  // namespace

void run_concurrently(std::span<const std::function<void()>> tasks) {
  if (tasks.empty())
    return;
  const auto others = static_cast<std::ptrdiff_t>(tasks.size() - 1);
  std::latch done(others);
  // The posted tasks refer to `done` and `tasks`: nothing leaves this function before they end.
  std::ptrdiff_t posted = 0;
  try {
    for (; posted < others; ++posted) {
      cache().post([&task = tasks[static_cast<size_t>(posted)]] { task(); }, done);
    }
    tasks.back()();
  } catch (...) {
    done.count_down(others - posted);  // those never posted
    done.wait();
    throw;
  }
  done.wait();
}

}  // namespace g2d::sys
