#include "llm/reply_limits.hpp"

#include <algorithm>

namespace g2d::llm {

ReplyLimits reply_limits(int max_tokens, std::chrono::milliseconds idle_timeout,
                         double seconds_per_token) {
  const auto tokens = static_cast<std::size_t>(std::max(max_tokens, 1));
  ReplyLimits limits;
  limits.max_messages = tokens + tokens / 4 + k_extra_reply_messages;
  limits.max_bytes = limits.max_messages * k_reply_bytes_per_message + k_reply_slack_bytes;
  if (seconds_per_token > 0) {
    auto allowance = std::chrono::duration<double>(static_cast<double>(tokens) * seconds_per_token);
    limits.total_time =
        idle_timeout + std::chrono::duration_cast<std::chrono::milliseconds>(allowance);
  }
  return limits;
}

}  // namespace g2d::llm
