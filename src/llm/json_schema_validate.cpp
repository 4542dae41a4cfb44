// Validating an instance against the JSON Schema subset, for backends that cannot constrain
// decoding: a visitor walks the instance and the (checked) schema together and collects one
// message per problem, each starting with the JSON pointer of the offending value. A `pattern` is
// matched by the same parse the grammar uses (json_schema_pattern.cpp).
// Thread-safety: pure functions. Errors: messages, never exceptions; an unsupported schema
// yields one message naming it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>

#include "core/utf8.hpp"
#include "llm/json_schema.hpp"
#include "llm/json_schema_internal.hpp"

namespace g2d::llm {
namespace {

using detail::brief;
using detail::child;
using detail::count_of;
using detail::display;
using detail::dump;
using detail::types_of;
using nlohmann::json;

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
    if (auto it = schema.find("enum"); it != schema.end()) {
      const json& allowed = *it;
      if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
        report(path, "{} is not one of {}", brief(value), brief(allowed));
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
    if (auto pattern = schema.find("pattern"); pattern != schema.end()) {
      auto parsed = detail::parse_pattern(pattern->get_ref<const std::string&>(), path);
      if (parsed && !detail::pattern_matches(*parsed, text))
        report(path, "{} does not match the pattern {}", brief(text), brief(*pattern));
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
    static const json k_no_prefix = json::array();
    auto found = schema.find("prefixItems");
    const json& prefix = found == schema.end() ? k_no_prefix : *found;
    auto items = schema.find("items");
    for (size_t i = 0; i < array.size(); ++i) {
      if (i < prefix.size())
        visit(array[i], prefix[i], child(path, i));
      else if (items != schema.end())
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

}  // namespace

namespace detail {

std::vector<std::string> validate(const json& value, const json& schema, const std::string& path) {
  Validator validator;
  validator.visit(value, schema, path);
  return validator.take();
}

}  // namespace detail

std::vector<std::string> validate_json(const nlohmann::json& instance,
                                       const nlohmann::json& schema) {
  if (auto status = detail::check_schema(schema, ""); !status)
    return {status.error().message};
  return detail::validate(instance, schema, "");
}

}  // namespace g2d::llm
