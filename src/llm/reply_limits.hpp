// llm/reply_limits.hpp — how much of a server's reply one call accepts, and for how long, derived
// from the tokens it asked for (max_tokens): a server that ignores max_tokens, sends one endless
// event or line, or never stops streaming is cut off, and the call fails, instead of keeping a
// file in flight without end. The server backends (ollama, openai, mlx) apply them.
//
// A reply over a limit is an error, not a truncated answer: bad_output for too many messages or
// bytes (the server did not honour max_tokens, and what it sent is not trusted), timeout for the
// time limit. A reply cut at max_tokens by the server itself (finish reason "length") stays a
// truncated answer.
// Thread-safety: pure functions. Errors: none of their own.
#pragma once

#include <chrono>
#include <cstddef>

namespace g2d::llm {

// Streamed messages (SSE events, NDJSON lines) allowed beyond max_tokens: a server sends one per
// token at most, plus a few of its own (the role, the finish, the usage).
inline constexpr std::size_t k_extra_reply_messages = 16;
// Bytes of streamed body allowed per message (a message's JSON envelope with one token is about
// 100 to 300 bytes), and once per reply.
inline constexpr std::size_t k_reply_bytes_per_message = 1024;
inline constexpr std::size_t k_reply_slack_bytes = std::size_t{1} << 20;

struct ReplyLimits {
  std::size_t max_messages = 0;             // streamed events or lines
  std::size_t max_bytes = 0;                // bytes of the streamed body
  std::chrono::milliseconds total_time{0};  // the whole call; 0: none
};

// max_messages = max_tokens + max_tokens / 4 + k_extra_reply_messages; max_bytes = max_messages ×
// k_reply_bytes_per_message + k_reply_slack_bytes; total_time = idle_timeout + max_tokens ×
// seconds_per_token (0, none, when seconds_per_token is 0). A max_tokens below 1 counts as 1.
ReplyLimits reply_limits(int max_tokens, std::chrono::milliseconds idle_timeout,
                         double seconds_per_token);

}  // namespace g2d::llm
