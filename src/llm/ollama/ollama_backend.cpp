#include "llm/ollama/ollama_backend.hpp"

#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "llm/reply_limits.hpp"
#include "llm/server_errors.hpp"
#include "llm/streamed_reply.hpp"
#include "net/http.hpp"
#include "net/stream.hpp"

namespace g2d::llm::ollama {

namespace {

using nlohmann::json;

class OllamaBackend final : public Backend {
 public:
  explicit OllamaBackend(OllamaOptions options) : m_options(std::move(options)) {
    while (!m_options.base_url.empty() && m_options.base_url.back() == '/')
      m_options.base_url.pop_back();
  }

  std::string_view name() const override { return "ollama"; }

  // Asks the server without holding the lock (no call waits on another's network call); the
  // first answer is kept.
  Result<ModelInfo> model_info() override {
    {
      std::lock_guard lock(m_info_mutex);
      if (m_info)
        return *m_info;
    }
    if (m_options.model.empty())
      return fail(ErrorKind::invalid_argument,
                  "the ollama backend needs llm.model (e.g. "
                  "\"qwen2.5-coder:7b\")");
    auto show = post("/api/show", {{"model", m_options.model}});
    if (!show && show.error().kind == ErrorKind::model_missing)
      return fail(ErrorKind::model_missing,
                  "Ollama at {} has no model \"{}\" (`ollama pull {}` fetches it)", shown_base(),
                  m_options.model, m_options.model);
    if (!show)
      return tl::unexpected(show.error());
    ModelInfo info;
    info.name = m_options.model;
    info.structured_output = true;
    if (show->contains("model_info") && (*show)["model_info"].is_object())
      for (const auto& [key, value] : (*show)["model_info"].items())
        if (key.ends_with(".context_length") && value.is_number_integer())
          info.trained_context_length = value.get<int>();
    info.context_length = m_options.context_window > 0      ? m_options.context_window
                          : info.trained_context_length > 0 ? info.trained_context_length
                                                            : 4096;
    std::lock_guard lock(m_info_mutex);
    if (!m_info)
      m_info = info;
    return *m_info;
  }

  Result<int> count_tokens(std::string_view text) override {
    return static_cast<int>((text.size() + 2) / 3);  // no tokenizer endpoint: over-estimate
  }

  Result<GenerateResult> generate(const GenerateRequest& request, std::stop_token stop) override {
    auto info = model_info();
    if (!info)
      return tl::unexpected(info.error());
    json body = {{"model", m_options.model},
                 {"messages", json::array()},
                 {"stream", true},
                 {"keep_alive", keep_alive()},
                 {"options",
                  {{"num_ctx", info->context_length},
                   {"num_predict", request.max_tokens},
                   {"temperature", request.temperature}}}};
    if (request.seed != 0)
      body["options"]["seed"] = request.seed;
    if (m_options.threads > 0)
      body["options"]["num_thread"] = m_options.threads;
    for (const auto& m : request.messages)
      body["messages"].push_back({{"role", to_string(m.role)}, {"content", m.content}});
    if (request.json_schema)
      body["format"] = *request.json_schema;
    auto reply = stream_chat(body, request.max_tokens, stop);
    // Ollama cuts a prompt longer than num_ctx down to num_ctx tokens and says so only in its own
    // log; a prompt that filled the whole context was cut (a whole one leaves room for a reply).
    if (reply && reply->prompt_tokens >= info->context_length) {
      return fail(ErrorKind::context_overflow,
                  "Ollama truncated the prompt to its context of {} tokens (num_ctx); the unit "
                  "must be smaller",
                  info->context_length);
    }
    return reply;
  }

  // GET /api/version, within request_timeout and at most 10 s.
  Result<void> probe() override {
    auto r = request("/api/version", json::object());
    r.method = "GET";
    r.body.clear();
    const std::chrono::milliseconds limit{10000};
    r.idle_timeout =
        m_options.request_timeout.count() > 0 ? std::min(m_options.request_timeout, limit) : limit;
    r.total_timeout = r.idle_timeout;
    auto l = m_pool.lease();
    auto reply = json_reply(fmt::format("GET {}/api/version", shown_base()), l->send(r));
    if (!reply)
      return tl::unexpected(reply.error());
    return {};
  }

  void unload() override {
    if (m_options.model.empty())
      return;
    // keep_alive 0 with no messages: Ollama frees the model now.
    auto done = post("/api/chat", {{"model", m_options.model},
                                   {"messages", json::array()},
                                   {"keep_alive", 0},
                                   {"stream", false}});
    if (!done)
      spdlog::debug("ollama: unloading {} failed: {}", m_options.model, done.error().message);
  }

 private:
  std::string shown_base() const { return net::redact_url(m_options.base_url); }

  // Seconds Ollama keeps the model after a call; negative keeps it loaded.
  long long keep_alive() const {
    return m_options.keep_alive.count() > 0 ? m_options.keep_alive.count() : -1;
  }

  // A call that generates nothing takes at most request_timeout in all.
  net::Request request(const std::string& path, const json& body) const {
    net::Request r;
    r.method = "POST";
    r.url = m_options.base_url + path;
    r.idle_timeout = m_options.request_timeout;
    r.total_timeout = m_options.request_timeout;
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    if (!m_options.api_key.empty())
      r.headers.emplace_back("Authorization", "Bearer " + m_options.api_key);
    return r;
  }

  Result<json> post(const std::string& path, const json& body) {
    std::string what = fmt::format("POST {}{}", shown_base(), path);
    auto l = m_pool.lease();
    return json_reply(what, l->send(request(path, body)));
  }

  // The reply of a chat asking for at most `max_tokens`, within its limits (reply_limits.hpp).
  // A reply that falls into a loop is stopped there (llm/repetition.hpp), a schema-constrained
  // one too: its caller reads what the cut JSON completed.
  Result<GenerateResult> stream_chat(const json& body, int max_tokens,
                                     const std::stop_token& stop) {
    const ReplyLimits limits =
        reply_limits(max_tokens, m_options.request_timeout, m_options.seconds_per_token);
    StreamedReply reply(fmt::format("POST {}/api/chat", shown_base()), max_tokens, limits,
                        {"a line", "lines", "num_predict"});
    GenerateResult& result = reply.result();
    bool done = false;
    net::LineSplitter lines;
    auto on_line = [&](std::string_view line) {
      if (!reply.take_message())
        return;
      auto parsed = reply.parse_message(line);
      if (!parsed)
        return;
      const json& chunk = *parsed;
      if (chunk.contains("message") && chunk["message"].is_object() &&
          chunk["message"].contains("content") && chunk["message"]["content"].is_string())
        reply.add_text(chunk["message"]["content"].get<std::string>());
      if (chunk.contains("done") && chunk["done"].is_boolean() && chunk["done"].get<bool>()) {
        done = true;
        result.finish = chunk.contains("done_reason") && chunk["done_reason"] == "length"
                            ? FinishReason::length
                            : FinishReason::stop;
        auto number = [&](const char* key) {
          return chunk.contains(key) && chunk[key].is_number_integer() ? chunk[key].get<int>() : 0;
        };
        result.prompt_tokens = number("prompt_eval_count");
        result.completion_tokens = number("eval_count");
      }
    };
    net::Request r = request("/api/chat", body);
    r.total_timeout = limits.total_time;
    r.max_body_bytes = limits.max_bytes;
    auto l = m_pool.lease();
    auto res = l->send(r, stop, [&](std::string_view bytes) {
      lines.feed(bytes, on_line);
      return reply.keep_reading();
    });
    if (auto ended = reply.after_transfer(res, [&](std::string_view reply_body) {
          return fmt::format("Ollama at {} has no model \"{}\": {}", shown_base(), m_options.model,
                             server_message(reply_body));
        }))
      return std::move(*ended);
    lines.finish(on_line);
    return reply.finish(done, "reply");
  }

  OllamaOptions m_options;
  std::mutex m_info_mutex;
  std::optional<ModelInfo> m_info;  // guarded by m_info_mutex
  net::ClientPool m_pool;
};

}  // namespace

std::unique_ptr<Backend> make_ollama_backend(OllamaOptions options) {
  return std::make_unique<OllamaBackend>(std::move(options));
}

}  // namespace g2d::llm::ollama
