// config/schema.hpp — internal to g2d_config: the table of every configuration key (its type,
// range, comment and where it lives in Config) and the one conversion from a parsed value to a
// typed one, shared by the file, the environment and the flags.
//
// Ownership: schema() is a static table built once (thread-safe initialisation). convert() is a
// pure function. Errors: convert() returns what was expected and what was given; the caller adds
// the location (a line, a variable or a flag).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <tl/expected.hpp>

#include "config/config.hpp"

namespace g2d::config::detail {

using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

enum class Type { text, choice, integer, number, boolean, text_list };

// Extra rules for a text value, or for each item of a list.
// sqlite_path: non-empty and no URL ("scheme://..."): PostgreSQL is not supported yet.
// endpoint: a server line of llm.base_urls (config/endpoints.hpp).
enum class TextRule { any, non_empty, http_url, extension, file_name, sqlite_path, endpoint };

struct IntRange {
  std::int64_t min = 0;
  std::int64_t max = 0;
  bool show_max = true;                 // false: max is only a sanity cap, left out of messages
  std::optional<std::int64_t> special;  // allowed outside [min, max]: 0 = auto, -1 = all
};

struct NumberRange {
  double min = 0;
  bool min_exclusive = false;
  std::optional<double> max;
};

struct KeySpec {
  std::string section;  // "llm"
  std::string name;     // "context_window"
  std::string path;     // "llm.context_window"
  Type type = Type::text;
  std::string help;  // what the key is, for the file `init` writes; lines separated by '\n'
  IntRange ints;
  NumberRange numbers;
  std::vector<std::string> choices;  // a choice's values, or the values a list's items may take
  TextRule rule = TextRule::any;
  Value (*get)(const Config&) = nullptr;
  void (*set)(Config&, const Value&) = nullptr;
};

const std::vector<KeySpec>& schema();
const std::vector<std::string>& section_names();
const KeySpec* find_key(std::string_view path);

// A value as parsed, before it is typed: from a YAML node, or from an environment variable or
// flag. `line` is 1-based (0 when the value has no line).
struct Raw {
  enum class Shape { null, scalar, sequence, mapping };
  Shape shape = Shape::null;
  std::string text;     // scalar text
  bool quoted = false;  // a quoted (or !!str) scalar: a string, never a number or boolean
  std::vector<Raw> items;
  int line = 0;
};

struct Invalid {
  std::string key_path;  // the key, or one item of it: "pipeline.allowed_extensions[2]"
  std::string expected;  // "integer >= 512 (or 0)"
  std::string got;       // "\"big\"", "a mapping", "nothing"
  int line = 0;          // of the offending value (an item's own line), 0 if none
  std::string hint;      // appended after the location: "; did you mean ollama?"
};

// `comma_lists`: a scalar given for a list key is split on commas (environment and flags).
tl::expected<Value, Invalid> convert(const KeySpec& key, const Raw& raw, bool comma_lists);

// What the key takes, as error messages say it: "integer >= 512 (or 0)".
std::string describe(const KeySpec& key);

// `s` as a YAML double-quoted scalar: "a \"b\"\n".
std::string double_quoted(std::string_view s);

// `s` as a YAML scalar that reads back as the same string in block and flow context: plain when
// that is safe (repos.txt, .py, node_modules/), else double-quoted ("*.test.*", "", "1.5", "yes").
std::string yaml_scalar(std::string_view s);

}  // namespace g2d::config::detail
