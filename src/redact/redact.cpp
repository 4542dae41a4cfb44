#include "redact/redact.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "redact/detect.hpp"

namespace g2d::redact {

namespace detail {

bool is_placeholder(std::string_view value) {
  if (value.empty())
    return true;
  if (std::all_of(value.begin(), value.end(), [&](char c) { return c == value.front(); }))
    return true;
  // References and templates: $X, ${X}, $(cmd), {x}, {{ x }}, <x>, %X%, %(x)s, %s.
  char first = value.front();
  char last = value.back();
  if (first == '$' || first == '<' || (first == '{' && last == '}') ||
      (first == '%' && last == '%'))
    return true;
  std::string lowered(value.size(), ' ');
  std::transform(value.begin(), value.end(), lowered.begin(), lower);
  static constexpr std::array<std::string_view, 18> k_marks = {
      "${",      "{{",          "$(",           "%(",       "%s",        "xxx",
      "***",     "...",         "\xE2\x80\xA6", "changeme", "change_me", "change-me",
      "example", "placeholder", "your",         "dummy",    "replace",   "redacted"};
  for (std::string_view mark : k_marks)
    if (lowered.find(mark) != std::string::npos)
      return true;
  static constexpr std::array<std::string_view, 16> k_words = {
      "password", "passwd", "pass", "pwd",       "secret", "token", "apikey", "api_key",
      "none",     "null",   "nil",  "undefined", "true",   "false", "hidden", "masked"};
  return std::find(k_words.begin(), k_words.end(), lowered) != k_words.end();
}

double entropy(std::string_view value) {
  if (value.empty())
    return 0.0;
  std::array<size_t, 256> counts{};
  for (char c : value)
    ++counts[static_cast<unsigned char>(c)];
  double bits = 0.0;
  const auto n = static_cast<double>(value.size());
  for (size_t count : counts) {
    if (count == 0)
      continue;
    double p = static_cast<double>(count) / n;
    bits -= p * std::log2(p);
  }
  return bits;
}

}  // namespace detail

namespace {

using detail::Span;

// Spans sorted by start; overlapping ones become one, named by the first (at equal starts, the
// most specific detector), so a secret two detectors see is replaced and counted once and no byte
// of either range survives.
std::vector<Span> merge(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    if (a.begin != b.begin)
      return a.begin < b.begin;
    return a.source < b.source;
  });
  std::vector<Span> merged;
  for (const Span& s : spans) {
    if (s.begin >= s.end)
      continue;
    if (!merged.empty() && s.begin < merged.back().end) {
      merged.back().end = std::max(merged.back().end, s.end);
      continue;
    }
    merged.push_back(s);
  }
  return merged;
}

}  // namespace

std::map<std::string, size_t> Redacted::counts_by_kind() const {
  std::map<std::string, size_t> counts;
  for (const Redaction& r : found)
    ++counts[r.kind];
  return counts;
}

size_t Redacted::count(std::string_view kind) const {
  return static_cast<size_t>(std::count_if(found.begin(), found.end(),
                                           [&](const Redaction& r) { return r.kind == kind; }));
}

namespace {

// One pass of every detector over `source`.
Redacted redact_once(std::string_view source) {
  std::vector<Span> spans;
  detail::find_private_keys(source, spans);
  detail::find_shaped_tokens(source, spans);
  detail::find_url_passwords(source, spans);
  detail::find_assignments(source, spans);
  detail::find_command_passwords(source, spans);

  Redacted result;
  if (spans.empty()) {
    result.text = std::string(source);
    return result;
  }
  std::vector<Span> merged = merge(std::move(spans));
  result.text.reserve(source.size());
  size_t copied = 0;
  size_t line = 1;
  for (const Span& s : merged) {
    std::string_view kept = source.substr(copied, s.begin - copied);
    line += static_cast<size_t>(std::count(kept.begin(), kept.end(), '\n'));
    result.text += kept;
    if (s.counted) {
      result.text += "<redacted:";
      result.text += s.kind;
      result.text += '>';
      result.found.push_back(Redaction{std::string(s.kind), line});
    }
    copied = s.end;
  }
  result.text += source.substr(copied);
  return result;
}

}  // namespace

Redacted redact_secrets(std::string_view source) {
  // A detector reads its context (a command's arguments, a key block's lines) in the text as it
  // is; a secret inside that context can hide another one until it is replaced. So passes repeat
  // until one finds nothing: a secret is never left for a second redaction to find.
  constexpr int k_max_passes = 8;
  Redacted result = redact_once(source);
  if (result.found.empty() && result.text == source)
    return result;  // nothing to find: another pass would see the same text
  for (int pass = 1; pass < k_max_passes; ++pass) {
    Redacted more = redact_once(result.text);
    if (more.found.empty() && more.text == result.text)
      break;
    result.text = std::move(more.text);
    result.found.insert(result.found.end(), std::make_move_iterator(more.found.begin()),
                        std::make_move_iterator(more.found.end()));
  }
  return result;
}

}  // namespace g2d::redact
