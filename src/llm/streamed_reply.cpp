#include "llm/streamed_reply.hpp"

#include <utility>

#include <fmt/format.h>

namespace g2d::llm {

StreamedReply::StreamedReply(std::string what, int max_tokens, const ReplyLimits& limits,
                             StreamWords words)
    : m_what(std::move(what)),
      m_max_tokens(max_tokens),
      m_max_messages(limits.max_messages),
      m_words(words) {}

bool StreamedReply::take_message() {
  if (m_error)
    return false;
  if (++m_count > m_max_messages) {
    m_error = Error{
        ErrorKind::bad_output,
        fmt::format("{}: more than {} {} for a reply of at most {} tokens (the server "
                    "does not stop at {}); it was cut off there",
                    m_what, m_max_messages, m_words.messages, m_max_tokens, m_words.token_cap)};
    return false;
  }
  return true;
}

void StreamedReply::fail(Error error) {
  if (!m_error)
    m_error = std::move(error);
}

std::optional<nlohmann::json> StreamedReply::parse_message(std::string_view text) {
  auto message = nlohmann::json::parse(text, nullptr, false);
  if (!message.is_object()) {
    fail(Error{ErrorKind::bad_output, fmt::format("{}: {} is not JSON", m_what, m_words.message)});
    return std::nullopt;
  }
  if (message.contains("error")) {
    fail(stream_error(m_what, text));
    return std::nullopt;
  }
  return message;
}

void StreamedReply::add_text(std::string_view piece) {
  m_result.text += piece;
  m_looped = m_looped || m_loop_watch.looping(m_result.text);
}

std::optional<Result<GenerateResult>> StreamedReply::stopped() {
  if (m_error)
    return tl::unexpected(*m_error);
  if (m_looped)
    return looped_reply(std::move(m_result), m_count);
  return std::nullopt;
}

Result<GenerateResult> StreamedReply::finish(bool complete, std::string_view what_ended) {
  if (m_error)
    return tl::unexpected(*m_error);
  if (!complete)
    return tl::unexpected(
        Error{ErrorKind::unavailable,
              fmt::format("{}: the stream ended before the {} did", m_what, what_ended)});
  return std::move(m_result);
}

}  // namespace g2d::llm
