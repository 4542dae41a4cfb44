#include "sys/background_process.hpp"

#include <utility>

namespace g2d::sys {

BackgroundProcess::BackgroundProcess(std::vector<std::string> argv, ProcessOptions options) {
  options.stop = m_stop.get_token();
  m_waiter = std::jthread([this, argv = std::move(argv), options = std::move(options)] {
    auto result = run_process(argv, options);
    std::lock_guard lock(m_mutex);
    m_exit = std::move(result);
  });
}

BackgroundProcess::~BackgroundProcess() {
  stop();
}

bool BackgroundProcess::running() const {
  std::lock_guard lock(m_mutex);
  return !m_exit.has_value();
}

std::optional<Result<ProcessResult>> BackgroundProcess::exit() const {
  std::lock_guard lock(m_mutex);
  return m_exit;
}

void BackgroundProcess::stop() {
  m_stop.request_stop();
  if (m_waiter.joinable())
    m_waiter.join();
}

}  // namespace g2d::sys
