// generate/prompts.hpp — the prompts the pipeline sends, and the questions' JSON schema.
//
// Prompts are template files: system.txt, code.txt, questions.txt and answer.txt. The built-in
// set (src/generate/prompts/, compiled in) is version "builtin-3"; `llm.prompts_dir` may name a
// folder holding any of the four files to replace the built-in ones, and then the version is
// "custom-" + the first 12 hex digits of the SHA-256 of all four texts, so editing a prompt
// changes the settings fingerprint and the affected files are regenerated.
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
  std::string version;    // "builtin-3" or "custom-<hash>"
  std::string system;     // system.txt
  std::string code;       // code.txt: {{path}} {{language}} {{line_start}} {{line_end}} {{scope}}
                          //           {{code}}
  std::string questions;  // questions.txt: {{count}}
  std::string answer;     // answer.txt: {{question}}
};

PromptSet builtin_prompts();

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

// The questions call for `count` questions. `asked` are the unit's questions so far (a further
// call asks only for the missing ones): listed after the task, so the model writes others; the
// unit's prefix (system message and code) is the same whatever they are.
std::vector<llm::Message> question_messages(const PromptSet& prompts, const CodeUnit& unit,
                                            int count, const std::vector<std::string>& asked = {});
std::vector<llm::Message> answer_messages(const PromptSet& prompts, const CodeUnit& unit,
                                          std::string_view question);

}  // namespace g2d::generate
