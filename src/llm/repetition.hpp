// llm/repetition.hpp — noticing generated text that has fallen into a loop (the same block over
// and over, which a small model writes until its token limit), so a backend can stop the call
// early instead of spending the rest of the budget on it. Backends watch every reply: a
// schema-constrained one is cut too, its JSON left incomplete, and its caller keeps what it
// completed (generate/ reads the whole questions and pairs out of a cut reply).
//
// A loop is a tail of the text that repeats one block of 1 to k_max_loop_period bytes at least
// k_min_loop_repeats times and covers at least k_min_loop_bytes bytes: long enough that quoted
// code, a table rule or a row of '=' is none.
// Thread-safety: pure functions; a LoopWatch belongs to one call. Errors: none.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "llm/backend.hpp"

namespace g2d::llm {

inline constexpr std::size_t k_max_loop_period = 400;
inline constexpr std::size_t k_min_loop_repeats = 3;
inline constexpr std::size_t k_min_loop_bytes = 160;

struct Loop {
  std::size_t start = 0;   // where the repeated tail begins
  std::size_t period = 0;  // the repeated block's length in bytes
};

// The loop `text` ends in, at its earliest start, or nothing.
std::optional<Loop> trailing_loop(std::string_view text);

// `text` with its loop reduced to one block (unchanged when it ends in none), cut back to a whole
// UTF-8 character.
std::string without_loop(std::string_view text);

// A streamed reply ended early because its text fell into a loop: finish `loop`, the text
// without the loop, and (when the server's count never came) one completion token per streamed
// message, which is what servers send.
GenerateResult looped_reply(GenerateResult partial, std::size_t messages);

// Checks a reply as it grows, at most once per k_step new bytes.
class LoopWatch {
 public:
  static constexpr std::size_t k_step = 32;
  // True when `text` (the whole reply so far) ends in a loop.
  bool looping(std::string_view text);

 private:
  std::size_t m_checked = 0;
};

}  // namespace g2d::llm
