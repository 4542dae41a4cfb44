// generate/prompts.hpp — the prompts the pipeline sends, and the questions' JSON schema.
//
// Prompts are template files: system.txt, code.txt, questions.txt and answer.txt (the two-step
// mode: a questions call, then an answer call per question), and pairs.txt (pairs mode: one call
// writes questions and answers together). The built-in set (src/generate/prompts/, compiled in) is
// version "builtin-6"; `llm.prompts_dir` may name a folder holding any of the five files to replace
// the built-in ones. Overriding one of the first four makes the version "custom-" + the first 12
// hex digits of the SHA-256 of those four texts; pairs mode's version (prompts_version) adds
// "+pairs-" + 12 hex digits of pairs.txt's. Editing a prompt thus changes the settings fingerprint
// of the mode that uses it, and the affected files are regenerated — a database written in
// two-step mode before pairs.txt existed keeps its version.
//
// Layout, stable first, so that a file's code is evaluated once and its prefix shared by all of
// its calls: [system: system.txt] [user: code.txt + "\n\n" + task], where the task (questions.txt
// or answer.txt) comes last. One user message (not two in a row) keeps every chat template happy.
// Placeholders are `{{name}}`; substitution is one pass, so text inserted for a placeholder (the
// code, a question) is never scanned for placeholders itself. Unknown placeholders are errors
// when a set is loaded.
//
// Ownership: plain values. Thread-safety: pure functions (load_prompts reads files).
// Errors: load_prompts returns not_found (missing folder), io (unreadable file, or one that is not
// a regular file: a FIFO or a device is refused without waiting on it) or config (a file using an
// unknown placeholder, an empty one, or one larger than k_max_prompt_bytes), naming the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "llm/backend.hpp"

namespace g2d::generate {

struct PromptSet {
  std::string version;    // "builtin-6" or "custom-<hash>": of the two-step files
  std::string system;     // system.txt
  std::string code;       // code.txt: {{path}} {{language}} {{line_start}} {{line_end}} {{scope}}
                          //           {{code}}
  std::string questions;  // questions.txt: {{count}}
  std::string answer;     // answer.txt: {{question}} {{excerpt}}
  std::string pairs;      // pairs.txt: {{count}}
};

PromptSet builtin_prompts();

// How a unit's pairs are written (`generation.mode`).
enum class GenerationMode {
  two_step,  // a questions call, then one answer call per question (sharing the unit's prefix)
  pairs,     // one call writes every question with its answer
};

// What the samples record and the settings fingerprint holds: the set's version in two-step mode;
// in pairs mode, that version + "+pairs-" + the first 12 hex digits of pairs.txt's SHA-256.
std::string prompts_version(const PromptSet& prompts, GenerationMode mode);

constexpr std::size_t k_max_prompt_bytes = std::size_t{256} << 10;  // one template file

// The built-in set with the files found in `dir` replacing their built-in counterparts.
Result<PromptSet> load_prompts(const std::filesystem::path& dir);

// What the prompts are about: a whole file or one chunk of it.
struct CodeUnit {
  std::string path;      // shown to the model: the path in its repository, "src/a.c"
  std::string language;  // "c"
  int line_start = 1;    // 1-based, inclusive
  int line_end = 1;
  std::string scope;  // enclosing definition of a chunk ("class Parser"), or ""
  std::string code;
};

// {"questions": [exactly `count` strings of k_min_question_chars to k_max_question_chars
// characters, each shaped by a pattern: a capital letter first, a name in backticks, one '?' at
// the end]}. A grammar-constrained backend can then write nothing else.
nlohmann::json questions_schema(int count);

// The token budget of a questions call for `count` questions: the longest reply the schema allows
// (every question at its longest, at most one token a character, and the JSON around them), so a
// call never stops before its reply is complete. The reply is rarely that long; the budget is a
// cap, not what is paid.
int questions_budget(int count);

// {"pairs": [exactly `count` objects {"question": a string shaped as questions_schema's,
// "response": a non-empty string}]}. The keys sort in the order they are written (a grammar built
// from the schema writes an object's properties in key order): each question before its answer.
nlohmann::json pairs_schema(int count);

// A pairs call's token budget: every question at its longest (as questions_budget) and every
// answer at `answer_tokens` (llm.default_max_tokens), with the JSON around them.
int pairs_budget(int count, int answer_tokens);

// The questions call for `count` questions. `asked` are the unit's questions so far (a further
// call asks only for the missing ones): listed after the task, so the model writes others; the
// unit's prefix (system message and code) is the same whatever they are.
std::vector<llm::Message> question_messages(const PromptSet& prompts, const CodeUnit& unit,
                                            int count, const std::vector<std::string>& asked = {});
// The pairs call for `count` pairs; `asked` as for question_messages.
std::vector<llm::Message> pair_messages(const PromptSet& prompts, const CodeUnit& unit, int count,
                                        const std::vector<std::string>& asked = {});
// The answer call for `question`. answer.txt's {{excerpt}} becomes, when `with_excerpt` and the
// question names something the unit defines (generate/excerpt.hpp), that definition's lines
// quoted again with their line numbers — at most k_excerpt_bytes — and "" otherwise.
std::vector<llm::Message> answer_messages(const PromptSet& prompts, const CodeUnit& unit,
                                          std::string_view question, bool with_excerpt = true);

// Whether answer.txt quotes a definition under its question (it has {{excerpt}}).
bool quotes_definitions(const PromptSet& prompts);

// What an excerpt may add to an answer call: its bytes, and the tokens reserved for it in the
// context; an excerpt whose generous token count (a token per digit, per two bytes beyond ASCII,
// per three other bytes, and its heading and fence) is over k_excerpt_tokens is quoted shorter,
// or not at all.
constexpr std::size_t k_excerpt_bytes = 1024;
constexpr int k_excerpt_tokens = 400;

}  // namespace g2d::generate
