// dataset/block_writer.hpp — bytes appended by one thread and written to a file descriptor by a
// thread of its own, in large blocks, so that producing a dataset (reading the store, formatting
// lines) and the kernel's copying of it into the file overlap on two cores.
//
// At most two blocks wait for the writer; append() waits when both are taken, so memory stays at
// about three blocks whatever the size of the file. Bytes reach the file in the order appended.
//
// Ownership: borrows `fd` (never closes it); owns its thread, which the destructor joins after
// writing what was handed over. Thread-safety: append() and finish() from one thread (the owner).
// Errors: the first failed write(2) is kept; append() returns false from then on and finish()
// returns it as an io error naming `name`.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace g2d::dataset {

class BlockWriter {
 public:
  static constexpr std::size_t k_default_block = std::size_t{4} << 20;

  BlockWriter(int fd, std::string name, std::size_t block_size = k_default_block);
  ~BlockWriter();
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Appends `bytes`; a full block goes to the writer. False once a write has failed.
  bool append(std::string_view bytes);
  // Hands over what is left and waits until every byte is written (not synced).
  Status finish();

 private:
  void hand_over();
  void run();

  int m_fd;
  std::string m_name;
  std::size_t m_block_size;
  std::string m_filling;

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<std::string> m_full;    // blocks waiting to be written, oldest first
  std::vector<std::string> m_spare;  // written blocks, kept for reuse
  bool m_writing = false;            // the writer holds a block
  bool m_stop = false;
  int m_error = 0;  // errno of the first failed write
  std::thread m_thread;
};

}  // namespace g2d::dataset
