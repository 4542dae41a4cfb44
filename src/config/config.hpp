// config/config.hpp — git2dataset's configuration: a YAML file turned into a typed, validated
// Config, with a default for every key, overridden by GIT2DATASET_<SECTION>_<KEY> environment
// variables and then by command-line flags (default < file < environment < flags). Every effective
// value remembers where it came from, for `config show`.
//
// Ownership: everything here is a plain value; load() reads only the file it is given (the
// environment is passed in, so tests inject their own). Thread-safety: all functions are
// reentrant; process_environment() reads the process environment and must not race with setenv.
// Errors: load() returns one Error of kind ErrorKind::config that lists every problem found (each
// naming the key path, what was expected, what was given, and the line or variable), or
// ErrorKind::not_found / io when the named file cannot be read (it must be a regular file: a FIFO
// or a device is refused without waiting on it) and ErrorKind::config when it is larger than
// k_max_file_bytes.
//
// Hostile YAML is bounded before anything walks it (the file's text, an environment variable's, a
// flag's): a document whose aliases would expand it past k_max_nodes values (a "billion laughs"),
// nests deeper than k_max_depth, or holds an alias of the collection that contains it (a cycle) is
// a configuration error naming its line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace g2d::config {

constexpr std::size_t k_max_file_bytes = std::size_t{1} << 20;  // the configuration file
constexpr std::size_t k_max_nodes = 100000;  // values in one document, every alias expanded
constexpr int k_max_depth = 32;              // collections inside collections

// The defaults below are the documented defaults (SPEC.md); the schema reads them from here.
struct LlmConfig {
  std::string backend = "llama_cpp";  // llama_cpp | ollama | openai | mlx
  std::string model;                  // GGUF path (llama_cpp; empty: the default model) or name
  std::string base_url;               // empty, or http(s):// URL of an ollama / openai / mlx server
  // Several servers, one line each: "URL [parallel=N] [weight=N] [api_key_env=NAME]"
  // (config/endpoints.hpp); empty: base_url's one server.
  std::vector<std::string> base_urls;
  bool allow_mixed_models = false;  // base_urls' servers may serve different models
  int max_retries = 3;              // 0 .. 100
  int context_window = 4096;        // tokens; 0 = the model's own, else 512 .. 10000000
  int request_timeout = 300;        // seconds without progress; 0 = none
  double seconds_per_token = 1;     // servers: a call's total time per token asked; 0 = none
  int default_max_tokens = 4096;    // 1 .. 100000
  double temperature = 0.2;         // 0 .. 2
  int questions_per_file = 5;       // 1 .. 50
  int threads = 0;                  // 0 = the cores other work leaves free, else 1 .. 1024
  int gpu_layers = -1;              // -1 = all layers, else >= 0
  int draft_tokens = 0;             // llama_cpp: prompt-lookup draft per step; 0 = off, .. 32
  std::string prompts_dir;          // empty: the built-in prompt templates

  bool operator==(const LlmConfig&) const = default;
};

// How the model writes a unit's pairs.
struct GenerationConfig {
  std::string mode = "two_step";  // two_step (questions, then an answer each) | pairs (one call)

  bool operator==(const GenerationConfig&) const = default;
};

struct PipelineConfig {
  std::string repos_file = "repos.txt";
  std::string repos_dir = "repos";
  std::string database = "git2dataset.db";  // SQLite path; a URL (PostgreSQL) is refused for now
  std::vector<std::string> allowed_extensions{".py", ".js",   ".ts",  ".go",
                                              ".rs", ".java", ".cpp", ".c"};
  std::vector<std::string> include_file_names;  // extension-less names: Dockerfile, Makefile
  std::vector<std::string> ignore_patterns{"*.test.*", "*.spec.*", "node_modules/", "target/",
                                           "build/"};
  std::int64_t max_file_bytes = 1000000;  // >= 1
  int max_units_per_file = 16;            // 1 .. 10000: more is the file's failure
  int max_concurrent_files = 4;           // 1 .. 256
  int scrape_jobs = 4;                    // repositories cloned / updated at once, 1 .. 64
  int clone_depth = 1;                    // commits of history fetched; 0 = the full history

  bool operator==(const PipelineConfig&) const = default;
};

struct ResourcesConfig {
  double max_ram_gb = 8;             // > 0
  int battery_pause_threshold = 20;  // percent, 0 .. 100
  bool enable_battery_monitoring = true;
  int unload_after_idle_seconds = 60;  // 0 = never unload

  bool operator==(const ResourcesConfig&) const = default;
};

// What `export` (and `run`) write; every key also has a flag on those commands.
struct ExportConfig {
  std::string format = "openai";         // alpaca | sharegpt | openai | chatml | raw
  std::string output = "dataset.jsonl";  // "-": standard output
  bool include_code = true;              // the code a question is about is in the sample
  std::string system_prompt =            // "" = no system message
      "You are an expert software engineer. Answer questions about the code you are shown "
      "accurately and concisely, using only that code.";
  std::vector<std::string> repositories;   // only these (repo_url or folder); empty = all
  std::vector<std::string> languages;      // only these; empty = all
  std::vector<std::string> paths;          // only paths matching one of these globs; empty = all
  int min_answer_chars = 1;                // >= 0
  std::vector<std::string> keep;           // quality flags kept (or "all"); others are left out
  double min_grounding = 0.5;              // 0 .. 1
  double near_duplicate_similarity = 0.7;  // 0.5 .. 1
  double validation_fraction = 0;          // 0 .. 0.99
  std::string split_by = "repository";     // repository | file
  bool card = true;                        // README.md dataset card beside the file

  bool operator==(const ExportConfig&) const = default;
};

struct Config {
  LlmConfig llm;
  GenerationConfig generation;
  PipelineConfig pipeline;
  ResourcesConfig resources;
  ExportConfig export_;  // the `export:` section (`export` is a C++ keyword)

  bool operator==(const Config&) const = default;
};

enum class Source { default_value, file, environment, flag };

struct Origin {
  Source source = Source::default_value;
  // "" for a default; "git2dataset.yaml:4" (file name and 1-based line); "GIT2DATASET_LLM_MODEL";
  // the flag as given to Override::origin ("--model", "--set llm.model").
  std::string detail;

  bool operator==(const Origin&) const = default;
};

// A value from the command line. `value` is read like a YAML scalar or flow sequence ("[.py, .c]");
// list keys also take a comma-separated list (".py,.c").
struct Override {
  std::string key_path;  // "llm.context_window"
  std::string value;
  std::string origin;  // the flag, for messages and `config show`: "--set llm.model", "--model"
  // Exact: never read as YAML — `value` is the string itself (a text or choice key), or `items`
  // are the list's items (a list key), so "*.py", "a: b", "[x]" or "" mean what they say.
  bool exact = false;
  std::vector<std::string> items{};
};

struct LoadOptions {
  std::optional<std::filesystem::path> file;       // absent: defaults (+ environment + overrides)
  std::map<std::string, std::string> environment;  // only GIT2DATASET_<SECTION>_<KEY> are read
  std::vector<Override> overrides;                 // applied last, in order
};

struct LoadedConfig {
  Config config;
  std::map<std::string, Origin> origins;  // every key path, e.g. "llm.context_window"
  std::optional<std::filesystem::path> file;
  std::filesystem::path base_dir;  // absolute: the file's directory, or the cwd without a file
};

Result<LoadedConfig> load(const LoadOptions& options);

// An absolute path stays as it is; a relative one is joined to base_dir. A URL ("scheme://...",
// e.g. a postgresql:// database) and the empty string are returned unchanged.
std::filesystem::path resolve_path(const LoadedConfig& loaded, const std::string& configured);

// The GIT2DATASET_* variables of this process.
std::map<std::string, std::string> process_environment();

// The file `init` writes: every key with its default and a comment saying what it is. Loads back
// to exactly Config{}.
std::string render_default_yaml();

// `config show`: the effective values as YAML, each line commented with where it came from
// ("# default", "# git2dataset.yaml:4", "# env GIT2DATASET_LLM_MODEL", "# flag --model").
std::string render_effective(const LoadedConfig& loaded);

// Every key path, in schema order: "llm.backend", ..., "resources.unload_after_idle_seconds".
std::vector<std::string> key_paths();

}  // namespace g2d::config
