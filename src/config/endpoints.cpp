#include "config/endpoints.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace g2d::config {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i]))
      ++i;
    std::size_t start = i;
    while (i < text.size() && !is_space(text[i]))
      ++i;
    if (i > start)
      out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool is_http_url(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"})
    if (url.starts_with(scheme) && url.size() > scheme.size())
      return true;
  return false;
}

// An integer from 1 to `max`, or 0 when the text is not one.
int small_integer(std::string_view text, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > max)
    return 0;
  return value;
}

bool is_variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

}  // namespace

Result<EndpointSpec> parse_endpoint(std::string_view text) {
  auto parts = words(text);
  if (parts.empty() || !is_http_url(parts.front()))
    return fail(ErrorKind::config, "a URL starting with http:// or https:// first");
  EndpointSpec spec;
  spec.url = std::string(parts.front());
  std::vector<std::string_view> seen;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view option = parts[i];
    const auto equals = option.find('=');
    if (equals == std::string_view::npos)
      return fail(ErrorKind::config, "\"{}\" is not name=value", option);
    const std::string_view name = option.substr(0, equals);
    const std::string_view value = option.substr(equals + 1);
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      return fail(ErrorKind::config, "{} is given twice", name);
    seen.push_back(name);
    if (name == "parallel") {
      spec.parallel = small_integer(value, k_max_endpoint_parallel);
      if (spec.parallel == 0)
        return fail(ErrorKind::config, "parallel takes an integer from 1 to {}",
                    k_max_endpoint_parallel);
    } else if (name == "weight") {
      spec.weight = small_integer(value, k_max_endpoint_weight);
      if (spec.weight == 0)
        return fail(ErrorKind::config, "weight takes an integer from 1 to {}",
                    k_max_endpoint_weight);
    } else if (name == "api_key_env") {
      if (!is_variable_name(value))
        return fail(ErrorKind::config,
                    "api_key_env takes an environment variable's name (letters, digits, _)");
      spec.api_key_env = std::string(value);
    } else {
      return fail(ErrorKind::config, "unknown option \"{}\" (known: parallel, weight, api_key_env)",
                  name);
    }
  }
  return spec;
}

std::vector<EndpointSpec> endpoints(const Config& config) {
  std::vector<EndpointSpec> out;
  for (const auto& line : config.llm.base_urls)
    if (auto spec = parse_endpoint(line))
      out.push_back(std::move(*spec));
  if (out.empty() && !config.llm.base_url.empty())
    out.push_back(EndpointSpec{config.llm.base_url, 0, 1, {}});
  return out;
}

std::string without_userinfo(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const auto scheme = text.find("://");
    if (scheme == std::string_view::npos)
      break;
    const std::size_t host = scheme + 3;
    std::size_t end = host;
    while (end < text.size() && !is_space(text[end]) && text[end] != '/')
      ++end;
    const auto at = text.substr(host, end - host).rfind('@');
    out += text.substr(0, host);
    if (at != std::string_view::npos) {
      out += "***";
      text.remove_prefix(host + at);
    } else {
      text.remove_prefix(host);
    }
  }
  out += text;
  return out;
}

std::string endpoint_identity(std::string_view url) {
  while (url.ends_with('/'))
    url.remove_suffix(1);
  return std::string(url);
}

}  // namespace g2d::config
