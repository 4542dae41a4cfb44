// generate/question_check.hpp — what makes a model's question worth storing, and where the
// candidates (questions, or pairs mode's question-answer pairs) come from in a reply.
//
// A usable question is one specific, well-formed question about its unit's code:
//   - list markers, numbering ("1.", "2)", "-", "*", "•", "Q3:", "Question 4:") and wrapping
//     quotes or emphasis are stripped;
//   - it is cut after its first '?' outside a `code span`: a second question or an answer the
//     model wrote after it is dropped;
//   - it ends with that '?' (a text without one is "not a question": a topic, an echo of a list,
//     or a reply cut mid-word), and is 10 to k_max_question_chars characters long;
//   - it names something of its code: an identifier the code holds, written as code (in a
//     `code span`, or shaped like code: snake_case, camelCase, called()) or as a plain word
//     of at least 3 letters that the code holds as a name and that is no keyword or common word;
//   - it shares no run of five words with the prompt that asked for it (an echo of the prompt's
//     own wording, such as "why it is written this way");
//   - a file it names (a name ending in a source file's extension: `src/file.c`, other.py) is
//     its unit's own file or one its code names (an #include, an import path, a comment): a
//     question about another file asks about code the model was not shown.
//
// Thread-safety: pure functions. Errors: usable_question reports why a question is refused
// (ErrorKind::bad_output, a short reason naming the question).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace g2d::generate {

// The longest question kept, in characters; the questions' schema allows no more.
constexpr int k_max_question_chars = 200;
constexpr int k_min_question_chars = 10;

// The question as it is stored, or why it is refused. `path`: the unit's file, in its repository.
Result<std::string> usable_question(std::string_view raw, std::string_view code,
                                    std::string_view prompt, std::string_view path = "");

// Every question-like string of a reply, in order: the strings of its "questions" JSON array
// (the complete ones when the reply was cut before the array closed), else its list items and
// lines ending with '?'. Nothing is judged here.
std::vector<std::string> candidate_questions(std::string_view reply);

// One question with its answer, as a pairs-mode reply holds it; nothing judged yet.
struct CandidatePair {
  std::string question;
  std::string answer;

  bool operator==(const CandidatePair&) const = default;
};

// The pairs of a {"pairs": [{"question": ..., "response": ...}]} reply, in order: the complete
// ones when the reply was cut, wherever the JSON starts (after prose, inside a fence). "answer" is
// read where "response" is missing; an object without both strings is skipped.
std::vector<CandidatePair> candidate_pairs(std::string_view reply);

// The question of the pair a pairs-mode reply was cut inside: its "question" string complete, its
// answer not (the reply's budget ran out, or it was stopped in a loop, while answering). Nothing
// when the reply was not cut inside a pair, or was cut before its question closed.
std::optional<std::string> cut_question(std::string_view reply);

}  // namespace g2d::generate
