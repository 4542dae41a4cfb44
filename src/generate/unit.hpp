// generate/unit.hpp — question/answer pairs for one code unit (a file, or a chunk of one). In the
// two-step mode (the default): one questions call constrained to the questions' schema, then one
// answer call per question, posted together so that a batching backend decodes them at once and
// shares their prefix. In pairs mode: one call constrained to the pairs' schema writes every
// question with its answer; a pair whose question is unusable or repeated, or whose
// answer is empty, is dropped, and the missing ones are asked in two steps (one questions call
// showing the kept ones, then an answer call each); a reply with no usable pair is asked again
// (within max_attempts), and when no call gave one, the whole unit is asked in two steps. A pairs
// call's tokens are shared out among the pairs it gave (their sums are the call's).
//
// Every call carries the unit's prefix_key, so the engine keeps the evaluated system prompt and
// code between the questions call and the answer calls. A call that fails with a transient error
// (timeout, unavailable, bad_output: unparsable questions or an empty answer) is retried up to
// `max_attempts` times with exponential backoff and jitter; only that call is repeated, never the
// calls that succeeded; a retry samples with another seed and a temperature of at least 0.3, so it
// does not repeat the output that failed. An answer the backend stopped because it fell into a
// loop is asked again the same way; one cut at max_tokens is asked once more with
// `longer_max_tokens`. When those tries run out, the last such answer is kept, marked truncated
// (the loop cut off) — never a failure of the unit. Other errors (context_overflow, cancelled,
// model_missing, model_invalid, rejected, invalid_argument, internal) end the unit at once — but
// never the unit's other answer calls: each runs to its end, and what succeeded is reported through
// UnitHooks, so a retry of the unit (with UnitProgress) pays only for what failed.
//
// Ownership: borrows the backend and the prompts for the duration of the call.
// Thread-safety: generate_unit may run for several units at once (the backend is thread-safe);
// it starts one thread per answer call of its unit.
// Errors: the first call that failed for good, with its kind; a stop request gives cancelled. A
// unit whose questions calls gave no usable question is no error: it has no pairs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "generate/prompts.hpp"
#include "llm/backend.hpp"

namespace g2d::generate {

struct UnitOptions {
  int questions = 5;                       // questions per unit
  int max_tokens = 4096;                   // per call (llm.default_max_tokens)
  int longer_max_tokens = 0;               // one more try for an answer cut at max_tokens; 0: none
  double temperature = 0.2;                // answers; questions use it too
  int max_attempts = 4;                    // per call: 1 + llm.max_retries
  std::chrono::milliseconds backoff{500};  // first retry's delay; doubles, with +-50% jitter
  std::string prefix_key;                  // shared by the unit's calls
  GenerationMode mode = GenerationMode::two_step;
};

struct Pair {
  std::string question;
  std::string answer;
  int prompt_tokens = 0;         // of the answer call
  int cached_prompt_tokens = 0;  // of those, reused from the unit's earlier calls
  int completion_tokens = 0;     // of the answer call
  bool truncated = false;        // the answer hit its token budget
  std::string model;             // the model that answered, when the backend names it

  bool operator==(const Pair&) const = default;
};

// What a unit already has from an earlier attempt (the store's partial work): generate_unit asks
// only for what is missing (in either mode, a missing answer of a known question by an answer
// call). Questions of another count than `UnitOptions::questions` are ignored,
// and with them the answers.
struct UnitProgress {
  std::vector<std::string> questions;  // empty: the questions call is still to make
  std::map<int, Pair> answers;         // by question index, 0-based
};

// Called as each call finishes for good, so its result can be kept at once (a later failure of
// a sibling, or a crash, then loses nothing). on_answer runs on the answer's own thread, several
// at a time. In pairs mode, after each call that kept pairs: on_questions with every question kept
// so far, then on_answer for each of the call's pairs (on the unit's thread).
struct UnitHooks {
  std::function<void(const std::vector<std::string>& questions)> on_questions;
  std::function<void(int index, const Pair& pair)> on_answer;
};

// Whether an error kind is worth another attempt of the same call.
bool is_transient(ErrorKind kind);

// backend.count_tokens with a call's retries: a transient error (a busy or restarting server) is
// asked again after the same backoff, up to options.max_attempts in all; a stop ends the wait.
Result<int> count_tokens(llm::Backend& backend, std::string_view text, const UnitOptions& options,
                         const std::stop_token& stop);

Result<std::vector<Pair>> generate_unit(llm::Backend& backend, const PromptSet& prompts,
                                        const CodeUnit& unit, const UnitOptions& options,
                                        std::stop_token stop, const UnitProgress& known = {},
                                        const UnitHooks& hooks = {});

}  // namespace g2d::generate
