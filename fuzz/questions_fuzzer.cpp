// questions_fuzzer — the parsing of a model's questions reply (generate::parse_questions) on any
// text (JSON, JSON in prose or a fence, a list): no crash, and what it returns is what the
// pipeline relies on — exactly `count` questions, each non-empty, trimmed and distinct.
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <set>
#include <string>

#include "fuzz_check.hpp"
#include "generate/prompts.hpp"

using g2d::fuzz::check;

namespace {

// What the parser trims.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int count = in.ConsumeIntegralInRange(1, 8);
  const std::string reply = in.ConsumeRemainingBytesAsString();
  const auto questions = g2d::generate::parse_questions(reply, count);
  if (!questions) {
    check(questions.error().kind == g2d::ErrorKind::bad_output, "a bad reply is bad_output");
    return 0;
  }
  check(questions->size() == static_cast<std::size_t>(count), "exactly `count` questions");
  std::set<std::string> distinct;
  for (const auto& question : *questions) {
    check(!question.empty(), "a question is not empty");
    check(!is_space(question.front()) && !is_space(question.back()), "a question is trimmed");
    distinct.insert(question);
  }
  check(distinct.size() == questions->size(), "the questions are distinct");
  return 0;
}
