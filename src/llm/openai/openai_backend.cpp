#include "llm/openai/openai_backend.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "llm/reply_limits.hpp"
#include "llm/server_errors.hpp"
#include "llm/streamed_reply.hpp"
#include "net/http.hpp"
#include "net/stream.hpp"

namespace g2d::llm::openai {

namespace {

using nlohmann::json;

// A health check takes at most this long (or request_timeout when that is shorter).
constexpr std::chrono::milliseconds k_probe_timeout{10000};

std::string trimmed_base(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0)
    url.resize(url.size() - 3);
  return url;
}

class OpenAiBackend final : public Backend {
 public:
  explicit OpenAiBackend(OpenAiOptions options)
      : m_options(std::move(options)), m_base(trimmed_base(m_options.base_url)) {}

  std::string_view name() const override { return m_options.backend_name; }

  // Asks the server once; calls meanwhile ask too (none waits on another's network call), and
  // the first answer is kept.
  Result<ModelInfo> model_info() override {
    {
      std::lock_guard lock(m_info_mutex);
      if (m_info)
        return *m_info;
    }
    auto found = discover();
    if (!found)
      return tl::unexpected(found.error());
    std::lock_guard lock(m_info_mutex);
    if (m_info)
      return *m_info;
    m_info = found->info;
    m_model = found->info.name;
    m_llama_server = found->llama_server;
    {
      std::lock_guard slots(m_slot_mutex);
      m_slots = found->slots;
      m_busy.assign(static_cast<size_t>(m_slots), false);
    }
    spdlog::debug("openai backend: {} at {} ({} tokens per request{})", m_model, shown_base(),
                  m_info->context_length,
                  m_llama_server ? fmt::format(", llama-server with {} slots", m_slots) : "");
    return *m_info;
  }

 private:
  struct Discovered {
    ModelInfo info;
    bool llama_server = false;
    int slots = 1;
  };

  // GET /v1/models (the model), then /props (llama-server's context, slots and tokenizer).
  Result<Discovered> discover() {
    const bool lenient = !m_options.require_listed_model && !m_options.model.empty();
    auto models = get("/v1/models");
    if (!models && !(lenient && models.error().kind == ErrorKind::bad_output))
      return tl::unexpected(models.error());
    std::vector<std::string> names;
    if (models && models->contains("data") && (*models)["data"].is_array())
      for (const auto& m : (*models)["data"])
        if (m.is_object() && m.contains("id") && m["id"].is_string())
          names.push_back(m["id"].get<std::string>());
    std::string model = m_options.model;
    if (model.empty()) {
      if (names.empty())
        return fail(ErrorKind::model_missing, "{} lists no model (GET /v1/models)", shown_base());
      model = names.front();
    } else if (std::find(names.begin(), names.end(), model) == names.end() && !lenient) {
      return fail(ErrorKind::model_missing, "{} has no model \"{}\" (it has: {})", shown_base(),
                  model, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
    }
    Discovered found;
    ModelInfo& info = found.info;
    info.name = model;
    info.structured_output = m_options.json_schema;
    info.context_length = m_options.context_window > 0 ? m_options.context_window : 4096;
    // llama-server: its per-slot context, its slots, its tokenizer. Only a server without
    // /props (404, or another reply) is taken for another kind; a failure is not remembered.
    auto props = get("/props");
    if (!props && props.error().kind != ErrorKind::model_missing &&
        props.error().kind != ErrorKind::rejected && props.error().kind != ErrorKind::bad_output)
      return tl::unexpected(props.error());
    if (props && props->is_object() && props->contains("default_generation_settings") &&
        (*props)["default_generation_settings"].is_object()) {
      found.llama_server = true;
      const json& settings = (*props)["default_generation_settings"];
      int n_ctx = settings.contains("n_ctx") && settings["n_ctx"].is_number_integer()
                      ? settings["n_ctx"].get<int>()
                      : 0;
      if (n_ctx > 0) {
        info.trained_context_length = n_ctx;
        info.context_length =
            m_options.context_window > 0 ? std::min(m_options.context_window, n_ctx) : n_ctx;
      }
      if (props->contains("total_slots") && (*props)["total_slots"].is_number_integer())
        found.slots = std::max(1, (*props)["total_slots"].get<int>());
    }
    return found;
  }

 public:
  Result<int> count_tokens(std::string_view text) override {
    auto info = model_info();
    if (!info)
      return tl::unexpected(info.error());
    if (!m_llama_server)  // no tokenizer endpoint: over-estimate, so that units rather fit
      return static_cast<int>((text.size() + 2) / 3);
    json body = {{"content", text}, {"add_special", false}};
    auto reply = post_json("/tokenize", body);
    if (!reply)
      return tl::unexpected(reply.error());
    if (!reply->contains("tokens") || !(*reply)["tokens"].is_array())
      return fail(ErrorKind::bad_output, "{}/tokenize: no tokens in the reply", shown_base());
    return static_cast<int>((*reply)["tokens"].size());
  }

  Result<GenerateResult> generate(const GenerateRequest& request, std::stop_token stop) override {
    auto info = model_info();
    if (!info)
      return tl::unexpected(info.error());
    json body = {{"model", m_model},
                 {"messages", json::array()},
                 {"max_tokens", request.max_tokens},
                 {"temperature", request.temperature},
                 {"stream", true},
                 {"stream_options", {{"include_usage", true}}}};
    if (request.seed != 0)
      body["seed"] = request.seed;
    for (const auto& m : request.messages)
      body["messages"].push_back({{"role", to_string(m.role)}, {"content", m.content}});
    if (request.json_schema && m_options.json_schema)
      body["response_format"] = {
          {"type", "json_schema"},
          {"json_schema", {{"name", "reply"}, {"strict", true}, {"schema", *request.json_schema}}}};
    if (m_llama_server)
      body["cache_prompt"] = true;
    // A unit's calls all go to one slot, which keeps its evaluated prompt. They take turns here,
    // not in the server's queue: a call queued there would receive nothing and run into the idle
    // timeout while the calls before it are answered.
    std::optional<SlotLease> slot;
    if (m_llama_server && !request.prefix_key.empty()) {
      slot.emplace(*this, request.prefix_key, stop);
      if (slot->slot < 0)
        return fail(ErrorKind::cancelled, "stopped while waiting for the unit's slot");
      body["id_slot"] = slot->slot;
    }
    return stream_completion(body, request.max_tokens, stop);
  }

  void unload() override {}  // the server owns the model

  // llama-server's /health (503 while it loads), another server's /v1/models, each within
  // k_probe_timeout; before the server was ever heard from, /v1/models and then model_info().
  Result<void> probe() override {
    bool llama_server = false;
    bool known = false;
    {
      std::lock_guard lock(m_info_mutex);
      known = m_info.has_value();
      llama_server = m_llama_server;
    }
    // Never heard from: its model list within the probe's limit first, so that a server that
    // does not answer costs k_probe_timeout, not request_timeout; then the model.
    const std::string path = known && llama_server ? "/health" : "/v1/models";
    auto alive = probe_get(path);
    // (mlx_lm.server may fail its model list and still serve: discovery says so below.)
    const bool lenient = !m_options.require_listed_model && !known && !alive &&
                         alive.error().kind == ErrorKind::bad_output;
    if ((!alive && !lenient) || known)
      return alive;
    auto info = model_info();
    if (!info)
      return tl::unexpected(info.error());
    return {};
  }

  Result<void> probe_get(const std::string& path) {
    auto r = request("GET", path);
    const std::chrono::milliseconds limit = k_probe_timeout;
    r.idle_timeout =
        m_options.request_timeout.count() > 0 ? std::min(m_options.request_timeout, limit) : limit;
    r.total_timeout = r.idle_timeout;
    auto l = m_pool.lease();
    auto reply = json_reply(fmt::format("GET {}{}", shown_base(), path), l->send(r));
    if (!reply)
      return tl::unexpected(reply.error());
    return {};
  }

  // The unit's slot is free for the next unit.
  void end_prefix(const std::string& prefix_key) override {
    std::lock_guard lock(m_slot_mutex);
    if (m_slot_of.erase(prefix_key) == 0)
      return;
    m_slot_order.erase(std::find(m_slot_order.begin(), m_slot_order.end(), prefix_key));
  }

 private:
  std::string shown_base() const { return net::redact_url(m_base); }

  // A call that generates nothing takes at most request_timeout in all.
  net::Request request(std::string method, const std::string& path) const {
    net::Request r;
    r.method = std::move(method);
    r.url = m_base + path;
    r.idle_timeout = m_options.request_timeout;
    r.total_timeout = m_options.request_timeout;
    if (!m_options.api_key.empty())
      r.headers.emplace_back("Authorization", "Bearer " + m_options.api_key);
    return r;
  }

  Result<json> get(const std::string& path) {
    auto l = m_pool.lease();
    return json_reply(fmt::format("GET {}{}", shown_base(), path), l->send(request("GET", path)));
  }

  Result<json> post_json(const std::string& path, const json& body) {
    auto r = request("POST", path);
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    auto l = m_pool.lease();
    return json_reply(fmt::format("POST {}{}", shown_base(), path), l->send(r));
  }

  // A slot held for one call; slot < 0 when the wait for it was stopped.
  struct SlotLease {
    OpenAiBackend& owner;
    int slot;
    SlotLease(OpenAiBackend& o, const std::string& key, const std::stop_token& stop)
        : owner(o), slot(o.take_slot(key, stop)) {}
    ~SlotLease() {
      if (slot < 0)
        return;
      {
        std::lock_guard lock(owner.m_slot_mutex);
        owner.m_busy[static_cast<size_t>(slot)] = false;
      }
      owner.m_slot_free.notify_all();
    }
    SlotLease(const SlotLease&) = delete;
    SlotLease& operator=(const SlotLease&) = delete;
  };

  // The key's slot (a new key takes the slot held by the fewest keys, so the units in flight — at
  // most one per slot when max_concurrent_files matches the server's slots — each get their own),
  // once it is free; -1 when stopped first.
  int take_slot(const std::string& key, const std::stop_token& stop) {
    std::unique_lock lock(m_slot_mutex);
    int slot;
    if (auto it = m_slot_of.find(key); it != m_slot_of.end()) {
      slot = it->second;
    } else {
      slot = least_held_slot();
      m_slot_of[key] = slot;
      m_slot_order.push_back(key);
      while (m_slot_order.size() > static_cast<size_t>(m_slots) * 8) {
        m_slot_of.erase(m_slot_order.front());
        m_slot_order.pop_front();
      }
    }
    auto index = static_cast<size_t>(slot);
    if (!m_slot_free.wait(lock, stop, [&] { return !m_busy[index]; }))
      return -1;
    m_busy[index] = true;
    return slot;
  }

  // A new key's slot: one held by the fewest keys (a unit's ended with end_prefix), the next in
  // turn among those.
  int least_held_slot() {
    std::vector<int> held(static_cast<size_t>(m_slots), 0);
    for (const auto& [key, slot] : m_slot_of)
      ++held[static_cast<size_t>(slot)];
    int best = -1;
    for (int i = 0; i < m_slots; ++i) {
      int candidate = (m_next_slot + i) % m_slots;
      if (best < 0 || held[static_cast<size_t>(candidate)] < held[static_cast<size_t>(best)])
        best = candidate;
    }
    m_next_slot = best + 1;
    return best;
  }

  // The reply of a completion asking for at most `max_tokens`, within its limits
  // (reply_limits.hpp).
  // A reply that falls into a loop is stopped there (llm/repetition.hpp), a schema-constrained
  // one too: its caller reads what the cut JSON completed.
  Result<GenerateResult> stream_completion(const json& body, int max_tokens,
                                           const std::stop_token& stop) {
    const ReplyLimits limits =
        reply_limits(max_tokens, m_options.request_timeout, m_options.seconds_per_token);
    auto r = request("POST", "/v1/chat/completions");
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    r.headers.emplace_back("Accept", "text/event-stream");
    r.total_timeout = limits.total_time;
    r.max_body_bytes = limits.max_bytes;
    StreamedReply reply(fmt::format("POST {}/v1/chat/completions", shown_base()), max_tokens,
                        limits, {"an event", "events", "max_tokens"});
    GenerateResult& result = reply.result();
    bool finished = false;
    bool done = false;
    net::SseParser sse;
    auto on_event = [&](std::string_view data) {
      if (!reply.take_message())
        return;
      if (data == "[DONE]") {
        done = true;
        return;
      }
      auto parsed = reply.parse_message(data);
      if (!parsed)
        return;
      const json& chunk = *parsed;
      if (chunk.contains("choices") && chunk["choices"].is_array() && !chunk["choices"].empty()) {
        const json& choice = chunk["choices"][0];
        if (choice.contains("delta") && choice["delta"].is_object()) {
          const json& delta = choice["delta"];
          if (delta.contains("content") && delta["content"].is_string())
            reply.add_text(delta["content"].get<std::string>());
        }
        if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
          finished = true;
          result.finish =
              choice["finish_reason"] == "length" ? FinishReason::length : FinishReason::stop;
        }
      }
      auto number = [](const json& j, const char* key, int fallback) {
        return j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : fallback;
      };
      if (chunk.contains("usage") && chunk["usage"].is_object()) {
        const json& u = chunk["usage"];
        result.prompt_tokens = number(u, "prompt_tokens", result.prompt_tokens);
        result.completion_tokens = number(u, "completion_tokens", result.completion_tokens);
        if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object())
          result.cached_prompt_tokens =
              number(u["prompt_tokens_details"], "cached_tokens", result.cached_prompt_tokens);
      }
      if (chunk.contains("timings") && chunk["timings"].is_object())
        result.cached_prompt_tokens =
            number(chunk["timings"], "cache_n", result.cached_prompt_tokens);
    };
    auto l = m_pool.lease();
    auto res = l->send(r, stop, [&](std::string_view bytes) {
      sse.feed(bytes, on_event);
      return reply.keep_reading();
    });
    // A missing model: name what was asked for (mlx_lm.server does not).
    if (auto ended = reply.after_transfer(res, [&](std::string_view reply_body) {
          return fmt::format("{}: HTTP {}: no model \"{}\" there: {}", reply.what(), res->status,
                             m_model, server_message(reply_body));
        }))
      return std::move(*ended);
    sse.finish(on_event);
    return reply.finish(finished || done, "completion");
  }

  OpenAiOptions m_options;
  std::string m_base;

  // Set once, by the first model_info() to hear from the server; read after a model_info() call
  // (whose lock orders the read after the write).
  std::mutex m_info_mutex;  // guards what follows until the pool
  std::optional<ModelInfo> m_info;
  std::string m_model;
  bool m_llama_server = false;
  int m_slots = 1;  // written under both mutexes, so either may be held to read it

  net::ClientPool m_pool;

  std::mutex m_slot_mutex;
  std::map<std::string, int> m_slot_of;
  std::deque<std::string> m_slot_order;
  std::vector<bool> m_busy;  // a call is in flight on the slot
  int m_next_slot = 0;
  std::condition_variable_any m_slot_free;
};

}  // namespace

std::unique_ptr<Backend> make_openai_backend(OpenAiOptions options) {
  return std::make_unique<OpenAiBackend>(std::move(options));
}

std::unique_ptr<Backend> make_mlx_backend(OpenAiOptions options) {
  options.json_schema = false;
  options.backend_name = "mlx";
  options.require_listed_model = false;
  return std::make_unique<OpenAiBackend>(std::move(options));
}

}  // namespace g2d::llm::openai
