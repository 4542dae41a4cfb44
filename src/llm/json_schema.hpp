// llm/json_schema.hpp — the subset of JSON Schema git2dataset asks models for: a converter to a
// GBNF grammar (for backends that constrain decoding, such as the embedded llama.cpp engine) and a
// validator (for backends that cannot, such as MLX servers, whose output is checked instead).
//
// Supported subset. `type`: "object", "array", "string", "integer", "number", "boolean", "null",
// or an array of these (["string", "null"]); `properties`, `required`, `additionalProperties`
// (true or false); `items`, `minItems`, `maxItems`; `minLength`, `maxLength` (in Unicode code
// points); `pattern` (below); `enum` and `const` of strings, numbers, booleans and null. The
// annotations `title`, `description`, `$comment`, `$schema`, `default` and `examples` are accepted
// and ignored. Every schema must say `type`, `enum` or `const`, an array schema must say `items`,
// and `required` may only name listed `properties`. Anything else (`$ref`, `oneOf`, `format`,
// `minimum`, ...) is an error naming the keyword and its JSON pointer in the schema.
//
// `pattern` (ECMAScript semantics, matched by code points): anchored patterns `^...$` only (both
// anchors, nothing outside them); literal characters (UTF-8 passes through); the escapes `\` plus
// one of \^$.|?*+()[]{}/- for that character, `\n`, `\t`, `\d` [0-9], `\w` [A-Za-z0-9_] and `\s`
// (ECMAScript white space); `.` (any character but a line terminator: \n, \r, U+2028, U+2029);
// classes `[...]` and `[^...]` of characters, ranges and those escapes; groups `(...)` and
// `(?:...)`; alternation `|` inside a group; the quantifiers `*`, `+`, `?`, `{n}`, `{n,}` and
// `{n,m}` with counts up to 1000. Refused, as unsupported, with the byte offset: lazy quantifiers,
// lookaround and named groups, back-references and other escapes (\b, \D, \uXXXX, ...), `|` outside
// a group, an unbounded quantifier on a group that can match the empty string (llama.cpp rejects
// the left recursion it would make); as invalid: unbalanced brackets, ranges out of order, empty
// classes, quantifiers with nothing to repeat, a `{` that does not start a quantifier.
//
// Grammar shape: properties are emitted in the order the json object iterates them (nlohmann::json
// sorts keys), required ones mandatory, optional ones optional; properties outside `properties` are
// never emitted. Whitespace between tokens is bounded (one space or tab, or one newline and at most
// 16 spaces or tabs of indentation), none before or after the document. Numbers are bounded (16
// digits before and after the point, 2 of exponent); `\u` escapes are limited to non-surrogates;
// integers have no fraction or exponent; enum and const values are matched as nlohmann::json
// dumps them. A string with a `pattern` follows the pattern alone (its `minLength` and `maxLength`
// are left to the validator); the pattern constrains the decoded string and the grammar emits its
// JSON text, each character in one form: '"', '\' and control characters as their short escapes
// (\" \\ \b \f \n \r \t) or \u00xx, the rest as they are. `.` and negated classes never emit '"',
// '\' or a control character (U+0000-U+001F): strings they match in the grammar never contain
// them. A repeated pattern group becomes a rule of its own. Count bounds (`minItems`,
// `maxLength`, ...) become GBNF `{m,n}` repetitions, which stay linear in size; llama.cpp refuses
// repetitions above 2000, so a maximum above 1000 is left unbounded in the grammar (the validator
// still enforces it) and a minimum above 1000 is an error.
// Rule names derive from the schema path (root, root-questions, root-questions-item), lowercased
// and reduced to [a-z0-9-], with a numeric suffix where two paths collide: the same schema always
// gives the same text.
//
// Thread-safety: pure functions of their arguments; safe to call from any thread.
// Errors: json_schema_to_gbnf returns ErrorKind::invalid_argument for an unsupported or malformed
// schema. validate_json reports problems as messages, never throws; an unsupported schema yields
// one message naming it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace g2d::llm {

// A GBNF grammar whose root rule is "root", accepting the JSON documents valid under `schema` (for
// the supported subset, with the narrowing above).
Result<std::string> json_schema_to_gbnf(const nlohmann::json& schema);

// Empty = `instance` is valid under `schema`; otherwise one message per problem, each starting with
// the JSON pointer of the offending value ("/questions/2: expected string, got number"); the
// document itself is "(root)".
std::vector<std::string> validate_json(const nlohmann::json& instance,
                                       const nlohmann::json& schema);

}  // namespace g2d::llm
