// llm/json_schema_internal.hpp — what the schema check (json_schema.cpp), the validator
// (json_schema_validate.cpp) and the grammar builder (json_schema_grammar.cpp) share, private to
// g2d_llm: JSON pointers for messages, reading a schema node, and the one pass that checks a
// schema's shape, so that an unsupported schema fails the same way in both entry points.
//
// Thread-safety: pure functions. Errors: check_schema returns invalid_argument naming the keyword
// and its JSON pointer; the readers assume a schema check_schema accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace g2d::llm::detail {

// The JSON pointer of a member or an element below `path` ("" = the document).
std::string child(const std::string& path, std::string_view key);
std::string child(const std::string& path, size_t index);

// `path` for a message: "(root)" for the document itself.
std::string display(const std::string& path);

// Compact JSON text; invalid UTF-8 in a string becomes U+FFFD instead of throwing.
std::string dump(const nlohmann::json& value);

// A value for a message, cut short (on a character boundary) so that a wrong 10 KB object does not
// flood a log line.
std::string brief(const nlohmann::json& value);

// The declared types, in the schema's order; empty when `type` is absent.
std::vector<std::string> types_of(const nlohmann::json& schema);

// Whether `type` is one of the declared types.
bool declares(const nlohmann::json& schema, std::string_view type);

// The value of a count keyword (minItems, maxLength, ...), nullopt when absent.
std::optional<int64_t> count_of(const nlohmann::json& schema, const char* keyword);

// llama.cpp refuses repetition counts above 2000 and counts the rules a repetition creates against
// the same limit; 1000 leaves room for the few rules around a repetition. Pattern quantifiers are
// held to it too.
inline constexpr int64_t k_max_grammar_count = 1000;

// ---- patterns (json_schema_pattern.cpp) ----

// A parsed `pattern`: an anchored sequence of pieces, each a set of characters (a literal is a set
// of one) or a group of alternative sequences, repeated between `min` and `max` times.
struct CharRange {
  char32_t first = 0;
  char32_t last = 0;
};
struct PatternPiece;
using PatternSequence = std::vector<PatternPiece>;
struct PatternPiece {
  bool group = false;
  std::vector<CharRange> ranges;              // a set: sorted, disjoint, not adjacent
  bool negated = false;                       // a set: every character but `ranges`
  std::vector<PatternSequence> alternatives;  // a group
  int64_t min = 1;
  std::optional<int64_t> max = 1;  // nullopt: unbounded
};

// `pattern` parsed, or invalid_argument naming "pattern", display(path) and what is unsupported or
// invalid at which byte offset.
Result<PatternSequence> parse_pattern(std::string_view pattern, const std::string& path);

// Whether the whole of `text` (UTF-8, matched by code points; invalid bytes are U+FFFD) matches.
bool pattern_matches(const PatternSequence& pattern, std::string_view text);

// `ranges` sorted, with overlapping and adjacent ranges merged.
std::vector<CharRange> normalize_ranges(std::vector<CharRange> ranges);

// Whether a set contains `c`.
bool set_contains(const PatternPiece& set, char32_t c);

// The schema at `path` (and everything below it) is in the supported subset.
Status check_schema(const nlohmann::json& schema, const std::string& path);

// validate_json's problems for `value` at `path` under a schema check_schema accepted.
std::vector<std::string> validate(const nlohmann::json& value, const nlohmann::json& schema,
                                  const std::string& path);

}  // namespace g2d::llm::detail
