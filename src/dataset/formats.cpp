#include "dataset/formats.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include "core/enum_names.hpp"
#include "dataset/json_line.hpp"

namespace g2d::dataset {

namespace {

constexpr auto k_names = enum_names<Format>({
    {Format::alpaca, "alpaca"},
    {Format::sharegpt, "sharegpt"},
    {Format::openai, "openai"},
    {Format::chatml, "chatml"},
    {Format::raw, "raw"},
});

// The longest run of backticks in `text`.
size_t longest_backtick_run(std::string_view text) {
  size_t longest = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while ((p = static_cast<const char*>(std::memchr(p, '`', static_cast<size_t>(end - p)))) !=
         nullptr) {
    const char* run = p;
    while (p < end && *p == '`')
      ++p;
    longest = std::max(longest, static_cast<size_t>(p - run));
  }
  return longest;
}

}  // namespace

std::string_view to_string(Format format) {
  return name_of(k_names, format, "raw");
}

std::optional<Format> parse_format(std::string_view name) {
  return value_of(k_names, name);
}

namespace {

// The pieces of a sample's code block ("path (lines 3-5, in class B):\n```c\n…\n```"), which
// `header` and `fence` hold the text of: the block is never built as a string of its own.
struct CodeBlockParts {
  fmt::memory_buffer header;
  std::string fence;
  std::string_view language;
  std::string_view code;
  std::string_view newline;
};

void code_block_parts(const ExportSample& sample, CodeBlockParts& parts) {
  // A fence longer than any backtick run inside the code, so the code cannot close it.
  parts.fence.assign(std::max<size_t>(3, longest_backtick_run(sample.code) + 1), '`');
  parts.newline = !sample.code.empty() && sample.code.back() == '\n' ? "" : "\n";
  parts.header.clear();
  fmt::format_to(std::back_inserter(parts.header), "{} (lines {}-{}", sample.file_path,
                 sample.line_start, sample.line_end);
  if (!sample.scope.empty())
    fmt::format_to(std::back_inserter(parts.header), ", in {}", sample.scope);
  fmt::format_to(std::back_inserter(parts.header), "):\n");
  parts.language = sample.language;
  parts.code = sample.code;
}

std::string_view view(const fmt::memory_buffer& buffer) {
  return {buffer.data(), buffer.size()};
}

// The user's message as one JSON string value: the code block (when included), a blank line,
// the question.
void user_value(JsonLine& w, const ExportSample& s, const FormatOptions& options,
                CodeBlockParts& parts) {
  if (!options.include_code) {
    w.string(s.question);
    return;
  }
  code_block_parts(s, parts);
  w.strings({view(parts.header), parts.fence, parts.language, "\n", parts.code, parts.newline,
             parts.fence, "\n\n", s.question});
}

// How a conversation format names its parts: ShareGPT's from/value, OpenAI's role/content.
struct ConversationNames {
  std::string_view list;
  std::string_view speaker;
  std::string_view text;
  std::string_view system;
  std::string_view user;
  std::string_view assistant;
};

// The turns: the system prompt (when set), the user's message, the answer.
void conversation(JsonLine& w, const ExportSample& s, const FormatOptions& options,
                  CodeBlockParts& parts, const ConversationNames& names) {
  w.key(names.list).begin_array();
  if (!options.system_prompt.empty()) {
    w.begin_object().key(names.speaker).string(names.system).key(names.text);
    w.string(options.system_prompt).end_object();
  }
  w.begin_object().key(names.speaker).string(names.user).key(names.text);
  user_value(w, s, options, parts);
  w.end_object();
  w.begin_object().key(names.speaker).string(names.assistant).key(names.text);
  w.string(s.answer).end_object();
  w.end_array();
}

}  // namespace

std::string code_block(const ExportSample& sample) {
  CodeBlockParts parts;
  code_block_parts(sample, parts);
  return fmt::format("{}{}{}\n{}{}{}", view(parts.header), parts.fence, parts.language, parts.code,
                     parts.newline, parts.fence);
}

std::string user_message(const ExportSample& sample, const FormatOptions& options) {
  if (!options.include_code)
    return std::string(sample.question);
  return fmt::format("{}\n\n{}", code_block(sample), sample.question);
}

void append_line(std::string& out, Format format, const ExportSample& s,
                 const FormatOptions& options) {
  const bool system = !options.system_prompt.empty();
  CodeBlockParts parts;
  JsonLine w(out);
  w.begin_object();
  switch (format) {
    case Format::alpaca:
      w.key("instruction").string(s.question).key("input");
      if (options.include_code) {
        code_block_parts(s, parts);
        w.strings({view(parts.header), parts.fence, parts.language, "\n", parts.code, parts.newline,
                   parts.fence});
      } else {
        w.string("");
      }
      w.key("output").string(s.answer);
      if (system)
        w.key("system").string(options.system_prompt);
      break;
    case Format::sharegpt:
      conversation(w, s, options, parts,
                   {"conversations", "from", "value", "system", "human", "gpt"});
      break;
    case Format::openai:
      conversation(w, s, options, parts,
                   {"messages", "role", "content", "system", "user", "assistant"});
      break;
    case Format::chatml: {
      w.key("text");
      std::string_view sys_open = system ? "<|im_start|>system\n" : "";
      std::string_view sys_close = system ? "<|im_end|>\n" : "";
      std::string_view user_open = "<|im_start|>user\n";
      std::string_view turn_end = "<|im_end|>\n<|im_start|>assistant\n";
      if (options.include_code) {
        code_block_parts(s, parts);
        w.strings({sys_open, options.system_prompt, sys_close, user_open, view(parts.header),
                   parts.fence, parts.language, "\n", parts.code, parts.newline, parts.fence,
                   "\n\n", s.question, turn_end, s.answer, "<|im_end|>\n"});
      } else {
        w.strings({sys_open, options.system_prompt, sys_close, user_open, s.question, turn_end,
                   s.answer, "<|im_end|>\n"});
      }
      break;
    }
    case Format::raw:
      w.key("id").integer(s.id);
      w.key("question").string(s.question);
      w.key("answer").string(s.answer);
      w.key("code").string(s.code);
      w.key("repo_url").string(s.repo_url);
      w.key("commit").string(s.commit_sha);
      w.key("path").string(s.file_path);
      w.key("language").string(s.language);
      w.key("scope").string(s.scope);
      w.key("line_start").integer(s.line_start);
      w.key("line_end").integer(s.line_end);
      w.key("file_hash").string(s.file_hash);
      w.key("model").string(s.model);
      w.key("prompt_version").string(s.prompt_version);
      w.key("settings_fingerprint").string(s.settings_fingerprint);
      // One type per column in every row: a loader that infers a column's type from its first
      // rows (Hugging Face `datasets`) fails on a list that is empty there and not later, or a
      // null that becomes a number.
      w.key("quality_flags").string(s.quality_flags);
      w.key("grounding").real(s.grounding ? *s.grounding : -1.0);
      w.key("created_at").integer(s.created_at);
      break;
  }
  w.end_object();
}

std::string format_line(Format format, const ExportSample& s, const FormatOptions& options) {
  std::string line;
  append_line(line, format, s, options);
  return line;
}

}  // namespace g2d::dataset
