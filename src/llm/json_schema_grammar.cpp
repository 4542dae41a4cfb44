// Converting the JSON Schema subset to a GBNF grammar, for backends that constrain decoding: a
// builder writes one rule per schema node (named after its path), then the shared primitive
// rules it used. Count bounds become `{m,n}` repetitions, bounded by llama.cpp's limit; a string's
// `pattern` becomes the JSON text of the strings it matches.
// Thread-safety: pure functions. Errors: invalid_argument for an unsupported or malformed schema
// (from the shared check) or a minimum the grammar cannot express.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "core/utf8.hpp"
#include "llm/json_schema.hpp"
#include "llm/json_schema_internal.hpp"

namespace g2d::llm {
namespace {

using detail::child;
using detail::count_of;
using detail::declares;
using detail::display;
using detail::dump;
using detail::k_max_grammar_count;
using detail::types_of;
using nlohmann::json;

// ---- grammar ----

// A GBNF string literal for `text` (UTF-8 passes through; quotes, backslashes and control
// characters are escaped).
std::string literal(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20U || byte == 0x7FU) {
      out += fmt::format("\\x{:02X}", byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A rule-name segment: lowercase ASCII letters and digits, each run of anything else one '-'.
std::string sanitize(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  if (!out.empty() && out.back() == '-')
    out.pop_back();
  return out.empty() ? "x" : out;
}

// `item` (one GBNF symbol) repeated between `min` and `max` times (no max: unbounded).
std::string repeat(const std::string& item, int64_t min, std::optional<int64_t> max) {
  if (max && *max > k_max_grammar_count)
    max.reset();
  if (!max) {
    if (min == 0)
      return item + "*";
    if (min == 1)
      return item + "+";
    return fmt::format("{}{{{},}}", item, min);
  }
  if (*max == 0)
    return "";
  if (min == *max)
    return min == 1 ? item : fmt::format("{}{{{}}}", item, min);
  if (min == 0 && *max == 1)
    return item + "?";
  return fmt::format("{}{{{},{}}}", item, min, *max);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty() && !part.empty())
      out += separator;
    out += part;
  }
  return out;
}

// ---- patterns ----

bool is_character(const detail::PatternPiece& piece) {
  return !piece.group && !piece.negated && piece.ranges.size() == 1 &&
         piece.ranges.front().first == piece.ranges.front().last;
}

// A decoded character as JSON string text: '"', '\\' and control characters escaped.
std::string json_text(char32_t c) {
  switch (c) {
    case '"':
      return R"(\")";
    case '\\':
      return R"(\\)";
    case '\b':
      return R"(\b)";
    case '\f':
      return R"(\f)";
    case '\n':
      return R"(\n)";
    case '\r':
      return R"(\r)";
    case '\t':
      return R"(\t)";
    default:
      break;
  }
  if (c < 0x20)
    return fmt::format("\\u{:04x}", static_cast<uint32_t>(c));
  std::string out;
  append_utf8(out, c);
  return out;
}

// A character inside a GBNF class: ASCII letters and digits as they are, the rest escaped.
std::string class_char(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return std::string(1, static_cast<char>(c));
  auto code = static_cast<uint32_t>(c);
  if (code < 0x100)
    return fmt::format("\\x{:02X}", code);
  if (code < 0x10000)
    return fmt::format("\\u{:04X}", code);
  return fmt::format("\\U{:08X}", code);
}

std::string char_class(const std::vector<detail::CharRange>& ranges, bool negated) {
  std::string out = negated ? "[^" : "[";
  for (const detail::CharRange& range : ranges) {
    out += class_char(range.first);
    if (range.last != range.first)
      out += "-" + class_char(range.last);
  }
  return out + "]";
}

// The decoded characters JSON text cannot hold as they are.
constexpr std::array<detail::CharRange, 3> k_json_escaped = {
    {{0x00, 0x1F}, {'"', '"'}, {'\\', '\\'}}};

// A set as JSON text: a negated one leaves out what JSON escapes; a listed one takes the
// characters JSON holds as they are in one class and the others as their escapes.
std::string set_symbol(const detail::PatternPiece& set) {
  if (is_character(set))
    return literal(json_text(set.ranges.front().first));
  if (set.negated) {
    std::vector<detail::CharRange> excluded = set.ranges;
    excluded.insert(excluded.end(), k_json_escaped.begin(), k_json_escaped.end());
    return char_class(detail::normalize_ranges(std::move(excluded)), true);
  }
  std::vector<detail::CharRange> plain;
  std::vector<std::string> alternatives;
  for (const detail::CharRange& range : set.ranges) {
    char32_t next = range.first;
    for (const detail::CharRange& escaped : k_json_escaped) {
      if (escaped.last < next || escaped.first > range.last)
        continue;
      if (next < escaped.first)
        plain.push_back({next, escaped.first - 1});
      for (char32_t c = std::max(next, escaped.first); c <= std::min(range.last, escaped.last); ++c)
        alternatives.push_back(literal(json_text(c)));
      next = escaped.last + 1;
    }
    if (next <= range.last)
      plain.push_back({next, range.last});
  }
  if (!plain.empty())
    alternatives.insert(alternatives.begin(), char_class(plain, false));
  return alternatives.size() == 1 ? alternatives.front() : "(" + join(alternatives, " | ") + ")";
}

// Shared rules, emitted after the schema's own rules in this order, each only when used. Their
// names cannot collide with the schema's, which all start with "root".
struct Primitive {
  std::string_view name;
  std::string_view body;
  std::string_view needs;  // another primitive this one refers to, or empty
};
constexpr std::array<Primitive, 8> k_primitives = {{
    {"string", R"("\"" char* "\"")", "char"},
    {"char",
     R"([^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-Ce-fE-F] hex{3} | [dD] [0-7] hex{2})))",
     "hex"},
    {"hex", "[0-9a-fA-F]", ""},
    {"integer", R"("-"? ("0" | [1-9] [0-9]{0,15}))", ""},
    {"number", R"("-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?)", ""},
    {"boolean", R"("true" | "false")", ""},
    {"null", R"("null")", ""},
    {"ws", R"(([ \t] | "\n" [ \t]{0,16})?)", ""},
}};

class GrammarBuilder {
 public:
  Result<std::string> build(const json& schema) {
    if (auto root = visit(schema, "root", ""); !root)
      return tl::unexpected(root.error());
    std::string text;
    for (const auto& [name, body] : m_rules) {
      text += fmt::format("{} ::= {}\n", name, body);
    }
    for (const Primitive& primitive : k_primitives) {
      if (m_used.count(primitive.name) != 0) {
        text += fmt::format("{} ::= {}\n", primitive.name, primitive.body);
      }
    }
    return text;
  }

 private:
  // Writes the rule for the schema node at `path` under a unique name derived from `base`, and
  // returns that name.
  Result<std::string> visit(const json& schema, const std::string& base, const std::string& path) {
    auto [slot, name] = reserve(base);
    Result<std::string> body = schema.contains("enum") || schema.contains("const")
                                   ? enum_body(schema, path)
                                   : types_body(schema, name, path);
    if (!body)
      return tl::unexpected(body.error());
    m_rules[slot].second = std::move(*body);
    return name;
  }

  // A unique rule name derived from `base`, with its place in the output (body to be filled).
  std::pair<size_t, std::string> reserve(const std::string& base) {
    std::string name = base;
    for (int suffix = 2; !m_names.insert(name).second; ++suffix) {
      name = fmt::format("{}-{}", base, suffix);
    }
    m_rules.emplace_back(name, "");
    return {m_rules.size() - 1, name};
  }

  std::string add_rule(const std::string& base, std::string body) {
    auto [slot, name] = reserve(base);
    m_rules[slot].second = std::move(body);
    return name;
  }

  std::string use(std::string_view primitive) {
    for (const Primitive& p : k_primitives) {
      if (p.name == primitive && m_used.insert(p.name).second && !p.needs.empty())
        use(p.needs);
    }
    return std::string(primitive);
  }

  // The enum or const values that also satisfy the rest of the schema, as literal alternatives.
  Result<std::string> enum_body(const json& schema, const std::string& path) {
    json candidates = schema.contains("const") ? json::array({schema["const"]}) : schema["enum"];
    std::vector<std::string> alternatives;
    for (const json& candidate : candidates) {
      if (detail::validate(candidate, schema, path).empty())
        alternatives.push_back(literal(dump(candidate)));
    }
    if (alternatives.empty()) {
      return fail(ErrorKind::invalid_argument, "schema at {} accepts no value", display(path));
    }
    return join(alternatives, " | ");
  }

  Result<std::string> types_body(const json& schema, const std::string& name,
                                 const std::string& path) {
    std::vector<std::string> alternatives;
    for (const std::string& type : types_of(schema)) {
      if (type == "integer" && declares(schema, "number"))
        continue;  // number covers it
      auto body = type_body(schema, type, name, path);
      if (!body)
        return body;
      alternatives.push_back(std::move(*body));
    }
    return join(alternatives, " | ");
  }

  Result<std::string> type_body(const json& schema, const std::string& type,
                                const std::string& name, const std::string& path) {
    if (type == "object")
      return object_body(schema, name, path);
    if (type == "array")
      return array_body(schema, name, path);
    if (type == "string")
      return string_body(schema, name, path);
    return use(type);
  }

  Result<std::pair<int64_t, std::optional<int64_t>>> bounds(const json& schema,
                                                            const char* min_keyword,
                                                            const char* max_keyword,
                                                            const std::string& path) {
    int64_t min = count_of(schema, min_keyword).value_or(0);
    if (min > k_max_grammar_count) {
      return fail(ErrorKind::invalid_argument,
                  "\"{}\" {} at {} is too large for a grammar (at most {})", min_keyword, min,
                  display(path), k_max_grammar_count);
    }
    return std::pair{min, count_of(schema, max_keyword)};
  }

  Result<std::string> string_body(const json& schema, const std::string& name,
                                  const std::string& path) {
    if (auto pattern = schema.find("pattern"); pattern != schema.end()) {
      auto parsed = detail::parse_pattern(pattern->get_ref<const std::string&>(), path);
      if (!parsed)
        return tl::unexpected(parsed.error());
      return join({R"("\"")", pattern_sequence(*parsed, name), R"("\"")"}, " ");
    }
    if (!schema.contains("minLength") && !schema.contains("maxLength"))
      return use("string");
    auto limits = bounds(schema, "minLength", "maxLength", path);
    if (!limits)
      return tl::unexpected(limits.error());
    auto [min, max] = *limits;
    return join({R"("\"")", repeat(use("char"), min, max), R"("\"")"}, " ");
  }

  // The JSON text of the strings a pattern sequence matches (empty when it matches only "").
  // Consecutive single characters become one literal.
  std::string pattern_sequence(const detail::PatternSequence& pieces, const std::string& name) {
    std::vector<std::string> parts;
    std::string pending;
    for (const detail::PatternPiece& piece : pieces) {
      if (is_character(piece) && piece.min == 1 && piece.max == 1) {
        pending += json_text(piece.ranges.front().first);
        continue;
      }
      if (!pending.empty())
        parts.push_back(literal(std::exchange(pending, "")));
      parts.push_back(repeat(pattern_piece(piece, name), piece.min, piece.max));
    }
    if (!pending.empty())
      parts.push_back(literal(pending));
    return join(parts, " ");
  }

  // One GBNF symbol for a piece, before its repetition: a repeated group gets a rule of its own,
  // since llama.cpp counts the rules inside a repeated parenthesis against its limit.
  std::string pattern_piece(const detail::PatternPiece& piece, const std::string& name) {
    if (!piece.group)
      return set_symbol(piece);
    std::vector<std::string> alternatives;
    for (const detail::PatternSequence& alternative : piece.alternatives) {
      std::string body = pattern_sequence(alternative, name);
      alternatives.push_back(body.empty() ? R"("")" : body);
    }
    std::string body = join(alternatives, " | ");
    if (piece.min == 1 && piece.max == 1)
      return "(" + body + ")";
    return add_rule(name + "-group", body);
  }

  Result<std::string> array_body(const json& schema, const std::string& name,
                                 const std::string& path) {
    auto limits = bounds(schema, "minItems", "maxItems", path);
    if (!limits)
      return tl::unexpected(limits.error());
    auto [min, max] = *limits;
    if (max == 0)
      return fmt::format(R"("[" {} "]")", use("ws"));
    if (schema.contains("prefixItems"))
      return prefix_array_body(schema, name, path, min, max);
    auto item = visit(schema["items"], name + "-item", child(path, "items"));
    if (!item)
      return item;
    std::string next = fmt::format(R"((ws "," ws {}))", *item);
    std::optional<int64_t> more = max ? std::optional(*max - 1) : std::nullopt;
    std::string items = join({*item, repeat(next, std::max<int64_t>(min - 1, 0), more)}, " ");
    std::string filled = fmt::format(R"("[" {} {} ws "]")", use("ws"), items);
    // The empty array as an alternative rather than `(...)?` around the items: llama.cpp counts
    // the rules inside a repeated group (the items' repetition) against its limit of 2000.
    return min == 0 ? filled + R"( | "[" ws "]")" : filled;
  }

  // An array whose first elements follow prefixItems one by one and later ones `items`:
  // "[" ws e0 (ws "," ws e1 (ws "," ws e2 ...)?)? ws "]", the first `min` elements required.
  Result<std::string> prefix_array_body(const json& schema, const std::string& name,
                                        const std::string& path, int64_t min,
                                        std::optional<int64_t> max) {
    const json& prefix = schema["prefixItems"];
    std::vector<std::string> elements;  // one rule per prefix element
    for (size_t i = 0; i < prefix.size() && (!max || static_cast<int64_t>(i) < *max); ++i) {
      auto element =
          visit(prefix[i], fmt::format("{}-{}", name, i), child(child(path, "prefixItems"), i));
      if (!element)
        return element;
      elements.push_back(*element);
    }
    const auto count = static_cast<int64_t>(elements.size());
    // After the prefix: `items`, from where the prefix ends up to max (check_schema made sure
    // there is an `items` when max allows more).
    std::string rest;
    if (!max || *max > count) {
      auto item = visit(schema["items"], name + "-item", child(path, "items"));
      if (!item)
        return item;
      std::optional<int64_t> more = max ? std::optional(*max - count) : std::nullopt;
      rest =
          repeat(fmt::format(R"((ws "," ws {}))", *item), std::max<int64_t>(min - count, 0), more);
    }
    // From the last element back: element i, then what may follow it.
    std::string tail = rest;
    for (int64_t i = count - 1; i >= 0; --i) {
      std::string here = join({elements[static_cast<size_t>(i)], tail}, " ");
      if (i == 0)
        tail = here;
      else if (i < min)
        tail = fmt::format(R"(ws "," ws {})", here);
      else
        tail = fmt::format(R"((ws "," ws {})?)", here);
    }
    std::string filled = fmt::format(R"("[" {} {} ws "]")", use("ws"), tail);
    return min == 0 ? filled + R"( | "[" ws "]")" : filled;
  }

  // Properties in iteration order, each emitted at most once: required ones always, optional
  // ones optionally, with commas only between emitted ones. Up to the first required property,
  // the emitted optional ones form a non-empty ordered subset, one rule per property
  // (S(i) ::= kv(i) (ws "," ws S(i+1))? | S(i+1)), which keeps the grammar linear in size.
  Result<std::string> object_body(const json& schema, const std::string& name,
                                  const std::string& path) {
    use("ws");
    const json required = schema.value("required", json::array());
    std::vector<std::string> keys;
    std::vector<std::string> members;  // "\"key\"" ws ":" ws rule
    std::vector<bool> mandatory;
    if (auto properties = schema.find("properties"); properties != schema.end()) {
      for (const auto& [key, property] : properties->items()) {
        auto rule =
            visit(property, name + "-" + sanitize(key), child(child(path, "properties"), key));
        if (!rule)
          return rule;
        keys.push_back(key);
        members.push_back(fmt::format(R"({} ws ":" ws {})", literal(dump(key)), *rule));
        mandatory.push_back(std::find(required.begin(), required.end(), key) != required.end());
      }
    }
    size_t first_required = static_cast<size_t>(
        std::find(mandatory.begin(), mandatory.end(), true) - mandatory.begin());

    // Everything from the first required property on.
    std::vector<std::string> rest;
    for (size_t i = first_required; i < members.size(); ++i) {
      if (i == first_required) {
        rest.push_back(members[i]);
      } else if (mandatory[i]) {
        rest.push_back(R"(ws "," ws )" + members[i]);
      } else {
        rest.push_back(R"((ws "," ws )" + members[i] + ")?");
      }
    }
    // The optional ones before it, as subset rules written last to first.
    std::string subset;
    for (size_t i = first_required; i-- > 0;) {
      std::string body =
          subset.empty() ? members[i]
                         : fmt::format(R"({} (ws "," ws {})? | {})", members[i], subset, subset);
      subset = add_rule(name + "-from-" + sanitize(keys[i]), body);
    }

    if (first_required == members.size()) {  // nothing required
      if (subset.empty())
        return std::string(R"("{" ws "}")");
      return fmt::format(R"("{{" ws {} ws "}}" | "{{" ws "}}")", subset);
    }
    std::string prefix = subset.empty() ? "" : fmt::format(R"(({} ws "," ws)?)", subset);
    return fmt::format(R"("{{" ws {} ws "}}")", join({prefix, join(rest, " ")}, " "));
  }

  std::vector<std::pair<std::string, std::string>> m_rules;  // name, body; in creation order
  std::set<std::string> m_names;
  std::set<std::string_view> m_used;  // primitives referred to
};

}  // namespace

Result<std::string> json_schema_to_gbnf(const nlohmann::json& schema) {
  if (auto status = detail::check_schema(schema, ""); !status)
    return tl::unexpected(status.error());
  return GrammarBuilder().build(schema);
}

}  // namespace g2d::llm
