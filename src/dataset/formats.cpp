#include "dataset/formats.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace g2d::dataset {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<Format, std::string_view>, 5> k_names{{
    {Format::alpaca, "alpaca"},
    {Format::sharegpt, "sharegpt"},
    {Format::openai, "openai"},
    {Format::chatml, "chatml"},
    {Format::raw, "raw"},
}};

// The longest run of backticks in `text`.
size_t longest_backtick_run(std::string_view text) {
  size_t longest = 0;
  size_t run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

std::string dump(const json& j) {
  // Model output and code may hold invalid UTF-8: replaced (U+FFFD), never thrown about.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string_view to_string(Format format) {
  for (const auto& [f, name] : k_names)
    if (f == format)
      return name;
  return "raw";
}

std::optional<Format> parse_format(std::string_view name) {
  for (const auto& [f, n] : k_names)
    if (n == name)
      return f;
  return std::nullopt;
}

std::string_view format_names() {
  return "alpaca, sharegpt, openai, chatml, raw";
}

std::string code_block(const ExportSample& sample) {
  // A fence longer than any backtick run inside the code, so the code cannot close it.
  std::string fence(std::max<size_t>(3, longest_backtick_run(sample.code) + 1), '`');
  std::string_view newline = !sample.code.empty() && sample.code.back() == '\n' ? "" : "\n";
  std::string scope = sample.scope.empty() ? "" : fmt::format(", in {}", sample.scope);
  return fmt::format("{} (lines {}-{}{}):\n{}{}\n{}{}{}", sample.file_path, sample.line_start,
                     sample.line_end, scope, fence, sample.language, sample.code, newline, fence);
}

std::string user_message(const ExportSample& sample, const FormatOptions& options) {
  if (!options.include_code)
    return sample.question;
  return code_block(sample) + "\n\n" + sample.question;
}

std::string format_line(Format format, const ExportSample& s, const FormatOptions& options) {
  const bool system = !options.system_prompt.empty();
  switch (format) {
    case Format::alpaca: {
      json j = {{"instruction", s.question},
                {"input", options.include_code ? code_block(s) : std::string()},
                {"output", s.answer}};
      if (system)
        j["system"] = options.system_prompt;
      return dump(j);
    }
    case Format::sharegpt: {
      json turns = json::array();
      if (system)
        turns.push_back({{"from", "system"}, {"value", options.system_prompt}});
      turns.push_back({{"from", "human"}, {"value", user_message(s, options)}});
      turns.push_back({{"from", "gpt"}, {"value", s.answer}});
      return dump({{"conversations", turns}});
    }
    case Format::openai: {
      json messages = json::array();
      if (system)
        messages.push_back({{"role", "system"}, {"content", options.system_prompt}});
      messages.push_back({{"role", "user"}, {"content", user_message(s, options)}});
      messages.push_back({{"role", "assistant"}, {"content", s.answer}});
      return dump({{"messages", messages}});
    }
    case Format::chatml: {
      std::string text;
      if (system)
        text += "<|im_start|>system\n" + options.system_prompt + "<|im_end|>\n";
      text += "<|im_start|>user\n" + user_message(s, options) + "<|im_end|>\n";
      text += "<|im_start|>assistant\n" + s.answer + "<|im_end|>\n";
      return dump({{"text", text}});
    }
    case Format::raw:
      break;
  }
  return dump({{"id", s.id},
               {"question", s.question},
               {"answer", s.answer},
               {"code", s.code},
               {"repo_url", s.repo_url},
               {"commit", s.commit_sha},
               {"path", s.file_path},
               {"language", s.language},
               {"scope", s.scope},
               {"line_start", s.line_start},
               {"line_end", s.line_end},
               {"file_hash", s.file_hash},
               {"model", s.model},
               {"prompt_version", s.prompt_version},
               {"settings_fingerprint", s.settings_fingerprint},
               // One type per column in every row: a loader that infers a column's type from
               // its first rows (Hugging Face `datasets`) fails on a list that is empty there
               // and not later, or a null that becomes a number.
               {"quality_flags", s.quality_flags},
               {"grounding", s.grounding ? *s.grounding : -1.0},
               {"created_at", s.created_at}});
}

}  // namespace g2d::dataset
