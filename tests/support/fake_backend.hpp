// tests/support/fake_backend.hpp — ScriptedFakeBackend: a fake LLM backend for fault injection
// (calls that fail, then succeed; calls that always fail; context overflows; slow calls), used by
// the generate and pipeline tests. Real-model behaviour is tested against the tiny model instead.
//
// `script` decides each reply from the request and how many calls of its kind came before it
// (questions calls carry a JSON schema; answer calls do not). Tokens are counted as bytes / 4.
//
// Thread-safety: generate() may be called from several threads; the scripts run one at a time
// under the fake's mutex, so they may keep state without locking.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llm/backend.hpp"

namespace g2d::test {

class ScriptedFakeBackend : public llm::Backend {
 public:
  using Script = std::function<Result<llm::GenerateResult>(const llm::GenerateRequest&, int)>;
  ScriptedFakeBackend(Script questions, Script answers, int context_length = 4096);

  std::string_view name() const override { return "scripted-fake"; }
  Result<llm::ModelInfo> model_info() override;
  Result<int> count_tokens(std::string_view text) override;
  Result<llm::GenerateResult> generate(const llm::GenerateRequest& request,
                                       std::stop_token stop) override;
  void unload() override {}
  void end_prefix(const std::string& prefix_key) override;

  int question_calls() const;
  // Each prefix key's calls and end_prefix calls, in the order they came (one list for both:
  // "call" or "end" after the key).
  std::vector<std::pair<std::string, std::string>> prefix_events() const;
  int answer_calls() const;

  // Calls for which `hold` is true wait (outside the fake's lock) until their stop is requested,
  // then end as cancelled — a call in flight when the run is abandoned.
  void hold_calls(std::function<bool(const llm::GenerateRequest&)> hold);
  int held_calls() const;  // how many are waiting now

  // count_tokens returns the error `fault` gives (from how many counts came before), if any.
  void fail_token_counts(std::function<std::optional<Error>(int counts_before)> fault);
  int token_counts() const;

 private:
  mutable std::mutex m_mutex;
  Script m_questions;
  Script m_answers;
  int m_context_length;
  int m_question_calls = 0;
  int m_answer_calls = 0;
  std::function<bool(const llm::GenerateRequest&)> m_hold;
  int m_held = 0;
  std::function<std::optional<Error>(int)> m_count_fault;
  int m_counts = 0;
  std::vector<std::pair<std::string, std::string>> m_prefix_events;
};

// A reply with `text`, 100 prompt tokens and 10 completion tokens.
llm::GenerateResult fake_reply(std::string text);

// {"questions": [...]} with `count` distinct questions naming `topic`, which should be an
// identifier of the code asked about (a stored question must name its code).
std::string fake_questions(int count, const std::string& topic);

// The first identifier of the code in `request` (inside its ``` fence) that is no keyword of the
// test fixtures' languages, written as `name`: what a fake's questions are about.
std::string code_name(const llm::GenerateRequest& request);

// {"questions": [...]}: `count` distinct questions naming code_name(request).
std::string fake_questions(const llm::GenerateRequest& request, int count);

// {"pairs": [...]}: `count` distinct pairs of pairs mode, each question naming code_name(request),
// each answer "Answer to: <question>".
std::string fake_pairs(const llm::GenerateRequest& request, int count);

// An answer that names its question ("Answer to: <question>"), so pairings can be checked.
Result<llm::GenerateResult> echo_answer(const llm::GenerateRequest& request, int calls_before);

}  // namespace g2d::test
