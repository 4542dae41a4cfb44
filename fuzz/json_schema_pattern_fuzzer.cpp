// json_schema_pattern_fuzzer — the JSON Schema `pattern` keyword (llm/json_schema_pattern.cpp)
// through both entry points, json_schema_to_gbnf and validate_json, on any pattern and string: no
// crash and no exponential time. Invariants: the converter and the validator accept or refuse the
// same patterns, with the same message; a string only ever fails an accepted pattern by not
// matching it; a pattern that is a string with its special characters escaped matches exactly
// that string; a pattern of any number of any characters matches every string.
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "llm/json_schema.hpp"

using g2d::fuzz::check;
using nlohmann::json;

namespace {

json pattern_schema(const std::string& pattern) {
  return {{"type", "string"}, {"pattern", pattern}};
}

// `text` as a pattern that matches exactly it.
std::string escaped(std::string_view text) {
  std::string out = "^";
  for (char c : text) {
    if (std::string_view(R"(\^$.|?*+()[]{}/-)").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "$";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string pattern = in.ConsumeRandomLengthString(128);
  const std::string text = in.ConsumeRemainingBytesAsString();
  const json schema = pattern_schema(pattern);

  auto grammar = g2d::llm::json_schema_to_gbnf(schema);
  auto problems = g2d::llm::validate_json(text, schema);
  if (!grammar) {
    check(problems.size() == 1 && problems.front() == grammar.error().message,
          "the validator refuses a pattern the converter refuses, with its message");
  } else {
    check(problems.empty() ||
              (problems.size() == 1 &&
               problems.front().find("does not match the pattern") != std::string::npos),
          "a string fails an accepted pattern only by not matching it");
  }

  if (g2d::valid_utf8(text)) {
    check(g2d::llm::validate_json(text, pattern_schema(escaped(text))).empty(),
          "an escaped string matches itself");
    std::string other = text + "x";
    check(!g2d::llm::validate_json(other, pattern_schema(escaped(text))).empty(),
          "an escaped string matches only itself");
  }
  // Any character: '.' and the line terminators it leaves out (\r, U+2028 and U+2029 as they are).
  const std::string anything = "^(?:.|\\n|\r|\xe2\x80\xa8|\xe2\x80\xa9)*$";
  check(g2d::llm::validate_json(text, pattern_schema(anything)).empty(),
        "any number of any characters matches every string");
  return 0;
}
