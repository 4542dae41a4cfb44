// redact_fuzzer — secret redaction (redact::redact_secrets) on any bytes. Invariants from its
// contract: no newline is added or removed and every placeholder's line is a line of the text;
// text without findings comes back byte-identical; redacting redacted text changes nothing;
// valid UTF-8 stays valid UTF-8; every finding left a `<redacted:KIND>` placeholder.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "redact/redact.hpp"

using g2d::fuzz::check;

namespace {

// Whether `s` is well-formed UTF-8: nlohmann-json's strict dump refuses anything else.
bool valid_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  const auto once = g2d::redact::redact_secrets(source);
  const auto newlines = [](std::string_view s) { return std::count(s.begin(), s.end(), '\n'); };
  check(newlines(once.text) == newlines(source), "no newline is added or removed");
  if (once.found.empty())
    check(once.text == source, "text without findings is unchanged");
  const auto lines = static_cast<std::size_t>(newlines(source)) + 1;
  for (const auto& redaction : once.found) {
    check(redaction.line >= 1 && redaction.line <= lines, "a finding's line is in the text");
    check(once.text.find("<redacted:" + redaction.kind + ">") != std::string::npos,
          "a finding left its placeholder");
  }
  if (valid_utf8(std::string(source)))
    check(valid_utf8(once.text), "valid UTF-8 stays valid");
  const auto twice = g2d::redact::redact_secrets(once.text);
  check(twice.text == once.text, "redacting redacted text changes nothing");
  return 0;
}
