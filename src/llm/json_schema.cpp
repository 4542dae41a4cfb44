// The JSON Schema subset's shape: one pass checks a schema before either entry point uses it
// (json_schema_validate.cpp validates instances, json_schema_grammar.cpp writes one GBNF rule per
// schema node), so an unsupported schema fails the same way everywhere; and the JSON pointers and
// value excerpts their messages share. Thread-safety: pure functions. Errors: invalid_argument
// naming the keyword and its JSON pointer.
#include "llm/json_schema.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "core/utf8.hpp"
#include "llm/json_schema_internal.hpp"

namespace g2d::llm::detail {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 7> k_types = {"object", "array",   "string", "integer",
                                                     "number", "boolean", "null"};
constexpr std::array<std::string_view, 13> k_keywords = {
    "type",       "properties", "required", "additionalProperties",
    "items",      "minItems",   "maxItems", "minLength",
    "maxLength",  "pattern",    "enum",     "const",
    "prefixItems"};
constexpr std::array<std::string_view, 6> k_annotations = {"title",   "description", "$comment",
                                                           "$schema", "default",     "examples"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

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

namespace {

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

}  // namespace

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
  auto prefix = schema.find("prefixItems");
  if (prefix != schema.end()) {
    if (!prefix->is_array() || prefix->empty()) {
      return fail(ErrorKind::invalid_argument,
                  "\"prefixItems\" at {} must be a non-empty array of schemas, not {}",
                  display(path), brief(*prefix));
    }
    for (size_t i = 0; i < prefix->size(); ++i) {
      if (auto status = check_schema((*prefix)[i], child(child(path, "prefixItems"), i)); !status)
        return status;
    }
  }
  auto items = schema.find("items");
  if (items != schema.end()) {
    if (auto status = check_schema(*items, child(path, "items")); !status)
      return status;
  } else if (prefix != schema.end()) {
    // Elements after the prefix would be any JSON value, which the grammar does not write.
    auto max = count_of(schema, "maxItems");
    if (!max || *max > static_cast<int64_t>(prefix->size())) {
      return fail(ErrorKind::invalid_argument,
                  "array schema at {} needs \"items\" for the elements after its {} "
                  "\"prefixItems\", or \"maxItems\" of at most {}",
                  display(path), prefix->size(), prefix->size());
    }
  } else if (declares(schema, "array")) {
    return fail(ErrorKind::invalid_argument, "array schema at {} needs \"items\"", display(path));
  }
  if (auto status = check_bounds(schema, "minItems", "maxItems", path); !status)
    return status;
  if (auto pattern = schema.find("pattern"); pattern != schema.end()) {
    if (!pattern->is_string()) {
      return fail(ErrorKind::invalid_argument, "\"pattern\" at {} must be a string, not {}",
                  display(path), brief(*pattern));
    }
    if (auto parsed = parse_pattern(pattern->get_ref<const std::string&>(), path); !parsed)
      return tl::unexpected(parsed.error());
  }
  return check_bounds(schema, "minLength", "maxLength", path);
}

}  // namespace g2d::llm::detail
