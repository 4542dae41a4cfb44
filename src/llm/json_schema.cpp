// The JSON Schema subset: one pass checks the schema's shape (shared by both entry points, so an
// unsupported schema fails the same way everywhere), a visitor validates instances, and a builder
// writes one GBNF rule per schema node.
#include "llm/json_schema.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "core/utf8.hpp"

namespace g2d::llm {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 7> k_types = {"object", "array",   "string", "integer",
                                                     "number", "boolean", "null"};
constexpr std::array<std::string_view, 11> k_keywords = {
    "type",      "properties", "required", "additionalProperties",
    "items",     "minItems",   "maxItems", "minLength",
    "maxLength", "enum",       "const"};
constexpr std::array<std::string_view, 6> k_annotations = {"title",   "description", "$comment",
                                                           "$schema", "default",     "examples"};

// llama.cpp refuses repetition counts above 2000 and counts the rules a repetition creates against
// the same limit; 1000 leaves room for the few rules around a repetition.
constexpr int64_t k_max_grammar_count = 1000;

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// ---- JSON pointers and messages ----

std::string child(const std::string& path, std::string_view key) {
  std::string out = path + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& path, size_t index) {
  return child(path, std::to_string(index));
}

std::string display(const std::string& path) {
  return path.empty() ? "(root)" : path;
}

// Compact JSON text; invalid UTF-8 in a string becomes U+FFFD instead of throwing.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A value for a message, cut short (on a character boundary) so that a wrong 10 KB object does not
// flood a log line.
std::string brief(const json& value) {
  constexpr size_t k_limit = 60;
  std::string text = dump(value);
  if (text.size() <= k_limit)
    return text;
  return text.substr(0, utf8_boundary(text, k_limit)) + "...";
}

// ---- schema shape ----

// The declared types, in the schema's order; empty when `type` is absent.
std::vector<std::string> types_of(const json& schema) {
  auto it = schema.find("type");
  if (it == schema.end())
    return {};
  if (it->is_string())
    return {it->get<std::string>()};
  return it->get<std::vector<std::string>>();
}

bool declares(const json& schema, std::string_view type) {
  auto types = types_of(schema);
  return std::find(types.begin(), types.end(), type) != types.end();
}

std::optional<int64_t> count_of(const json& schema, const char* keyword) {
  auto it = schema.find(keyword);
  if (it == schema.end())
    return std::nullopt;
  return it->get<int64_t>();
}

Status check_type(const json& type, const std::string& path) {
  std::vector<json> names =
      type.is_array() ? type.get<std::vector<json>>() : std::vector<json>{type};
  if (names.empty())
    return fail(ErrorKind::invalid_argument, "empty \"type\" at {}", display(path));
  std::set<std::string> seen;
  for (const json& name : names) {
    if (!name.is_string() || !contains(k_types, name.get<std::string>())) {
      return fail(ErrorKind::invalid_argument, "unsupported \"type\" {} at {}", brief(name),
                  display(path));
    }
    if (!seen.insert(name.get<std::string>()).second) {
      return fail(ErrorKind::invalid_argument, "type {} listed twice at {}", brief(name),
                  display(path));
    }
  }
  return {};
}

Status check_count(const json& schema, const char* keyword, const std::string& path) {
  auto it = schema.find(keyword);
  if (it == schema.end())
    return {};
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    return fail(ErrorKind::invalid_argument, "\"{}\" at {} must be a non-negative integer, not {}",
                keyword, display(path), brief(*it));
  }
  return {};
}

Status check_bounds(const json& schema, const char* min_keyword, const char* max_keyword,
                    const std::string& path) {
  if (auto status = check_count(schema, min_keyword, path); !status)
    return status;
  if (auto status = check_count(schema, max_keyword, path); !status)
    return status;
  auto min = count_of(schema, min_keyword);
  auto max = count_of(schema, max_keyword);
  if (min && max && *min > *max) {
    return fail(ErrorKind::invalid_argument, "\"{}\" {} exceeds \"{}\" {} at {}", min_keyword, *min,
                max_keyword, *max, display(path));
  }
  return {};
}

bool is_scalar(const json& value) {
  return value.is_string() || value.is_number() || value.is_boolean() || value.is_null();
}

Status check_schema(const json& schema, const std::string& path);

Status check_object_keywords(const json& schema, const std::string& path) {
  auto properties = schema.find("properties");
  if (properties != schema.end()) {
    if (!properties->is_object()) {
      return fail(ErrorKind::invalid_argument, "\"properties\" at {} must be an object",
                  display(path));
    }
    for (const auto& [name, property] : properties->items()) {
      if (auto status = check_schema(property, child(child(path, "properties"), name)); !status) {
        return status;
      }
    }
  }
  auto required = schema.find("required");
  if (required != schema.end()) {
    if (!required->is_array()) {
      return fail(ErrorKind::invalid_argument, "\"required\" at {} must be an array",
                  display(path));
    }
    for (const json& name : *required) {
      if (!name.is_string() || properties == schema.end() ||
          !properties->contains(name.get<std::string>())) {
        return fail(ErrorKind::invalid_argument,
                    "required property {} at {} is not listed in \"properties\"", brief(name),
                    display(path));
      }
    }
  }
  auto additional = schema.find("additionalProperties");
  if (additional != schema.end() && !additional->is_boolean()) {
    return fail(ErrorKind::invalid_argument,
                "unsupported \"additionalProperties\" at {}: only true or false", display(path));
  }
  return {};
}

Status check_schema(const json& schema, const std::string& path) {
  if (!schema.is_object()) {
    return fail(ErrorKind::invalid_argument, "schema at {} must be an object, not {}",
                display(path), brief(schema));
  }
  for (const auto& [keyword, value] : schema.items()) {
    if (!contains(k_keywords, keyword) && !contains(k_annotations, keyword)) {
      return fail(ErrorKind::invalid_argument, "unsupported JSON Schema keyword \"{}\" at {}",
                  keyword, display(path));
    }
  }
  auto type = schema.find("type");
  if (type != schema.end()) {
    if (auto status = check_type(*type, path); !status)
      return status;
  }
  auto enumeration = schema.find("enum");
  if (enumeration != schema.end()) {
    if (!enumeration->is_array() || enumeration->empty() ||
        !std::all_of(enumeration->begin(), enumeration->end(), is_scalar)) {
      return fail(ErrorKind::invalid_argument,
                  "\"enum\" at {} must be a non-empty array of strings, numbers, booleans or null",
                  display(path));
    }
  }
  auto constant = schema.find("const");
  if (constant != schema.end() && !is_scalar(*constant)) {
    return fail(ErrorKind::invalid_argument,
                "\"const\" at {} must be a string, number, boolean or null", display(path));
  }
  if (type == schema.end() && enumeration == schema.end() && constant == schema.end()) {
    return fail(ErrorKind::invalid_argument, "schema at {} needs \"type\", \"enum\" or \"const\"",
                display(path));
  }
  if (auto status = check_object_keywords(schema, path); !status)
    return status;
  auto items = schema.find("items");
  if (items != schema.end()) {
    if (auto status = check_schema(*items, child(path, "items")); !status)
      return status;
  } else if (declares(schema, "array")) {
    return fail(ErrorKind::invalid_argument, "array schema at {} needs \"items\"", display(path));
  }
  if (auto status = check_bounds(schema, "minItems", "maxItems", path); !status)
    return status;
  return check_bounds(schema, "minLength", "maxLength", path);
}

// ---- validation ----

bool is_integral(const json& value) {
  if (value.is_number_integer())
    return true;
  if (!value.is_number_float())
    return false;
  double number = value.get<double>();
  return std::isfinite(number) && std::trunc(number) == number;
}

bool has_type(const json& value, std::string_view type) {
  if (type == "object")
    return value.is_object();
  if (type == "array")
    return value.is_array();
  if (type == "string")
    return value.is_string();
  if (type == "integer")
    return is_integral(value);
  if (type == "number")
    return value.is_number();
  if (type == "boolean")
    return value.is_boolean();
  return value.is_null();
}

std::string_view type_name(const json& value) {
  if (value.is_number_integer())
    return "integer";
  if (value.is_number())
    return "number";
  return value.type_name();  // object, array, string, boolean, null
}

// Unicode code points, which is what minLength and maxLength count.
int64_t code_points(const std::string& text) {
  return static_cast<int64_t>(count_code_points(text));
}

class Validator {
 public:
  std::vector<std::string> take() { return std::move(m_problems); }

  void visit(const json& value, const json& schema, const std::string& path) {
    auto types = types_of(schema);
    if (!types.empty() && std::none_of(types.begin(), types.end(), [&](const std::string& type) {
          return has_type(value, type);
        })) {
      std::string expected = types.front();
      for (size_t i = 1; i < types.size(); ++i)
        expected += " or " + types[i];
      report(path, "expected {}, got {}", expected, type_name(value));
      return;
    }
    if (auto it = schema.find("const"); it != schema.end() && value != *it) {
      report(path, "expected {}, got {}", brief(*it), brief(value));
    }
    if (auto it = schema.find("enum");
        it != schema.end() && std::find(it->begin(), it->end(), value) == it->end()) {
      report(path, "{} is not one of {}", brief(value), brief(*it));
    }
    if (value.is_string())
      visit_string(value.get_ref<const std::string&>(), schema, path);
    if (value.is_array())
      visit_array(value, schema, path);
    if (value.is_object())
      visit_object(value, schema, path);
  }

 private:
  template <class... Args>
  void report(const std::string& path, fmt::format_string<Args...> format, Args&&... args) {
    m_problems.push_back(display(path) + ": " + fmt::format(format, std::forward<Args>(args)...));
  }

  void visit_string(const std::string& text, const json& schema, const std::string& path) {
    int64_t length = code_points(text);
    if (auto min = count_of(schema, "minLength"); min && length < *min) {
      report(path, "expected at least {} characters, got {}", *min, length);
    }
    if (auto max = count_of(schema, "maxLength"); max && length > *max) {
      report(path, "expected at most {} characters, got {}", *max, length);
    }
  }

  void visit_array(const json& array, const json& schema, const std::string& path) {
    auto size = static_cast<int64_t>(array.size());
    if (auto min = count_of(schema, "minItems"); min && size < *min) {
      report(path, "expected at least {} items, got {}", *min, size);
    }
    if (auto max = count_of(schema, "maxItems"); max && size > *max) {
      report(path, "expected at most {} items, got {}", *max, size);
    }
    if (auto items = schema.find("items"); items != schema.end()) {
      for (size_t i = 0; i < array.size(); ++i)
        visit(array[i], *items, child(path, i));
    }
  }

  void visit_object(const json& object, const json& schema, const std::string& path) {
    static const json k_none = json::object();
    auto found = schema.find("properties");
    const json& properties = found == schema.end() ? k_none : *found;
    if (auto required = schema.find("required"); required != schema.end()) {
      for (const json& name : *required) {
        if (!object.contains(name.get<std::string>())) {
          report(path, "missing required property {}", dump(name));
        }
      }
    }
    bool closed = !schema.value("additionalProperties", true);
    for (const auto& [name, member] : object.items()) {
      auto property = properties.find(name);
      if (property != properties.end()) {
        visit(member, *property, child(path, name));
      } else if (closed) {
        report(child(path, name), "property not allowed (additionalProperties is false)");
      }
    }
  }

  std::vector<std::string> m_problems;
};

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
      Validator validator;
      validator.visit(candidate, schema, path);
      if (validator.take().empty())
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
      return string_body(schema, path);
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

  Result<std::string> string_body(const json& schema, const std::string& path) {
    if (!schema.contains("minLength") && !schema.contains("maxLength"))
      return use("string");
    auto limits = bounds(schema, "minLength", "maxLength", path);
    if (!limits)
      return tl::unexpected(limits.error());
    auto [min, max] = *limits;
    return join({R"("\"")", repeat(use("char"), min, max), R"("\"")"}, " ");
  }

  Result<std::string> array_body(const json& schema, const std::string& name,
                                 const std::string& path) {
    auto limits = bounds(schema, "minItems", "maxItems", path);
    if (!limits)
      return tl::unexpected(limits.error());
    auto [min, max] = *limits;
    if (max == 0)
      return fmt::format(R"("[" {} "]")", use("ws"));
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
  if (auto status = check_schema(schema, ""); !status)
    return tl::unexpected(status.error());
  return GrammarBuilder().build(schema);
}

std::vector<std::string> validate_json(const nlohmann::json& instance,
                                       const nlohmann::json& schema) {
  if (auto status = check_schema(schema, ""); !status)
    return {status.error().message};
  Validator validator;
  validator.visit(instance, schema, "");
  return validator.take();
}

}  // namespace g2d::llm
