// llm/streamed_reply.hpp — one streamed reply as a server backend reads it (openai's SSE events,
// Ollama's NDJSON lines): the messages counted against the call's ReplyLimits, the text gathered
// while a LoopWatch looks for a loop, the first error kept, and how the reply ends. The backend
// parses each message; this holds what every backend decides the same way about them.
//
// Ownership: a StreamedReply belongs to one call, on the thread that reads its transfer.
// Thread-safety: none (one call, one thread). Errors: a message past the limit is bad_output
// (the server did not honour the token limit); a stream that ends before the server said the
// reply was complete is unavailable (worth a retry); a reply cut at a loop is no error (finish
// `loop`, see repetition.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "llm/backend.hpp"
#include "llm/repetition.hpp"
#include "llm/reply_limits.hpp"
#include "llm/server_errors.hpp"

namespace g2d::llm {

// How a backend's messages are named in errors.
struct StreamWords {
  std::string_view message;    // "an event", "a line"
  std::string_view messages;   // "events", "lines"
  std::string_view token_cap;  // the request's token limit: "max_tokens", "num_predict"
};

class StreamedReply {
 public:
  // `what` names the request in errors ("POST http://host/v1/chat/completions").
  StreamedReply(std::string what, int max_tokens, const ReplyLimits& limits, StreamWords words);

  const std::string& what() const { return m_what; }

  // Counts one message. False when it is to be ignored: an error is held already, or this message
  // is past the limit (which becomes the held error).
  bool take_message();

  // Holds `error` unless one is held already (the first one is the cause).
  void fail(Error error);

  // One message's JSON object. Nothing when it is no JSON object (bad_output, held) or an
  // {"error": ...} the server sent mid-reply (held as stream_error says).
  std::optional<nlohmann::json> parse_message(std::string_view text);

  // Adds a piece of the reply's text and watches the whole for a loop.
  void add_text(std::string_view piece);

  // Whether the transfer should go on: no error held and no loop seen.
  bool keep_reading() const { return !m_error && !m_looped; }

  // The tokens, finish reason and counts the backend reads from its messages.
  GenerateResult& result() { return m_result; }

  // Once the transfer has ended, before its status is looked at: the held error, or the reply
  // ended at its loop. Nothing when the transfer ended on its own.
  std::optional<Result<GenerateResult>> stopped();

  // Once the transfer has ended: what `stopped` says, else the transfer's own error, else an HTTP
  // status outside 2xx as its error (server_errors.hpp), a model_missing one reworded by
  // `missing_model(body)` to name the model asked for. Nothing when the body is the reply: the
  // caller flushes its parser, then calls finish. `Response` has `status` and `body` (net's).
  template <class Response, class MissingModel>
  std::optional<Result<GenerateResult>> after_transfer(const Result<Response>& transfer,
                                                       MissingModel&& missing_model) {
    if (auto early = stopped())
      return early;
    if (!transfer)
      return tl::unexpected(transfer.error());
    if (transfer->status >= 200 && transfer->status < 300)
      return std::nullopt;
    Error e = status_error(m_what, transfer->status, transfer->body);
    if (e.kind == ErrorKind::model_missing)
      e.message = missing_model(std::string_view(transfer->body));
    return tl::unexpected(std::move(e));
  }

  // After the last message: the held error; the reply when the server said it was `complete`;
  // else unavailable "the stream ended before the <what_ended> did".
  Result<GenerateResult> finish(bool complete, std::string_view what_ended);

 private:
  std::string m_what;
  int m_max_tokens;
  std::size_t m_max_messages;
  StreamWords m_words;
  std::size_t m_count = 0;
  GenerateResult m_result;
  std::optional<Error> m_error;
  LoopWatch m_loop_watch;
  bool m_looped = false;
};

}  // namespace g2d::llm
