// dataset/formats.hpp — one stored sample as one JSONL line in each export format that
// fine-tuning tools read directly:
//   alpaca    {"instruction", "input", "output"} (+ "system" when a system prompt is set):
//             the question, the code it is about, the answer (Alpaca, LLaMA-Factory, axolotl)
//   sharegpt  {"conversations": [{"from": "system"|"human"|"gpt", "value"}]} (axolotl, Unsloth)
//   openai    {"messages": [{"role": "system"|"user"|"assistant", "content"}]} (the OpenAI
//             fine-tuning format; what TRL's SFTTrainer and mlx-lm's LoRA read)
//   chatml    {"text": "<|im_start|>system\n…<|im_end|>\n<|im_start|>user\n…"} (one text field)
//   raw       every column, with provenance (repository, commit, path, line range, model,
//             prompt version, settings fingerprint, quality flags)
// By default the code is part of the sample (Alpaca's input; the user message otherwise), as a
// fenced block under its path and line range, so no question points at code that is not there.
//
// Thread-safety: pure functions.
// Errors: none; text that is not valid UTF-8 is written with U+FFFD in its place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace g2d::dataset {

enum class Format { alpaca, sharegpt, openai, chatml, raw };

std::string_view to_string(Format format);
std::optional<Format> parse_format(std::string_view name);

// What a line is made of: a stored sample and the code unit it was asked about. A view: the text
// it points to outlives every call it is passed to (the export points it into the row it read).
struct ExportSample {
  std::int64_t id = 0;
  std::string_view question;
  std::string_view answer;
  std::string_view code;       // the unit's code as the model saw it (secrets redacted)
  std::string_view file_path;  // the path in the repository ("src/a.c")
  std::string_view language;
  std::string_view scope;  // "namespace a > class B", or empty
  int line_start = 1;
  int line_end = 1;
  std::string_view repo_url;  // the repository's published name (core/repository_name.hpp)
  std::string_view commit_sha;
  std::string_view file_hash;
  std::string_view model;
  std::string_view prompt_version;
  std::string_view settings_fingerprint;
  std::string_view quality_flags;   // comma-separated
  std::optional<double> grounding;  // nullopt: not measured
  std::int64_t created_at = 0;
};

struct FormatOptions {
  bool include_code = true;
  std::string system_prompt;  // empty: no system message
};

// The code as a fenced block under its path and line range ("path (lines 3-5, in class B):").
std::string code_block(const ExportSample& sample);

// The user's side of the exchange: the code block (when included), a blank line, the question.
std::string user_message(const ExportSample& sample, const FormatOptions& options);

// One JSON object, without the trailing newline, appended to `out` (which the export reuses from
// one line to the next, so a line costs no allocation once it has grown).
void append_line(std::string& out, Format format, const ExportSample& sample,
                 const FormatOptions& options);
// The same as a string of its own.
std::string format_line(Format format, const ExportSample& sample, const FormatOptions& options);

}  // namespace g2d::dataset
