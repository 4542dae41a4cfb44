// config/layers.hpp — internal to g2d_config: the configuration being built up, one layer at a
// time (defaults, the file, the environment, the flags), with every problem found on the way.
//
// Ownership: a Layering is a plain value owned by one load() call. Errors are collected in
// `problems`, never thrown, so that one run reports all of them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "config/config.hpp"
#include "config/schema.hpp"

namespace g2d::config::detail {

// One line of the error report: "{key_path}: {what} ({location}){hint}".
struct Problem {
  std::string key_path;  // empty for a problem of the whole file (a syntax error)
  std::string what;      // "expected integer >= 512 (or 0), got \"big\"", "unknown key"
  std::string location;  // "line 4", "GIT2DATASET_LLM_MODEL", "--model"
  std::string hint;      // "; did you mean llm.context_window?"

  std::string render() const;
};

struct Layering {
  Config config;
  std::map<std::string, Origin> origins;         // every key path
  std::map<std::string, std::string> locations;  // key path → where its value was set
  std::vector<Problem> problems;

  Layering();
  void set(const KeySpec& key, const Value& value, Origin origin, std::string location);
  // `location` empty: the line of the value ("line N").
  void reject(const Invalid& invalid, std::string location = {});
};

// The file's text, `file_name` naming it in origins ("git2dataset.yaml:4").
void apply_yaml(Layering& layers, const std::string& text, const std::string& file_name);

// An environment variable's or a flag's value: "[a, b]" and quoted text are read as YAML; other
// text is taken as it is (so "*.test.*" or "a #b" need no quoting). Error: what YAML said.
tl::expected<Raw, std::string> raw_from_text(std::string_view text);

// The key path most likely meant by `name` written in `section` (which may be empty or unknown):
// a near miss of the full path, else the same or a near name in any section.
std::optional<std::string> suggest_key(std::string_view section, std::string_view name);

}  // namespace g2d::config::detail
