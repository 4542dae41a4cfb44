#include "dataset/block_writer.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace g2d::dataset {

namespace {

constexpr std::size_t k_waiting_blocks = 2;

// Writes all of `bytes`; 0, or the errno of the failure.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace

BlockWriter::BlockWriter(int fd, std::string name, std::size_t block_size)
    : m_fd(fd), m_name(std::move(name)), m_block_size(block_size == 0 ? 1 : block_size) {
  m_filling.reserve(m_block_size);
  m_thread = std::thread([this] { run(); });
}

BlockWriter::~BlockWriter() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

bool BlockWriter::append(std::string_view bytes) {
  m_filling.append(bytes);
  if (m_filling.size() >= m_block_size)
    hand_over();
  std::lock_guard lock(m_mutex);
  return m_error == 0;
}

void BlockWriter::hand_over() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_full.size() < k_waiting_blocks || m_error != 0; });
  if (m_error != 0) {
    m_filling.clear();  // nothing more reaches the file
    return;
  }
  m_full.push_back(std::move(m_filling));
  if (!m_spare.empty()) {
    m_filling = std::move(m_spare.back());
    m_spare.pop_back();
  } else {
    m_filling = std::string();
    m_filling.reserve(m_block_size);
  }
  m_filling.clear();
  lock.unlock();
  m_changed.notify_all();
}

Status BlockWriter::finish() {
  if (!m_filling.empty())
    hand_over();
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return (m_full.empty() && !m_writing) || m_error != 0; });
  if (m_error != 0)
    return fail(ErrorKind::io, "cannot write {}: {}", m_name, std::strerror(m_error));
  return {};
}

void BlockWriter::run() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_changed.wait(lock, [&] { return !m_full.empty() || m_stop; });
    if (m_full.empty())
      return;  // stopped with nothing left to write
    std::string block = std::move(m_full.front());
    m_full.pop_front();
    m_writing = true;
    lock.unlock();
    int err = write_all(m_fd, block);
    lock.lock();
    m_writing = false;
    if (err != 0 && m_error == 0) {
      m_error = err;
      m_full.clear();
    }
    block.clear();
    m_spare.push_back(std::move(block));
    m_changed.notify_all();
  }
}

}  // namespace g2d::dataset
