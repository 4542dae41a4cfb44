// questions_fuzzer — what the pipeline does with a model's questions reply on any text (JSON, a
// cut JSON reply, JSON in prose or a fence, a list, prose): generate::candidate_questions finds
// the candidates, generate::usable_question judges each against a code unit. No crash, a refused
// question is bad_output, and a kept one is what question_check.hpp promises: trimmed, ending
// with '?', 10 to 200 characters.
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>

#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "generate/question_check.hpp"

using g2d::fuzz::check;

namespace {

// What the check trims.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string code = in.ConsumeRandomLengthString(256);
  const std::string reply = in.ConsumeRemainingBytesAsString();
  for (const auto& candidate : g2d::generate::candidate_questions(reply)) {
    const auto question =
        g2d::generate::usable_question(candidate, code, "Write questions about the code above.");
    if (!question) {
      check(question.error().kind == g2d::ErrorKind::bad_output,
            "a refused question is bad_output");
      continue;
    }
    check(!question->empty() && question->back() == '?', "a question ends with '?'");
    check(!is_space(question->front()), "a question is trimmed");
    const auto length = g2d::count_code_points(*question);
    check(length >= static_cast<std::size_t>(g2d::generate::k_min_question_chars) &&
              length <= static_cast<std::size_t>(g2d::generate::k_max_question_chars),
          "a question is 10 to 200 characters long");
  }
  return 0;
}
