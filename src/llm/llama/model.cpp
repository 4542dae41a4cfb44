#include "llm/llama/model.hpp"

#include <array>
#include <fstream>
#include <mutex>

#include <spdlog/spdlog.h>

namespace g2d::llm::llama {

namespace fs = std::filesystem;

namespace {

void log_to_spdlog(ggml_log_level level, const char* text, void* /*user*/) {
  std::string_view line(text);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.empty())
    return;
  if (level == GGML_LOG_LEVEL_ERROR) {
    spdlog::debug("llama.cpp error: {}", line);
  } else {
    spdlog::trace("llama.cpp: {}", line);
  }
}

bool has_gguf_magic(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> magic{};
  in.read(magic.data(), magic.size());
  return in && std::string_view(magic.data(), magic.size()) == "GGUF";
}

std::string meta_string(const llama_model* model, const char* key) {
  std::array<char, 256> buf{};
  int n = llama_model_meta_val_str(model, key, buf.data(), buf.size());
  return n > 0 ? std::string(buf.data()) : std::string();
}

// Renders `messages` with `tmpl`; returns a negative size when libllama does not know the template.
int apply_template(const std::string& tmpl, const std::vector<llama_chat_message>& chat,
                   std::string& out) {
  out.resize(1024);
  int n = llama_chat_apply_template(tmpl.c_str(), chat.data(), chat.size(), true, out.data(),
                                    static_cast<int32_t>(out.size()));
  if (n > static_cast<int>(out.size())) {
    out.resize(static_cast<size_t>(n));
    n = llama_chat_apply_template(tmpl.c_str(), chat.data(), chat.size(), true, out.data(),
                                  static_cast<int32_t>(out.size()));
  }
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return n;
}

Result<std::vector<llama_token>> tokenize(const llama_vocab* vocab, std::string_view text,
                                          bool parse_special) {
  std::vector<llama_token> tokens(text.size() + 8);
  auto call = [&] {
    return llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                          static_cast<int32_t>(tokens.size()), false, parse_special);
  };
  int n = call();
  if (n < 0 && n != INT32_MIN) {
    tokens.resize(static_cast<size_t>(-n));
    n = call();
  }
  if (n < 0)
    return fail(ErrorKind::invalid_argument, "cannot tokenize a text of {} bytes", text.size());
  tokens.resize(static_cast<size_t>(n));
  return tokens;
}

}  // namespace

void ensure_runtime() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(log_to_spdlog, nullptr);
    llama_backend_init();
  });
}

Result<LoadedModel> load_model(const fs::path& path, int gpu_layers) {
  ensure_runtime();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return fail(ErrorKind::model_missing, "model file not found: {}", path.string());
  }
  if (!has_gguf_magic(path)) {
    return fail(ErrorKind::model_invalid, "{} is not a GGUF model file (bad magic)", path.string());
  }
  llama_model_params params = llama_model_default_params();
  params.n_gpu_layers = gpu_layers;
  LoadedModel loaded;
  loaded.model.reset(llama_model_load_from_file(path.c_str(), params));
  if (!loaded.model) {
    if (gpu_layers != 0 && llama_supports_gpu_offload()) {
      return fail(ErrorKind::unavailable,
                  "llama.cpp cannot load {}: out of GPU memory, an unsupported architecture or a "
                  "damaged file (try llm.gpu_layers: 0; run with -vv for its log)",
                  path.string());
    }
    return fail(ErrorKind::model_invalid,
                "llama.cpp cannot load {} (unsupported architecture or a damaged file; run "
                "with -vv for its log)",
                path.string());
  }
  loaded.vocab = llama_model_get_vocab(loaded.model.get());
  loaded.name = meta_string(loaded.model.get(), "general.name");
  if (loaded.name.empty())
    loaded.name = path.filename().string();
  loaded.trained_context = llama_model_n_ctx_train(loaded.model.get());

  // Keep the model's template only if libllama can apply it; otherwise ChatML.
  const char* tmpl = llama_model_chat_template(loaded.model.get(), nullptr);
  loaded.chat_template = tmpl != nullptr ? tmpl : "chatml";
  std::vector<llama_chat_message> probe{{"user", "x"}};
  std::string out;
  if (apply_template(loaded.chat_template, probe, out) < 0) {
    spdlog::warn("{}: chat template not supported by llama.cpp; using ChatML", loaded.name);
    loaded.chat_template = "chatml";
  }
  return loaded;
}

Result<std::vector<llama_token>> tokenize_text(const llama_vocab* vocab, std::string_view text) {
  return tokenize(vocab, text, false);
}

Result<std::vector<llama_token>> tokenize_chat(const LoadedModel& model,
                                               const std::vector<Message>& messages) {
  // Render the template with a sentinel in place of each content, then tokenize the template's
  // own pieces (special tokens on) and the contents (special tokens off) separately.
  std::vector<std::string> sentinels;
  std::vector<std::string> roles;
  sentinels.reserve(messages.size());
  roles.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    sentinels.push_back(fmt::format("\x1e@g2d-msg-{}@\x1e", i));
    roles.emplace_back(to_string(messages[i].role));
  }
  std::vector<llama_chat_message> chat;
  chat.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    chat.push_back({roles[i].c_str(), sentinels[i].c_str()});
  }
  std::string rendered;
  if (apply_template(model.chat_template, chat, rendered) < 0) {
    return fail(ErrorKind::internal, "cannot apply the chat template of {}", model.name);
  }

  std::vector<llama_token> tokens;
  if (llama_vocab_get_add_bos(model.vocab))
    tokens.push_back(llama_vocab_bos(model.vocab));
  size_t pos = 0;
  for (size_t i = 0; i < messages.size(); ++i) {
    size_t at = rendered.find(sentinels[i], pos);
    if (at == std::string::npos) {
      return fail(ErrorKind::internal, "chat template of {} dropped message {}", model.name, i);
    }
    auto markup = tokenize(model.vocab, std::string_view(rendered).substr(pos, at - pos), true);
    if (!markup)
      return tl::unexpected(markup.error());
    tokens.insert(tokens.end(), markup->begin(), markup->end());
    auto content = tokenize(model.vocab, messages[i].content, false);
    if (!content)
      return tl::unexpected(content.error());
    tokens.insert(tokens.end(), content->begin(), content->end());
    pos = at + sentinels[i].size();
  }
  auto tail = tokenize(model.vocab, std::string_view(rendered).substr(pos), true);
  if (!tail)
    return tl::unexpected(tail.error());
  tokens.insert(tokens.end(), tail->begin(), tail->end());
  // A template that writes the BOS text itself must not get a second one.
  if (tokens.size() > 1 && tokens[0] == llama_vocab_bos(model.vocab) && tokens[1] == tokens[0]) {
    tokens.erase(tokens.begin());
  }
  return tokens;
}

std::string token_piece(const llama_vocab* vocab, llama_token token) {
  std::array<char, 256> buf{};
  int n = llama_token_to_piece(vocab, token, buf.data(), buf.size(), 0, false);
  if (n < 0) {
    std::string big(static_cast<size_t>(-n), '\0');
    n = llama_token_to_piece(vocab, token, big.data(), static_cast<int32_t>(big.size()), 0, false);
    big.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return big;
  }
  return std::string(buf.data(), static_cast<size_t>(n));
}

}  // namespace g2d::llm::llama
