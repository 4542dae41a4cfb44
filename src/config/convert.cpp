// Raw → typed value. Typing is strict where YAML's is: a quoted "8192" is a string, 8.0 is not an
// integer, and only true/false (and YAML 1.1's yes/no/on/off) are booleans.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "config/endpoints.hpp"
#include "config/schema.hpp"
#include "config/suggest.hpp"
#include "core/text.hpp"

namespace g2d::config::detail {

namespace {

constexpr std::size_t k_max_shown = 60;
constexpr std::string_view k_endpoint_form =
    "URL [parallel=N] [weight=N] [api_key_env=NAME]";  // characters of a bad value quoted in a
                                                       // message

std::string shown(const std::string& text) {
  if (text.size() <= k_max_shown)
    return double_quoted(text);
  return double_quoted(text.substr(0, k_max_shown) + "...");
}

std::string got_of(const Raw& raw, bool typed) {
  switch (raw.shape) {
    case Raw::Shape::null:
      return "nothing";
    case Raw::Shape::scalar:
      return raw.quoted && typed ? "the quoted string " + shown(raw.text) : shown(raw.text);
    case Raw::Shape::sequence:
      return "a list";
    case Raw::Shape::mapping:
      return "a mapping";
  }
  return "something else";
}

tl::unexpected<Invalid> invalid(const std::string& path, std::string expected, const Raw& raw,
                                bool typed = false, std::string hint = {}) {
  return tl::unexpected<Invalid>(
      Invalid{path, std::move(expected), got_of(raw, typed), raw.line, std::move(hint)});
}

bool is_plain_scalar(const Raw& raw) {
  return raw.shape == Raw::Shape::scalar && !raw.quoted;
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// What a text value (or one item of a list) breaks, or nothing.
std::optional<std::string> rule_violation(TextRule rule, const std::string& text) {
  switch (rule) {
    case TextRule::any:
      return std::nullopt;
    case TextRule::non_empty:
      if (text.empty())
        return "non-empty string";
      return std::nullopt;
    case TextRule::http_url: {
      const bool http = text.starts_with("http://") && text.size() > 7;
      const bool https = text.starts_with("https://") && text.size() > 8;
      if (text.empty() || http || https)
        return std::nullopt;
      return "empty or a URL starting with http:// or https://";
    }
    case TextRule::extension:
      if (text.size() < 2 || text[0] != '.' || text.find('/') != std::string::npos) {
        return "extension starting with '.' (such as .py)";
      }
      return std::nullopt;
    case TextRule::file_name:
      if (text.empty() || text.find('/') != std::string::npos) {
        return "file name without '/' (such as Dockerfile)";
      }
      return std::nullopt;
    case TextRule::sqlite_path:
      if (text.empty())
        return "non-empty string";
      if (text.find("://") != std::string::npos)
        return "a SQLite file path (PostgreSQL is not supported yet)";
      return std::nullopt;
    case TextRule::endpoint:
      if (auto spec = parse_endpoint(text); !spec)
        return fmt::format("{} ({})", k_endpoint_form, spec.error().message);
      return std::nullopt;
  }
  return std::nullopt;
}

// What a URL given for a file path is called in a message: "a postgresql:// URL". Never the URL
// itself, which may hold a password; its scheme only when it is one (RFC 3986: a letter, then
// letters, digits, '+', '-', '.'), and short.
std::string url_shown(const std::string& text) {
  const auto end = text.find("://");
  const std::string_view scheme = std::string_view(text).substr(0, end);
  const bool is_scheme =
      !scheme.empty() && scheme.size() <= 16 &&
      std::isalpha(static_cast<unsigned char>(scheme[0])) != 0 &&
      std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
      });
  return is_scheme ? fmt::format("a {}:// URL", scheme) : std::string("a URL");
}

tl::expected<Value, Invalid> to_text(const KeySpec& key, const Raw& raw) {
  if (raw.shape != Raw::Shape::null && raw.shape != Raw::Shape::scalar) {
    return invalid(key.path, describe(key), raw);
  }
  std::string text = raw.shape == Raw::Shape::null ? std::string() : raw.text;
  if (auto expected = rule_violation(key.rule, text)) {
    if (key.rule == TextRule::sqlite_path && !text.empty())
      return tl::unexpected<Invalid>(Invalid{key.path, *expected, url_shown(text), raw.line, {}});
    return invalid(key.path, *expected, raw);
  }
  return text;
}

tl::expected<Value, Invalid> to_choice(const KeySpec& key, const Raw& raw) {
  if (raw.shape == Raw::Shape::scalar) {
    if (std::find(key.choices.begin(), key.choices.end(), raw.text) != key.choices.end()) {
      return raw.text;
    }
    if (auto near = closest(raw.text, key.choices)) {
      return invalid(key.path, describe(key), raw, false, fmt::format("; did you mean {}?", *near));
    }
  }
  return invalid(key.path, describe(key), raw);
}

tl::expected<Value, Invalid> to_integer(const KeySpec& key, const Raw& raw) {
  if (!is_plain_scalar(raw))
    return invalid(key.path, describe(key), raw, true);
  const std::string& text = raw.text;
  const bool negative = text.starts_with('-');
  const std::size_t sign = negative || text.starts_with('+') ? 1 : 0;
  if (text.size() == sign ||
      !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(sign), text.end(),
                   [](unsigned char c) { return std::isdigit(c); })) {
    return invalid(key.path, describe(key), raw);
  }
  const IntRange& r = key.ints;
  const std::string below = describe(key);
  const std::string above = r.show_max ? below : fmt::format("integer <= {}", r.max);
  std::int64_t value = 0;
  const char* begin = text.data() + (negative ? 0 : sign);
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return invalid(key.path, negative ? below : above, raw);
  }
  if (ec != std::errc() || end != text.data() + text.size()) {
    return invalid(key.path, describe(key), raw);
  }
  if (r.special && value == *r.special)
    return value;
  if (value < r.min)
    return invalid(key.path, below, raw);
  if (value > r.max)
    return invalid(key.path, above, raw);
  return value;
}

tl::expected<Value, Invalid> to_number(const KeySpec& key, const Raw& raw) {
  if (!is_plain_scalar(raw))
    return invalid(key.path, describe(key), raw, true);
  std::string_view text = raw.text;
  if (text.starts_with('+'))
    text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return invalid(key.path, describe(key), raw);
  }
  const NumberRange& r = key.numbers;
  const bool low = r.min_exclusive ? value <= r.min : value < r.min;
  const bool high = r.max && value > *r.max;
  if (low || high)
    return invalid(key.path, describe(key), raw);
  return value;
}

tl::expected<Value, Invalid> to_boolean(const KeySpec& key, const Raw& raw) {
  if (!is_plain_scalar(raw))
    return invalid(key.path, describe(key), raw, true);
  const std::string word = to_lower(raw.text);
  if (word == "true" || word == "yes" || word == "on")
    return true;
  if (word == "false" || word == "no" || word == "off")
    return false;
  return invalid(key.path, describe(key), raw);
}

tl::expected<Value, Invalid> to_list(const KeySpec& key, const Raw& raw, bool comma_lists) {
  std::vector<Raw> items;
  if (raw.shape == Raw::Shape::sequence) {
    items = raw.items;
  } else if (raw.shape == Raw::Shape::scalar && comma_lists) {
    std::string_view rest = raw.text;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string item = trim(rest.substr(0, comma));
      if (!item.empty())
        items.push_back(Raw{Raw::Shape::scalar, item, false, {}, raw.line});
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix(comma + 1);
    }
  } else if (raw.shape == Raw::Shape::scalar) {
    return invalid(key.path, describe(key), raw, false,
                   fmt::format("; write a list: [{}]", yaml_scalar(raw.text)));
  } else if (raw.shape != Raw::Shape::null) {
    return invalid(key.path, describe(key), raw);
  }
  std::vector<std::string> values;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Raw& item = items[i];
    const std::string path = fmt::format("{}[{}]", key.path, i);
    if (item.shape != Raw::Shape::scalar)
      return invalid(path, "string", item);
    if (auto expected = rule_violation(key.rule, item.text)) {
      if (key.rule != TextRule::endpoint)
        return invalid(path, *expected, item);
      Raw safe = item;  // a server's line may hold a password
      safe.text = without_userinfo(item.text);
      return invalid(path, *expected, safe);
    }
    if (!key.choices.empty() &&
        std::find(key.choices.begin(), key.choices.end(), item.text) == key.choices.end()) {
      const std::string expected = fmt::format("one of {}", fmt::join(key.choices, ", "));
      if (auto near = closest(item.text, key.choices))
        return invalid(path, expected, item, false, fmt::format("; did you mean {}?", *near));
      return invalid(path, expected, item);
    }
    values.push_back(item.text);
  }
  return values;
}

}  // namespace

tl::expected<Value, Invalid> convert(const KeySpec& key, const Raw& raw, bool comma_lists) {
  switch (key.type) {
    case Type::text:
      return to_text(key, raw);
    case Type::choice:
      return to_choice(key, raw);
    case Type::integer:
      return to_integer(key, raw);
    case Type::number:
      return to_number(key, raw);
    case Type::boolean:
      return to_boolean(key, raw);
    case Type::text_list:
      return to_list(key, raw, comma_lists);
  }
  return invalid(key.path, describe(key), raw);
}

}  // namespace g2d::config::detail
