// pipeline/file_units.hpp — one file's question/answer pairs: the file is cut into units that fit
// the model's context (chunk/: definition boundaries, a textual fallback), each unit goes through
// generate_unit. When the file fails or is cancelled, every call it finished is kept in the
// store's partial work (one transaction), so its next run pays only for what is missing. A file
// that succeeds is committed whole by the caller, and a crash loses only the files in flight — so
// a healthy run writes once per file, not once per call.
//
// Token budget: a unit's code may take `token_budgets(...).code` tokens — the context window less
// the prompts around the code (counted with the backend's tokenizer; an answer call's with room for
// the definition it may quote, generate::k_excerpt_tokens) and the room kept for a reply,
// max(what the questions' JSON needs, min(the longer answer's budget, context / 2)): an answer
// first gets default_max_tokens within that room, and one cut there gets the whole room once. A
// unit that still overflows (a backend whose tokenizer is only an estimate) is split again at half
// its size, up to three times; nothing is ever truncated.
//
// Partial work is keyed by the unit's line range, byte offset and length ("L12-80@345+2210"): the
// same file version under the same settings splits the same way, so the keys match on the next
// run. (The context window and default_max_tokens decide the split but are not in the settings
// fingerprint: changing them makes earlier partial work unused, never wrongly reused.)
//
// Cost bound: a file that needs more than `max_units` units fails (invalid_argument, naming
// pipeline.max_units_per_file) before any generation call: when its bytes could hold more tokens
// than max_units units take, its tokens are counted first, 64 KiB at a time and only until they
// pass max_units + 1 units, so a huge file is refused without being tokenized whole or cut; then
// the cut's units are counted; a unit cut again after an overflow counts too.
//
// Ownership: borrows everything in FileUnitsContext for the duration of a call.
// Thread-safety: generate_file_units may run for several files at once (the store and the backend
// are thread-safe).
// Errors: the first unit's error that ended it for good (cancelled when stopped); `store` when
// the earlier partial work could not be read or this attempt's could not be kept (the run must
// stop: nothing more can be stored).
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "discover/discover.hpp"
#include "generate/prompts.hpp"
#include "generate/unit.hpp"
#include "llm/backend.hpp"
#include "pipeline/progress.hpp"
#include "store/store.hpp"

namespace g2d::pipeline {

struct FileUnitsContext {
  store::Store& store;
  llm::Backend& backend;
  const generate::PromptSet& prompts;
  generate::UnitOptions unit_options;  // prefix_key is set per unit
  int code_budget = 0;                 // tokens a unit's code may take (token_budgets())
  int max_units = 16;                  // pipeline.max_units_per_file
  std::string settings_fingerprint;
  // Told of every call that finished here (not those reused from earlier partial work): a unit's
  // questions (how many) or one answer (on_call_done). Called from the calls' threads, several at
  // once; null: nobody is.
  ProgressObserver* progress = nullptr;
};

// The pairs of one unit, with where it is in the file.
struct UnitPairs {
  int line_start = 1;
  int line_end = 1;
  std::string scope;
  std::string code;  // the unit's code as the model saw it (redacted)
  std::vector<generate::Pair> pairs;
};

// What a unit's calls may take with this backend, prompts and options.
struct TokenBudgets {
  int code = 0;           // tokens of a unit's code
  int answer = 0;         // an answer's first try: options.max_tokens within the reply's room
  int longer_answer = 0;  // one more try for an answer cut at `answer` (0: none)
};

// The budgets; invalid_argument (naming llm.context_window and llm.default_max_tokens) when not
// even a small unit would fit.
Result<TokenBudgets> token_budgets(llm::Backend& backend, const generate::PromptSet& prompts,
                                   const generate::UnitOptions& options);

// `text` is the file's content with its secrets redacted.
Result<std::vector<UnitPairs>> generate_file_units(const FileUnitsContext& context,
                                                   const discover::SourceFile& file,
                                                   const std::string& text,
                                                   const std::stop_token& stop);

}  // namespace g2d::pipeline
