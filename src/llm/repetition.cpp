#include "llm/repetition.hpp"

#include <algorithm>

namespace g2d::llm {

std::optional<Loop> trailing_loop(std::string_view text) {
  const std::size_t n = text.size();
  std::optional<Loop> best;
  for (std::size_t period = 1; period <= k_max_loop_period && 2 * period <= n; ++period) {
    // How far back from the end text[i] == text[i - period] holds.
    std::size_t i = n;
    while (i > period && text[i - 1] == text[i - 1 - period])
      --i;
    std::size_t covered = n - i + period;  // the periodic tail, first block included
    if (covered < k_min_loop_bytes || covered < k_min_loop_repeats * period)
      continue;
    Loop loop{i - period, period};
    if (!best || loop.start < best->start)
      best = loop;
  }
  return best;
}

std::string without_loop(std::string_view text) {
  auto loop = trailing_loop(text);
  if (!loop)
    return std::string(text);
  std::size_t end = loop->start + loop->period;
  // A block may end inside a character: keep whole ones only.
  while (end > 0 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U)
    --end;
  return std::string(text.substr(0, end));
}

GenerateResult looped_reply(GenerateResult partial, std::size_t messages) {
  partial.finish = FinishReason::loop;
  partial.text = without_loop(partial.text);
  if (partial.completion_tokens == 0)
    partial.completion_tokens = static_cast<int>(messages);
  return partial;
}

bool LoopWatch::looping(std::string_view text) {
  if (text.size() < m_checked + k_step)
    return false;
  m_checked = text.size();
  return trailing_loop(text).has_value();
}

}  // namespace g2d::llm
