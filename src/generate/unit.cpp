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

// The questions a unit keeps: usable (usable_question), and none a repeat of another.
class KeptQuestions {
 public:
  KeptQuestions(const CodeUnit& unit, std::string_view prompt) : m_unit(unit), m_prompt(prompt) {}

  // The candidate as it is kept, or nothing (and `last` says why not).
  std::optional<std::string> keep(std::string_view candidate, Error& last) {
    auto question = usable_question(candidate, m_unit.code, m_prompt, m_unit.path);
    if (!question) {
      last = question.error();
      return std::nullopt;
    }
    if (!m_seen.insert(quality::normalise(*question)).second) {
      last = Error{ErrorKind::bad_output, "a repeated question: " + *question};
      ++m_repeats;
      return std::nullopt;
    }
    m_kept.push_back(*question);
    return std::move(*question);
  }
  // Questions kept before (checked then), kept again as they are.
  void adopt(const std::vector<std::string>& questions) {
    for (const auto& q : questions) {
      if (m_seen.insert(quality::normalise(q)).second)
        m_kept.push_back(q);
    }
  }
  const std::vector<std::string>& kept() const { return m_kept; }
  int count() const { return static_cast<int>(m_kept.size()); }
  int repeats() const { return m_repeats; }  // candidates refused as a repeat, so far

 private:
  const CodeUnit& m_unit;
  std::string_view m_prompt;
  int m_repeats = 0;
  std::set<std::string> m_seen;  // normalised
  std::vector<std::string> m_kept;
};

// A call of the unit whose reply the schema constrains.
llm::GenerateRequest constrained_call(std::vector<llm::Message> messages, nlohmann::json schema,
                                      int max_tokens, const UnitOptions& options) {
  llm::GenerateRequest ask;
  ask.messages = std::move(messages);
  ask.json_schema = std::move(schema);
  ask.max_tokens = max_tokens;
  ask.temperature = options.temperature;
  ask.prefix_key = options.prefix_key;
  return ask;
}

// Calls until `wanted` questions are kept or options.max_attempts calls are made: `request_for`
// builds a call for the ones still missing, `take` keeps what its reply holds. The last reason
// something was refused, or a call failed, is the result (a permanent error ends the asking).
Error ask_until(llm::Backend& backend, const UnitOptions& options, const std::stop_token& stop,
                std::string_view what, const KeptQuestions& kept, int wanted,
                const std::function<llm::GenerateRequest(int missing)>& request_for,
                const std::function<void(const llm::GenerateResult&, Error& last)>& take,
                const bool* give_up = nullptr) {
  Error last{ErrorKind::internal, "no attempt made"};
  for (int attempt = 0; attempt < std::max(1, options.max_attempts) && kept.count() < wanted &&
                        (give_up == nullptr || !*give_up);
       ++attempt) {
    auto reply = attempt_call(backend, request_for(wanted - kept.count()), options, stop, what,
                              attempt, last);
    if (!reply) {
      last = reply.error();
      if (!is_transient(last.kind))
        break;
      continue;
    }
    // A reply that kept fewer than wanted, none refused, is the reason unless take names another.
    last = Error{ErrorKind::bad_output,
                 "a reply held fewer usable " + std::string(what) + " than were asked for"};
    take(*reply, last);
  }
  return last;
}

// The unit's questions: every usable, distinct one a reply holds is kept, and a further call asks
// only for the ones still missing (showing those it has). `already` are kept first, as they are
// (a pairs reply's). Fewer than asked is a success when at least one is usable; none is the last
// reason one was refused.
Result<std::vector<std::string>> ask_questions(llm::Backend& backend, const PromptSet& prompts,
                                               const CodeUnit& unit, const UnitOptions& options,
                                               const std::stop_token& stop,
                                               const std::vector<std::string>& already = {}) {
  KeptQuestions kept(unit, prompts.questions);
  kept.adopt(already);
  auto request_for = [&](int missing) {
    return constrained_call(question_messages(prompts, unit, missing, kept.kept()),
                            questions_schema(missing), questions_budget(missing), options);
  };
  // A reply of nothing but questions the unit has: the model has no other (a small unit), and
  // asking again, however it is told which it has, only spends calls.
  bool out_of_questions = false;
  auto take = [&](const llm::GenerateResult& reply, Error& last) {
    auto candidates = candidate_questions(reply.text);
    if (candidates.empty())
      last = Error{ErrorKind::bad_output, "the reply holds no questions (neither JSON nor a list)"};
    const int repeats = kept.repeats();
    int tried = 0;
    for (const auto& candidate : candidates) {
      if (kept.count() < options.questions) {
        kept.keep(candidate, last);
        ++tried;
      }
    }
    // (A reply cut at its budget or in a loop says nothing of what else the model would ask.)
    out_of_questions =
        reply.finish == llm::FinishReason::stop && tried > 0 && kept.repeats() - repeats == tried;
  };
  Error last = ask_until(backend, options, stop, "questions", kept, options.questions, request_for,
                         take, &out_of_questions);
  // Refused questions leave fewer than asked; a call that failed for good (the server refused
  // the request, the stop was requested) ends the unit as any other call's would.
  if (kept.count() == 0 || (kept.count() < options.questions && !is_transient(last.kind)))
    return fail(last.kind, "questions: {}", last.message);
  if (kept.count() < options.questions)
    spdlog::debug("{}: kept {} of {} questions; the last refused: {}", options.prefix_key,
                  kept.count(), options.questions, last.message);
  return kept.kept();
}

// `total` shared out among `n` parts as evenly as integers allow (the first get the remainder).
int share(int total, int n, int index) {
  return total / n + (index < total % n ? 1 : 0);
}

// What pairs mode's calls wrote: every question kept, in order, with the answers that came with
// them; a question without one was the last of a reply cut inside its answer. `spent`: the tokens
// of such a reply's share, by question index, for the pair its answer call completes.
struct PairsReplies {
  UnitProgress progress;
  std::map<int, Pair> spent;
};

// Pairs mode: every usable pair the first reply that has one holds, reported through `hooks` as
// they are kept; a reply with none is asked again (within max_attempts). The pairs calls end once
// a reply kept something: the caller asks the rest in two steps — a further pairs reply would pay
// for every answer again, and a small model's often repeats a question already kept. A reply cut
// inside an answer keeps that pair's question, unanswered, for the caller to answer alone. None
// kept is the last reason.
Result<PairsReplies> ask_pairs(llm::Backend& backend, const PromptSet& prompts,
                               const CodeUnit& unit, const UnitOptions& options,
                               const std::stop_token& stop, const UnitHooks& hooks) {
  KeptQuestions kept(unit, prompts.pairs);
  PairsReplies out;
  bool kept_some = false;  // a reply gave usable pairs: the rest are asked in two steps
  auto request_for = [&](int missing) {
    return constrained_call(pair_messages(prompts, unit, missing, kept.kept()),
                            pairs_schema(missing), pairs_budget(missing, options.max_tokens),
                            options);
  };
  auto take = [&](const llm::GenerateResult& reply, Error& last) {
    auto candidates = candidate_pairs(reply.text);
    const std::optional<std::string> cut = cut_question(reply.text);
    if (candidates.empty() && !cut)
      last = Error{ErrorKind::bad_output, "the reply holds no complete pair"};
    const int first = kept.count();
    for (auto& candidate : candidates) {
      std::string_view answer = trim(candidate.answer);
      if (kept.count() == options.questions)
        break;
      if (answer.empty()) {
        last = Error{ErrorKind::bad_output, "an empty answer to: " + candidate.question};
      } else if (auto question = kept.keep(candidate.question, last)) {
        out.progress.answers[kept.count() - 1] =
            Pair{std::move(*question), std::string(answer), 0, 0, 0, false, {}};
      }
    }
    if (cut && kept.count() < options.questions)
      kept.keep(*cut, last);
    // The call's tokens shared out among the questions it gave, answered or not.
    const int n = kept.count() - first;
    kept_some = kept_some || n > 0;
    for (int i = 0; i < n; ++i) {
      auto it = out.progress.answers.find(first + i);
      Pair& pair = it != out.progress.answers.end() ? it->second : out.spent[first + i];
      pair.prompt_tokens = share(reply.prompt_tokens, n, i);
      pair.cached_prompt_tokens = share(reply.cached_prompt_tokens, n, i);
      pair.completion_tokens = share(reply.completion_tokens, n, i);
      pair.model = reply.model;
    }
    if (n > 0 && hooks.on_questions)
      hooks.on_questions(kept.kept());
    for (int i = first; n > 0 && hooks.on_answer && i < first + n; ++i) {
      if (auto it = out.progress.answers.find(i); it != out.progress.answers.end())
        hooks.on_answer(i, it->second);
    }
  };
  Error last = ask_until(backend, options, stop, "pairs", kept, options.questions, request_for,
                         take, &kept_some);
  out.progress.questions = kept.kept();
  if (kept.count() == 0)  // else the caller asks the rest in two steps
    return fail(last.kind, "pairs: {}", last.message);
  return out;
}

Result<Pair> answer_question(llm::Backend& backend, const PromptSet& prompts, const CodeUnit& unit,
                             const UnitOptions& options, const std::stop_token& stop,
                             const std::string& question, int index) {
  llm::GenerateRequest request;
  // Pairs mode's answer calls quote no definition: its code budget keeps no room for one.
  bool excerpted = options.mode == GenerationMode::two_step;
  request.messages = answer_messages(prompts, unit, question, excerpted);
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
      if (last.kind == ErrorKind::context_overflow && excerpted) {
        // The excerpt is what the questions call did not have: ask without it, if it had one.
        excerpted = false;
        auto plain = answer_messages(prompts, unit, question, false);
        if (plain.back().content != request.messages.back().content) {
          request.messages = std::move(plain);
          --attempt;  // the same try again, without the excerpt: no backoff, no attempt spent
          continue;
        }
      }
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
              r->finish != llm::FinishReason::stop,
              r->model};
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
  UnitProgress have = resume ? known : UnitProgress{};
  std::map<int, Pair> spent;  // tokens a cut pairs reply spent on a question still unanswered
  Result<std::vector<std::string>> questions = have.questions;
  if (options.mode == GenerationMode::pairs && !resume) {
    auto got = ask_pairs(backend, prompts, unit, options, stop, hooks);
    if (!got && got.error().kind != ErrorKind::bad_output)
      return tl::unexpected(got.error());
    if (got && got->progress.answers.size() == got->progress.questions.size() &&
        std::ssize(got->progress.questions) == options.questions) {
      std::vector<Pair> pairs;
      for (auto& [index, pair] : got->progress.answers)
        pairs.push_back(std::move(pair));
      return pairs;
    }
    if (got) {
      // A reply was cut inside an answer: that question is answered alone, and the ones still
      // missing are asked in two steps.
      have = std::move(got->progress);
      spent = std::move(got->spent);
      questions = have.questions;
      if (std::ssize(have.questions) < options.questions) {
        // Refused questions leave the kept ones; a call that failed for good ends the unit.
        questions = ask_questions(backend, prompts, unit, options, stop, have.questions);
        if (!questions)
          return tl::unexpected(questions.error());
      }
      if (hooks.on_questions && questions->size() > have.questions.size())
        hooks.on_questions(*questions);
    } else {
      // Not one usable pair or question in every call (a small model may loop inside its first
      // question every time): the unit is asked in two steps, whose answers are free text.
      spdlog::info("{}: no usable pair ({}); asking for questions, then an answer each",
                   options.prefix_key, got.error().message);
    }
  }
  if (questions->empty()) {
    questions = ask_questions(backend, prompts, unit, options, stop);
    if (!questions && questions.error().kind == ErrorKind::bad_output) {
      // The model wrote no usable question in every call it was given: the unit has nothing
      // worth storing, which is no failure of the file (asking the same model again gives the
      // same).
      spdlog::warn("{}: no usable question: {}", options.prefix_key, questions.error().message);
      return std::vector<Pair>{};
    }
    if (!questions)
      return tl::unexpected(questions.error());
    if (hooks.on_questions)
      hooks.on_questions(*questions);
  }

  std::vector<Result<Pair>> answers(questions->size(),
                                    tl::unexpected(Error{ErrorKind::internal, "not run"}));
  {
    // The answer calls run at once (so a batching engine sees them together), on cached threads.
    std::vector<std::function<void()>> calls;
    calls.reserve(questions->size());
    for (size_t i = 0; i < questions->size(); ++i) {
      if (auto it = have.answers.find(static_cast<int>(i));
          it != have.answers.end() && it->second.question == (*questions)[i]) {
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
  for (const auto& [index, tokens] : spent) {
    Pair& pair = pairs[static_cast<size_t>(index)];
    pair.prompt_tokens += tokens.prompt_tokens;
    pair.cached_prompt_tokens += tokens.cached_prompt_tokens;
    pair.completion_tokens += tokens.completion_tokens;
  }
  return pairs;
}

}  // namespace g2d::generate
