#include "llm/server_errors.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace g2d::llm {

namespace {

std::string error_type(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("type") && j["error"]["type"].is_string())
    return j["error"]["type"].get<std::string>();
  return "";
}

}  // namespace

std::string server_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_string())
      return e.get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string())
      return e["message"].get<std::string>();
  }
  std::string text(body.substr(0, 300));
  return text.empty() ? "(no message)" : text;
}

bool mentions_context_overflow(std::string_view message) {
  std::string text(message);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* phrase : {"context length", "context size", "context window", "maximum context",
                             "exceed_context", "too many tokens", "prompt is too long"})
    if (text.find(phrase) != std::string::npos)
      return true;
  return false;
}

// llama-server's chat parser refusing what the model wrote (a reply cut short, or one outside the
// format it expects): the model's output, not the server's health.
bool mentions_unparsable_output(std::string_view message) {
  return message.find("produced output that does not match") != std::string_view::npos;
}

Error status_error(std::string_view what, int status, std::string_view body) {
  std::string message = server_message(body);
  std::string described = fmt::format("{}: HTTP {}: {}", what, status, message);
  if (status == 400 &&
      (error_type(body) == "exceed_context_size_error" || mentions_context_overflow(message)))
    return {ErrorKind::context_overflow, described};
  if (status == 404)
    return {ErrorKind::model_missing, described};
  if (status == 500 && mentions_unparsable_output(message))
    return {ErrorKind::bad_output, described};
  if (status == 408 || status == 429 || status >= 500)
    return {ErrorKind::unavailable, described};
  if (status == 401 || status == 403)
    return {ErrorKind::rejected, described + " (check the API key)"};
  return {ErrorKind::rejected, described};
}

Error stream_error(std::string_view what, std::string_view message_json) {
  std::string message = server_message(message_json);
  const ErrorKind kind = mentions_context_overflow(message)    ? ErrorKind::context_overflow
                         : mentions_unparsable_output(message) ? ErrorKind::bad_output
                                                               : ErrorKind::unavailable;
  return {kind, fmt::format("{}: {}", what, message)};
}

}  // namespace g2d::llm
