// llm/server_errors.hpp — what the server backends (ollama, openai, mlx) share about a server's
// error replies: the server's own message, and an HTTP status as the pipeline's error kinds.
//
// Mapping: 400 saying the context is exceeded → context_overflow; 404 → model_missing; 500 saying
// the model's output does not match the expected format (llama-server's chat parser) → bad_output
// (asked again at once; not the server's health); 408, 429 and other 5xx → unavailable (worth a
// retry); 401 and 403 → rejected (check the API key); other 4xx → rejected. The server's message
// is part of the error's text.
// Thread-safety: pure functions. Errors: none of their own.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace g2d::llm {

// The message in {"error": {"message": ...}} or {"error": "..."}, else the body's start.
std::string server_message(std::string_view body);

// Whether a message says that the prompt does not fit the context.
bool mentions_context_overflow(std::string_view message);

// `what` names the request ("POST http://127.0.0.1:8080/v1/chat/completions").
Error status_error(std::string_view what, int status, std::string_view body);

// A reply that is one JSON document (/api/show, /props, /v1/models): the transfer's error, an
// HTTP status outside 2xx as status_error says, bad_output when the body is no JSON, else the
// document. `Response` has `status` and `body` (net's).
template <class Response>
Result<nlohmann::json> json_reply(std::string_view what, const Result<Response>& transfer) {
  if (!transfer)
    return tl::unexpected(transfer.error());
  if (transfer->status < 200 || transfer->status >= 300)
    return tl::unexpected(status_error(what, transfer->status, transfer->body));
  auto document = nlohmann::json::parse(transfer->body, nullptr, false);
  if (document.is_discarded())
    return fail(ErrorKind::bad_output, "{}: the reply is not JSON", what);
  return document;
}

// An {"error": ...} message inside a streamed reply: context_overflow or bad_output when it says
// so (as status_error), else unavailable (the server failed mid-reply: worth a retry).
Error stream_error(std::string_view what, std::string_view message_json);

}  // namespace g2d::llm
