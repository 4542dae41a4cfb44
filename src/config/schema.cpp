// The key table. Defaults are not repeated here: they are Config's member initialisers, read
// through each key's getter, so the structs, the schema and `init`'s file cannot disagree.
#include "config/schema.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "config/suggest.hpp"
#include "core/text.hpp"

namespace g2d::config::detail {

namespace {

constexpr std::int64_t k_int_max = std::numeric_limits<int>::max();

template <class T>
Value to_value(const T& v) {
  // Integers widen to the one integer alternative; bool, double, strings and lists map as-is.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<std::int64_t>(v);
  } else {
    return v;
  }
}

// Values reach set() only after convert() checked their type and range, so the narrowing casts
// below cannot change them.
template <class T>
T from_value(const Value& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return std::get<bool>(v);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(std::get<std::int64_t>(v));
  } else {
    return std::get<T>(v);
  }
}

template <auto Section, auto Member>
KeySpec key(std::string section, std::string name, Type type, std::string help) {
  KeySpec k;
  k.path = section + "." + name;
  k.section = std::move(section);
  k.name = std::move(name);
  k.type = type;
  k.help = std::move(help);
  k.get = [](const Config& c) { return to_value((c.*Section).*Member); };
  k.set = [](Config& c, const Value& v) {
    using Field = std::remove_cvref_t<decltype((c.*Section).*Member)>;
    (c.*Section).*Member = from_value<Field>(v);
  };
  return k;
}

KeySpec with_ints(KeySpec k, IntRange range) {
  k.ints = range;
  return k;
}

KeySpec with_rule(KeySpec k, TextRule rule) {
  k.rule = rule;
  return k;
}

std::vector<KeySpec> build_llm() {
  using L = LlmConfig;
  constexpr auto s = &Config::llm;
  std::vector<KeySpec> keys;
  KeySpec backend = key<s, &L::backend>(
      "llm", "backend", Type::choice,
      "LLM backend: llama_cpp (in-process, the default) | ollama | openai | mlx");
  backend.choices = {"llama_cpp", "ollama", "openai", "mlx"};
  keys.push_back(std::move(backend));
  keys.push_back(key<s, &L::model>(
      "llm", "model", Type::text,
      "llama_cpp: path to a GGUF model file (empty: the small default model that\n"
      "scripts/setup.sh fetched). ollama / openai / mlx: the model name (required)."));
  keys.push_back(
      with_rule(key<s, &L::base_url>(
                    "llm", "base_url", Type::text,
                    "Server URL for ollama / openai / mlx, starting with http:// or https://\n"
                    "(empty: the backend's usual local address)."),
                TextRule::http_url));
  keys.push_back(with_rule(
      key<s, &L::base_urls>(
          "llm", "base_urls", Type::text_list,
          "Several servers for ollama / openai / mlx, one line each instead of base_url:\n"
          "\"URL [parallel=N] [weight=N] [api_key_env=NAME]\". parallel: files the server\n"
          "takes at once (default pipeline.max_concurrent_files); weight: how much faster it\n"
          "is than the others (1 .. 100); api_key_env: the variable holding its API key.\n"
          "A file's calls all go to one server, which keeps the file's prompt evaluated."),
      TextRule::endpoint));
  keys.push_back(key<s, &L::allow_mixed_models>(
      "llm", "allow_mixed_models", Type::boolean,
      "Whether base_urls' servers may serve different models (each sample records its\n"
      "server's model); false: a run refuses them."));
  keys.push_back(with_ints(
      key<s, &L::max_retries>("llm", "max_retries", Type::integer,
                              "Retries of a failed request before the file is recorded as failed "
                              "(0 .. 100)."),
      {0, 100, true, std::nullopt}));
  keys.push_back(with_ints(
      key<s, &L::context_window>("llm", "context_window", Type::integer,
                                 "Tokens per request, prompt and answer together: 0 = the model's "
                                 "own,\nelse 512 .. 10000000."),
      {512, 10'000'000, false, 0}));
  keys.push_back(with_ints(
      key<s, &L::request_timeout>("llm", "request_timeout", Type::integer,
                                  "Seconds a request may go WITHOUT progress (idle, not total "
                                  "time) before it\nis abandoned; 0 = no limit."),
      {0, k_int_max, false, std::nullopt}));
  KeySpec per_token = key<s, &L::seconds_per_token>(
      "llm", "seconds_per_token", Type::number,
      "Servers (ollama, openai, mlx): a call may take request_timeout + max_tokens x this\n"
      "many seconds IN ALL, however steadily the server streams, then it fails (0 .. 3600;\n"
      "0 = no total limit).");
  per_token.numbers = {0, false, 3600.0};
  keys.push_back(std::move(per_token));
  keys.push_back(
      with_ints(key<s, &L::default_max_tokens>("llm", "default_max_tokens", Type::integer,
                                               "Most tokens generated per answer (1 .. 100000)."),
                {1, 100'000, true, std::nullopt}));
  KeySpec temperature = key<s, &L::temperature>(
      "llm", "temperature", Type::number,
      "Sampling temperature, a number from 0 to 2 (lower: more focused and repeatable).");
  temperature.numbers = {0, false, 2.0};
  keys.push_back(std::move(temperature));
  keys.push_back(with_ints(
      key<s, &L::questions_per_file>("llm", "questions_per_file", Type::integer,
                                     "Questions asked about each file (or each chunk of a large "
                                     "file), 1 .. 50."),
      {1, 50, true, std::nullopt}));
  keys.push_back(with_ints(key<s, &L::threads>("llm", "threads", Type::integer,
                                               "CPU threads for llama_cpp (and Ollama's "
                                               "num_thread): 0 = the cores not busy with other "
                                               "work at the start (Ollama: its own choice), else "
                                               "1 .. 1024."),
                           {0, 1024, true, std::nullopt}));
  keys.push_back(with_ints(
      key<s, &L::gpu_layers>("llm", "gpu_layers", Type::integer,
                             "Model layers llama_cpp puts on the GPU: -1 = all layers, 0 = none "
                             "(CPU only),\nelse that many."),
      {0, k_int_max, false, -1}));
  keys.push_back(with_ints(
      key<s, &L::draft_tokens>("llm", "draft_tokens", Type::integer,
                               "llama_cpp: tokens drafted per step from the prompt's own text\n"
                               "(prompt-lookup speculative decoding; the output is unchanged),\n"
                               "0 = off, else up to 32."),
      {0, 32, true, std::nullopt}));
  keys.push_back(key<s, &L::prompts_dir>(
      "llm", "prompts_dir", Type::text,
      "Folder with prompt templates replacing the built-in ones (system.txt, code.txt,\n"
      "questions.txt, answer.txt; any subset). Empty: the built-in prompts."));
  return keys;
}

std::vector<KeySpec> build_generation() {
  using G = GenerationConfig;
  constexpr auto s = &Config::generation;
  KeySpec mode = key<s, &G::mode>(
      "generation", "mode", Type::choice,
      "two_step: one call writes a unit's questions, then one call per question its\n"
      "answer | pairs: one call writes every question with its answer (fewer calls).");
  mode.choices = {"two_step", "pairs"};
  return {std::move(mode)};
}

std::vector<KeySpec> build_pipeline() {
  using P = PipelineConfig;
  constexpr auto s = &Config::pipeline;
  std::vector<KeySpec> keys;
  keys.push_back(with_rule(
      key<s, &P::repos_file>("pipeline", "repos_file", Type::text,
                             "File listing the repositories to read, one URL or path per line.\n"
                             "Relative paths here are relative to this file's directory."),
      TextRule::non_empty));
  keys.push_back(
      with_rule(key<s, &P::repos_dir>("pipeline", "repos_dir", Type::text,
                                      "Directory the repositories are cloned into and read from."),
                TextRule::non_empty));
  keys.push_back(
      with_rule(key<s, &P::database>("pipeline", "database", Type::text,
                                     "SQLite database file holding progress and the dataset (a "
                                     "postgresql:// URL, for scale-out, is not supported yet)."),
                TextRule::sqlite_path));
  keys.push_back(
      with_rule(key<s, &P::allowed_extensions>("pipeline", "allowed_extensions", Type::text_list,
                                               "File extensions read, each starting with '.'."),
                TextRule::extension));
  keys.push_back(with_rule(
      key<s, &P::include_file_names>("pipeline", "include_file_names", Type::text_list,
                                     "Extension-less file names also read, e.g. [Dockerfile, "
                                     "Makefile]."),
      TextRule::file_name));
  keys.push_back(with_rule(
      key<s, &P::ignore_patterns>("pipeline", "ignore_patterns", Type::text_list,
                                  "Paths skipped, in .gitignore syntax (a trailing / matches a "
                                  "directory)."),
      TextRule::non_empty));
  keys.push_back(
      with_ints(key<s, &P::max_file_bytes>("pipeline", "max_file_bytes", Type::integer,
                                           "Files larger than this many bytes are skipped (>= 1)."),
                {1, std::numeric_limits<std::int64_t>::max(), false, std::nullopt}));
  keys.push_back(with_ints(
      key<s, &P::max_units_per_file>("pipeline", "max_units_per_file", Type::integer,
                                     "Most units (prompt-sized pieces) one file may be cut into; "
                                     "a file that\nneeds more fails before any model call "
                                     "(1 .. 10000)."),
      {1, 10'000, true, std::nullopt}));
  keys.push_back(
      with_ints(key<s, &P::max_concurrent_files>("pipeline", "max_concurrent_files", Type::integer,
                                                 "Files processed at the same time (1 .. 256)."),
                {1, 256, true, std::nullopt}));
  keys.push_back(
      with_ints(key<s, &P::scrape_jobs>("pipeline", "scrape_jobs", Type::integer,
                                        "Repositories cloned or updated at the same time (1 .. "
                                        "64)."),
                {1, 64, true, std::nullopt}));
  keys.push_back(with_ints(
      key<s, &P::clone_depth>("pipeline", "clone_depth", Type::integer,
                              "Commits of history cloned (1: only the latest; 0: all of it)."),
      {0, std::numeric_limits<int>::max(), false, std::nullopt}));
  return keys;
}

std::vector<KeySpec> build_resources() {
  using R = ResourcesConfig;
  constexpr auto s = &Config::resources;
  std::vector<KeySpec> keys;
  KeySpec ram = key<s, &R::max_ram_gb>("resources", "max_ram_gb", Type::number,
                                       "Memory budget in gigabytes, a number > 0 (e.g. 8 or 3.5).");
  ram.numbers = {0, true, std::nullopt};
  keys.push_back(std::move(ram));
  keys.push_back(with_ints(
      key<s, &R::battery_pause_threshold>("resources", "battery_pause_threshold", Type::integer,
                                          "On battery, pause when the charge falls below this "
                                          "percentage (0 .. 100)."),
      {0, 100, true, std::nullopt}));
  keys.push_back(key<s, &R::enable_battery_monitoring>(
      "resources", "enable_battery_monitoring", Type::boolean,
      "Watch the battery and pause below the threshold: true or false."));
  keys.push_back(with_ints(
      key<s, &R::unload_after_idle_seconds>("resources", "unload_after_idle_seconds", Type::integer,
                                            "Unload the model after this many seconds without "
                                            "work; 0 = never unload."),
      {0, k_int_max, false, std::nullopt}));
  return keys;
}

std::vector<KeySpec> build_export() {
  using E = ExportConfig;
  constexpr auto s = &Config::export_;
  std::vector<KeySpec> keys;
  KeySpec format = key<s, &E::format>("export", "format", Type::choice,
                                      "Dataset format: alpaca, sharegpt, openai (messages, as TRL "
                                      "and mlx-lm read),\nchatml or raw (every column).");
  format.choices = {"alpaca", "sharegpt", "openai", "chatml", "raw"};
  keys.push_back(std::move(format));
  keys.push_back(with_rule(
      key<s, &E::output>("export", "output", Type::text,
                         "The JSONL file written (- for standard output). A relative path "
                         "is relative to\nthis file's directory (given as --output: to the "
                         "current directory)."),
      TextRule::non_empty));
  keys.push_back(key<s, &E::include_code>(
      "export", "include_code", Type::boolean,
      "Put the code each question is about in the sample (false: the question alone)."));
  keys.push_back(key<s, &E::system_prompt>("export", "system_prompt", Type::text,
                                           "The system message of each sample (\"\" for none)."));
  keys.push_back(key<s, &E::repositories>(
      "export", "repositories", Type::text_list,
      "Only these repositories (repo_url as exported, or folder); empty: all."));
  keys.push_back(key<s, &E::languages>("export", "languages", Type::text_list,
                                       "Only these languages (python, rust, ...); empty: all."));
  keys.push_back(with_rule(key<s, &E::paths>("export", "paths", Type::text_list,
                                             "Only paths (in the repository) matching one of "
                                             "these globs; empty: all."),
                           TextRule::non_empty));
  keys.push_back(
      with_ints(key<s, &E::min_answer_chars>("export", "min_answer_chars", Type::integer,
                                             "Answers shorter than this many characters are left "
                                             "out (>= 0)."),
                {0, k_int_max, false, std::nullopt}));
  KeySpec keep = key<s, &E::keep>(
      "export", "keep", Type::text_list,
      "Quality flags whose samples are kept anyway (all: every flag); a sample with any other\n"
      "flag is left out: truncated, empty, refusal, repetitive, control_chars, ungrounded,\n"
      "duplicate, near_duplicate, not_a_question, echo, names_no_code.");
  keep.choices = {"truncated",      "empty",      "refusal",       "repetitive",
                  "control_chars",  "ungrounded", "duplicate",     "near_duplicate",
                  "not_a_question", "echo",       "names_no_code", "all"};
  keys.push_back(std::move(keep));
  KeySpec grounding =
      key<s, &E::min_grounding>("export", "min_grounding", Type::number,
                                "An answer whose grounding score (share of the identifiers it "
                                "names found in\nthe code) is below this is ungrounded (0 .. 1).");
  grounding.numbers = {0, false, 1};
  keys.push_back(std::move(grounding));
  KeySpec near = key<s, &E::near_duplicate_similarity>(
      "export", "near_duplicate_similarity", Type::number,
      "Questions about the same code at least this alike (estimated Jaccard of word 3-grams)\n"
      "are near duplicates; the earliest is kept (0.5 .. 1).");
  near.numbers = {0.5, false, 1};
  keys.push_back(std::move(near));
  KeySpec validation = key<s, &E::validation_fraction>(
      "export", "validation_fraction", Type::number,
      "Share of the repositories (or files) written to <output>.validation.jsonl (0 .. 0.99).");
  validation.numbers = {0, false, 0.99};
  keys.push_back(std::move(validation));
  KeySpec split =
      key<s, &E::split_by>("export", "split_by", Type::choice,
                           "What the validation split keeps together: repository or file.");
  split.choices = {"repository", "file"};
  keys.push_back(std::move(split));
  keys.push_back(key<s, &E::card>("export", "card", Type::boolean,
                                  "Write the dataset card (README.md) beside the file."));
  return keys;
}

std::string format_number(double v) {
  return fmt::format("{}", v);
}

bool is_reserved_word(std::string_view s) {
  const std::string word = to_lower(s);
  for (const char* reserved : {"true", "false", "yes", "no", "on", "off", "null", "y", "n", ".inf",
                               "-.inf", "+.inf", ".nan"}) {
    if (word == reserved)
      return true;
  }
  return false;
}

// True when `s` reads back as the same string without quotes, in block and flow context alike.
bool is_plain_safe(std::string_view s) {
  if (s.empty() || is_reserved_word(s))
    return false;
  const auto is_word_char = [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '+';
  };
  if (!std::all_of(s.begin(), s.end(), is_word_char))
    return false;
  // A leading sign could read as a sequence entry or a number; a leading digit or ".5" as a
  // number (1.0, 1e3, 0x1f): all are quoted.
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  if (s.front() == '-' || s.front() == '+' || digit(s.front()))
    return false;
  return !(s.front() == '.' && (s.size() == 1 || digit(s[1])));
}

}  // namespace

const std::vector<KeySpec>& schema() {
  static const std::vector<KeySpec> table = [] {
    std::vector<KeySpec> all;
    for (auto part :
         {build_llm(), build_generation(), build_pipeline(), build_resources(), build_export()}) {
      for (auto& k : part)
        all.push_back(std::move(k));
    }
    return all;
  }();
  return table;
}

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names{"llm", "generation", "pipeline", "resources",
                                              "export"};
  return names;
}

const KeySpec* find_key(std::string_view path) {
  const auto& keys = schema();
  auto it =
      std::find_if(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.path == path; });
  return it == keys.end() ? nullptr : &*it;
}

std::string describe(const KeySpec& key) {
  switch (key.type) {
    case Type::text:
      switch (key.rule) {
        case TextRule::non_empty:
        case TextRule::sqlite_path:
          return "non-empty string";
        case TextRule::http_url:
          return "empty or a URL starting with http:// or https://";
        default:
          return "string";
      }
    case Type::choice:
      return fmt::format("one of {}", fmt::join(key.choices, ", "));
    case Type::integer: {
      const IntRange& r = key.ints;
      std::string text = r.show_max ? fmt::format("integer from {} to {}", r.min, r.max)
                                    : fmt::format("integer >= {}", r.min);
      if (r.special)
        text += fmt::format(" (or {})", *r.special);
      return text;
    }
    case Type::number: {
      const NumberRange& r = key.numbers;
      if (r.max)
        return fmt::format("number from {} to {}", format_number(r.min), format_number(*r.max));
      return fmt::format("number {} {}", r.min_exclusive ? ">" : ">=", format_number(r.min));
    }
    case Type::boolean:
      return "boolean (true or false)";
    case Type::text_list:
      return "list of strings";
  }
  return "value";
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string yaml_scalar(std::string_view s) {
  return is_plain_safe(s) ? std::string(s) : double_quoted(s);
}

}  // namespace g2d::config::detail
