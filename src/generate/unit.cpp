#include "generate/unit.hpp"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

#include <spdlog/spdlog.h>

#include "core/text.hpp"
#include "generate/question_check.hpp"
#include "quality/quality.hpp"
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

// One attempt of a call: attempt 0 as asked; a later one after a backoff when the previous one
// failed on its way (a busy or restarting server; a bad reply is asked again at once), sampling
// anew — another seed, and never greedily — or it would repeat its output.
Result<llm::GenerateResult> attempt_call(llm::Backend& backend, const llm::GenerateRequest& request,
                                         const UnitOptions& options, const std::stop_token& stop,
                                         std::string_view what, int attempt, const Error& last) {
  if (attempt > 0 && last.kind != ErrorKind::bad_output) {
    auto delay = backoff_delay(options.backoff, attempt - 1);
    spdlog::debug("{}: attempt {} after {} ({} ms)", what, attempt + 1, last.describe(),
                  delay.count());
    if (!sleep_unless_stopped(delay, stop))
      return fail(ErrorKind::cancelled, "{}: stopped", what);
  } else if (attempt > 0) {
    spdlog::debug("{}: attempt {} after {}", what, attempt + 1, last.describe());
  }
  if (stop.stop_requested())
    return fail(ErrorKind::cancelled, "{}: stopped", what);
  if (attempt == 0)
    return backend.generate(request, stop);
  llm::GenerateRequest again = request;
  again.seed = static_cast<uint32_t>(
      std::hash<std::string>{}(request.prefix_key + "/" + std::string(what)) + attempt);
  again.temperature = std::max(request.temperature, 0.3);
  return backend.generate(again, stop);
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

// The unit's questions: every usable, distinct one a reply holds is kept, and a further call asks
// only for the ones still missing (showing those it has), within options.max_attempts calls. Fewer
// than asked is a success when at least one is usable; none is the last reason one was refused.
Result<std::vector<std::string>> ask_questions(llm::Backend& backend, const PromptSet& prompts,
                                               const CodeUnit& unit, const UnitOptions& options,
                                               const std::stop_token& stop) {
  std::vector<std::string> kept;
  std::set<std::string> seen;  // normalised
  Error last{ErrorKind::internal, "no attempt made"};
  for (int attempt = 0; attempt < std::max(1, options.max_attempts); ++attempt) {
    int missing = options.questions - static_cast<int>(kept.size());
    llm::GenerateRequest ask;
    ask.messages = question_messages(prompts, unit, missing, kept);
    ask.json_schema = questions_schema(missing);
    ask.max_tokens = questions_budget(missing);
    ask.temperature = options.temperature;
    ask.prefix_key = options.prefix_key;
    auto reply = attempt_call(backend, ask, options, stop, "questions", attempt, last);
    if (!reply) {
      last = reply.error();
      if (!is_transient(last.kind))
        break;
      continue;
    }
    auto candidates = candidate_questions(reply->text);
    if (candidates.empty())
      last = Error{ErrorKind::bad_output, "the reply holds no questions (neither JSON nor a list)"};
    for (const auto& candidate : candidates) {
      auto question = usable_question(candidate, unit.code, prompts.questions);
      if (!question) {
        last = question.error();
      } else if (!seen.insert(quality::normalise(*question)).second) {
        last = Error{ErrorKind::bad_output, "a repeated question: " + *question};
      } else {
        kept.push_back(std::move(*question));
        if (std::ssize(kept) == options.questions)
          return kept;
      }
    }
  }
  if (!kept.empty()) {
    spdlog::debug("{}: kept {} of {} questions; the last refused: {}", options.prefix_key,
                  kept.size(), options.questions, last.message);
    return kept;
  }
  return fail(last.kind, "questions: {}", last.message);
}

Result<Pair> answer_question(llm::Backend& backend, const PromptSet& prompts, const CodeUnit& unit,
                             const UnitOptions& options, const std::stop_token& stop,
                             const std::string& question, int index) {
  llm::GenerateRequest request;
  request.messages = answer_messages(prompts, unit, question);
  request.max_tokens = options.max_tokens;
  request.temperature = options.temperature;
  request.prefix_key = options.prefix_key;
  const std::string what = "answer " + std::to_string(index + 1);
  Error last{ErrorKind::internal, "no attempt made"};
  std::optional<Pair> incomplete;  // the last answer that looped or was cut: kept if nothing better
  for (int attempt = 0; attempt < std::max(1, options.max_attempts); ++attempt) {
    auto r = attempt_call(backend, request, options, stop, what, attempt, last);
    if (!r) {
      last = r.error();
      if (!is_transient(last.kind))
        break;
      continue;
    }
    std::string_view answer = trim(r->text);
    if (answer.empty()) {
      last = Error{ErrorKind::bad_output, "an empty answer"};
      continue;
    }
    Pair pair{question,
              std::string(answer),
              r->prompt_tokens,
              r->cached_prompt_tokens,
              r->completion_tokens,
              r->finish != llm::FinishReason::stop};
    if (r->finish == llm::FinishReason::stop)
      return pair;
    incomplete = std::move(pair);
    if (r->finish == llm::FinishReason::loop) {
      last = Error{ErrorKind::bad_output, "the answer fell into a loop"};
      continue;
    }
    // Cut at its budget: once more with the larger one, if there is one.
    if (request.max_tokens >= options.longer_max_tokens)
      return *incomplete;
    request.max_tokens = options.longer_max_tokens;
    last = Error{ErrorKind::bad_output, "the answer was cut at its token budget"};
  }
  if (incomplete && is_transient(last.kind))
    return *incomplete;
  return fail(last.kind, "{}: {}", what, last.message);
}

}  // namespace

Result<std::vector<Pair>> generate_unit(llm::Backend& backend, const PromptSet& prompts,
                                        const CodeUnit& unit, const UnitOptions& options,
                                        std::stop_token stop, const UnitProgress& known,
                                        const UnitHooks& hooks) {
  // A unit may have kept fewer questions than asked (some were refused); never more.
  bool resume = !known.questions.empty() && std::ssize(known.questions) <= options.questions;
  Result<std::vector<std::string>> questions =
      resume ? Result<std::vector<std::string>>(known.questions)
             : ask_questions(backend, prompts, unit, options, stop);
  if (!questions && questions.error().kind == ErrorKind::bad_output) {
    // The model wrote no usable question in every call it was given: the unit has nothing worth
    // storing, which is no failure of the file (asking the same model again gives the same).
    spdlog::warn("{}: no usable question: {}", options.prefix_key, questions.error().message);
    return std::vector<Pair>{};
  }
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
