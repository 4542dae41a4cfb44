#include "generate/unit.hpp"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <string>

#include <spdlog/spdlog.h>

#include "sys/thread_cache.hpp"

namespace g2d::generate {

bool is_transient(ErrorKind kind) {
  return kind == ErrorKind::timeout || kind == ErrorKind::unavailable ||
         kind == ErrorKind::bad_output;
}

namespace {

// Sleeps `delay`, waking early when a stop is requested; false when it was.
bool sleep_unless_stopped(std::chrono::milliseconds delay, const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds base, int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  auto scaled = base.count() * (1LL << std::min(attempt, 10));
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(scaled) * jitter(rng)));
}

// One call with its retries. `accept` turns a reply into a value or a (possibly transient) error.
template <class T, class Accept>
Result<T> call_with_retries(llm::Backend& backend, const llm::GenerateRequest& request,
                            const UnitOptions& options, const std::stop_token& stop,
                            std::string_view what, Accept accept) {
  Error last{ErrorKind::internal, "no attempt made"};
  for (int attempt = 0; attempt < std::max(1, options.max_attempts); ++attempt) {
    if (attempt > 0) {
      auto delay = backoff_delay(options.backoff, attempt - 1);
      spdlog::debug("{}: attempt {} after {} ({} ms)", what, attempt + 1, last.describe(),
                    delay.count());
      if (!sleep_unless_stopped(delay, stop))
        return fail(ErrorKind::cancelled, "{}: stopped", what);
    }
    if (stop.stop_requested())
      return fail(ErrorKind::cancelled, "{}: stopped", what);
    // A retry samples anew — another seed, and never greedily — or it would repeat its output.
    llm::GenerateRequest attempt_request = request;
    if (attempt > 0) {
      attempt_request.seed = static_cast<uint32_t>(
          std::hash<std::string>{}(request.prefix_key + "/" + std::string(what)) + attempt);
      attempt_request.temperature = std::max(request.temperature, 0.3);
    }
    auto reply = backend.generate(attempt_request, stop);
    Result<T> value = reply ? accept(*reply) : tl::unexpected(reply.error());
    if (value)
      return value;
    last = value.error();
    if (!is_transient(last.kind))
      break;
  }
  return fail(last.kind, "{}: {}", what, last.message);
}

}  // namespace

Result<int> count_tokens(llm::Backend& backend, std::string_view text, const UnitOptions& options,
                         const std::stop_token& stop) {
  Result<int> tokens = backend.count_tokens(text);
  for (int attempt = 1;
       !tokens && is_transient(tokens.error().kind) && attempt < std::max(1, options.max_attempts);
       ++attempt) {
    auto delay = backoff_delay(options.backoff, attempt - 1);
    spdlog::debug("counting tokens: attempt {} after {} ({} ms)", attempt + 1,
                  tokens.error().describe(), delay.count());
    if (!sleep_unless_stopped(delay, stop))
      return fail(ErrorKind::cancelled, "counting tokens: stopped");
    tokens = backend.count_tokens(text);
  }
  if (!tokens)
    return fail(tokens.error().kind, "counting tokens: {}", tokens.error().message);
  return tokens;
}

namespace {

Result<std::vector<std::string>> ask_questions(llm::Backend& backend, const PromptSet& prompts,
                                               const CodeUnit& unit, const UnitOptions& options,
                                               const std::stop_token& stop) {
  llm::GenerateRequest ask;
  ask.messages = question_messages(prompts, unit, options.questions);
  ask.json_schema = questions_schema(options.questions);
  // Room for the JSON of the longest questions the schema allows, whatever default_max_tokens is:
  // a cut-off reply could never parse.
  ask.max_tokens = std::max(options.max_tokens, options.questions * 160 + 64);
  ask.temperature = options.temperature;
  ask.prefix_key = options.prefix_key;
  return call_with_retries<std::vector<std::string>>(
      backend, ask, options, stop, "questions",
      [&](const llm::GenerateResult& r) { return parse_questions(r.text, options.questions); });
}

Result<Pair> answer_question(llm::Backend& backend, const PromptSet& prompts, const CodeUnit& unit,
                             const UnitOptions& options, const std::stop_token& stop,
                             const std::string& question, int index) {
  llm::GenerateRequest request;
  request.messages = answer_messages(prompts, unit, question);
  request.max_tokens = options.max_tokens;
  request.temperature = options.temperature;
  request.prefix_key = options.prefix_key;
  return call_with_retries<Pair>(backend, request, options, stop,
                                 "answer " + std::to_string(index + 1),
                                 [&](const llm::GenerateResult& r) -> Result<Pair> {
                                   auto b = r.text.find_first_not_of(" \t\r\n");
                                   if (b == std::string::npos)
                                     return fail(ErrorKind::bad_output, "an empty answer");
                                   auto e = r.text.find_last_not_of(" \t\r\n");
                                   return Pair{question,
                                               r.text.substr(b, e - b + 1),
                                               r.prompt_tokens,
                                               r.cached_prompt_tokens,
                                               r.completion_tokens,
                                               r.finish == llm::FinishReason::length};
                                 });
}

}  // namespace

Result<std::vector<Pair>> generate_unit(llm::Backend& backend, const PromptSet& prompts,
                                        const CodeUnit& unit, const UnitOptions& options,
                                        std::stop_token stop, const UnitProgress& known,
                                        const UnitHooks& hooks) {
  bool resume = known.questions.size() == static_cast<size_t>(options.questions);
  Result<std::vector<std::string>> questions =
      resume ? Result<std::vector<std::string>>(known.questions)
             : ask_questions(backend, prompts, unit, options, stop);
  if (!questions)
    return tl::unexpected(questions.error());
  if (!resume && hooks.on_questions)
    hooks.on_questions(*questions);

  std::vector<Result<Pair>> answers(questions->size(),
                                    tl::unexpected(Error{ErrorKind::internal, "not run"}));
  {
    // The answer calls run at once (so a batching engine sees them together), on cached threads.
    std::vector<std::function<void()>> calls;
    calls.reserve(questions->size());
    for (size_t i = 0; i < questions->size(); ++i) {
      if (auto it = known.answers.find(static_cast<int>(i));
          resume && it != known.answers.end() && it->second.question == (*questions)[i]) {
        answers[i] = it->second;
        continue;
      }
      calls.emplace_back([&, i] {
        // Nothing may escape a thread: an exception (out of memory, a hook's) becomes an error.
        try {
          answers[i] = answer_question(backend, prompts, unit, options, stop, (*questions)[i],
                                       static_cast<int>(i));
          if (answers[i] && hooks.on_answer)
            hooks.on_answer(static_cast<int>(i), *answers[i]);
        } catch (const std::exception& e) {
          answers[i] = fail(ErrorKind::internal, "answer {}: {}", i + 1, e.what());
        }
      });
    }
    sys::run_concurrently(calls);
  }
  std::vector<Pair> pairs;
  pairs.reserve(answers.size());
  for (auto& a : answers) {
    if (!a)
      return tl::unexpected(a.error());
    pairs.push_back(std::move(*a));
  }
  return pairs;
}

}  // namespace g2d::generate
