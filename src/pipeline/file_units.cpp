#include "pipeline/file_units.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "chunk/chunk.hpp"
#include "core/utf8.hpp"

namespace g2d::pipeline {

namespace {

constexpr int k_max_resplits = 3;
constexpr size_t k_count_piece = size_t{64} << 10;  // bytes tokenized at once by the unit bound

nlohmann::json to_json(const generate::Pair& p) {
  return {{"question", p.question},
          {"answer", p.answer},
          {"prompt_tokens", p.prompt_tokens},
          {"cached_prompt_tokens", p.cached_prompt_tokens},
          {"completion_tokens", p.completion_tokens},
          {"truncated", p.truncated},
          {"model", p.model}};
}

std::optional<generate::Pair> pair_from(const nlohmann::json& j) {
  try {
    return generate::Pair{
        j.at("question").get<std::string>(),  j.at("answer").get<std::string>(),
        j.at("prompt_tokens").get<int>(),     j.at("cached_prompt_tokens").get<int>(),
        j.at("completion_tokens").get<int>(), j.at("truncated").get<bool>(),
        j.value("model", std::string())};  // partial work stored before the model was kept
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string joined(const std::vector<llm::Message>& messages) {
  std::string out;
  for (const auto& m : messages)
    out += m.content + "\n";
  return out;
}

class FileJob {
 public:
  FileJob(const FileUnitsContext& context, const discover::SourceFile& file,
          const std::stop_token& stop)
      : m_context(context), m_file(file), m_stop(stop) {}

  // The file's units; when it fails (or is cancelled), what it finished is kept first.
  Result<std::vector<UnitPairs>> run(const std::string& text) {
    auto units = run_units(text);
    if (units || units.error().kind == ErrorKind::store)
      return units;
    std::vector<store::PartialRecord> finished;
    {
      std::lock_guard lock(m_mutex);
      finished.swap(m_finished);
    }
    if (auto kept = m_context.store.save_partials(finished); !kept)
      return tl::unexpected(kept.error());
    return units;
  }

 private:
  Result<std::vector<UnitPairs>> run_units(const std::string& text) {
    auto earlier =
        m_context.store.partials(m_file.file_path, m_file.sha256, m_context.settings_fingerprint);
    if (!earlier)
      return tl::unexpected(earlier.error());
    for (const auto& work : *earlier)
      remember(work);
    // Refused before it is cut when even its token count says it needs too many units: counted
    // in pieces, and only as far as that takes, so a huge file is never tokenized whole.
    auto budget = static_cast<std::uint64_t>(m_context.code_budget);
    auto max_units = static_cast<std::uint64_t>(m_context.max_units);
    if (text.size() > budget * max_units) {
      auto tokens = count_up_to(text, budget * (max_units + 1));
      if (!tokens)
        return tl::unexpected(tokens.error());
      if (*tokens > budget * (max_units + 1))
        return too_many_units(fmt::format("more than {}", max_units + 1), true);
    }
    auto chunks = chunk::split(m_file.language, text, m_context.code_budget, counter());
    if (!chunks)
      return tl::unexpected(chunks.error());
    m_units = chunks->size();
    if (m_units > static_cast<size_t>(m_context.max_units))
      return too_many_units(std::to_string(m_units), true);
    if (chunks->size() > 1)
      spdlog::debug("{}: {} units of at most {} tokens", m_file.file_path, chunks->size(),
                    m_context.code_budget);
    std::vector<UnitPairs> out;
    size_t offset = 0;
    for (const auto& c : *chunks) {
      auto st = run_unit(c, offset, 0, out);
      if (!st)
        return tl::unexpected(st.error());
      offset += c.text.size();
    }
    return out;
  }

  // `before_any_call`: whether the file is refused before any of its model calls.
  tl::unexpected<Error> too_many_units(const std::string& needed, bool before_any_call) const {
    return fail(ErrorKind::invalid_argument,
                "the file needs {} units of at most {} tokens, more than "
                "pipeline.max_units_per_file ({}){}",
                needed, m_context.code_budget, m_context.max_units,
                before_any_call ? "; no model call was made for it" : "");
  }

  // The tokens of `text`, counted in pieces of about k_count_piece bytes (cut after a line end
  // where the piece has one, else at a UTF-8 character boundary), until more than `enough`.
  Result<std::uint64_t> count_up_to(std::string_view text, std::uint64_t enough) const {
    std::uint64_t total = 0;
    while (!text.empty() && total <= enough) {
      size_t cut = std::min(text.size(), k_count_piece);
      if (cut < text.size()) {
        size_t line_end = text.rfind('\n', cut - 1);
        if (line_end != std::string_view::npos && line_end > 0)
          cut = line_end + 1;
        else
          cut = std::max<size_t>(1, utf8_boundary(text, cut));
      }
      auto tokens = generate::count_tokens(m_context.backend, text.substr(0, cut),
                                           m_context.unit_options, m_stop);
      if (!tokens)
        return tl::unexpected(tokens.error());
      total += static_cast<std::uint64_t>(std::max(0, *tokens));
      text.remove_prefix(cut);
    }
    return total;
  }

  chunk::TokenCounter counter() const {
    return [this](std::string_view t) {
      return generate::count_tokens(m_context.backend, t, m_context.unit_options, m_stop);
    };
  }

  void remember(const store::PartialRecord& work) {
    auto json = nlohmann::json::parse(work.payload, nullptr, false);
    generate::UnitProgress& known = m_known[work.unit];
    if (work.slot == 0 && json.is_object() && json.contains("questions") &&
        json["questions"].is_array()) {
      for (const auto& q : json["questions"])
        if (q.is_string())
          known.questions.push_back(q.get<std::string>());
    } else if (work.slot > 0) {
      if (auto pair = pair_from(json))
        known.answers[work.slot - 1] = *pair;
    }
  }

  // A finished call, kept in memory: written only if the file fails (one transaction), since a
  // file that succeeds is committed whole.
  void keep(const std::string& unit, int slot, const nlohmann::json& payload) {
    // Model output may hold invalid UTF-8: replaced, never thrown about.
    store::PartialRecord record{
        m_file.file_path,
        m_file.sha256,
        m_context.settings_fingerprint,
        unit,
        slot,
        payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
    std::lock_guard lock(m_mutex);
    m_finished.push_back(std::move(record));
  }

  Status run_unit(const chunk::Chunk& c, size_t offset, int depth, std::vector<UnitPairs>& out) {
    std::string key = fmt::format("L{}-{}@{}+{}", c.line_start, c.line_end, offset, c.text.size());
    // The model sees the path in the repository: the folder under repos_dir is this machine's.
    generate::CodeUnit unit{m_file.path, m_file.language, c.line_start,
                            c.line_end,  c.scope,         c.text};
    generate::UnitOptions options = m_context.unit_options;
    options.prefix_key = fmt::format("{}@{}#{}", m_file.file_path, m_file.sha256, key);
    generate::UnitHooks hooks;
    size_t questions_told = 0;  // pairs mode tells the unit's questions again as calls add some
    hooks.on_questions = [&](const std::vector<std::string>& q) {
      keep(key, 0, {{"questions", q}});
      if (m_context.progress != nullptr && q.size() > questions_told)
        m_context.progress->on_call_done(static_cast<int>(q.size() - questions_told), 0);
      questions_told = std::max(questions_told, q.size());
    };
    hooks.on_answer = [&](int i, const generate::Pair& p) {
      keep(key, i + 1, to_json(p));
      if (m_context.progress != nullptr)
        m_context.progress->on_call_done(0, 1);
    };
    auto pairs = generate::generate_unit(m_context.backend, m_context.prompts, unit, options,
                                         m_stop, m_known[key], hooks);
    // Its calls are over (a unit cut again below gets keys of its own): the backend may free the
    // unit's place (a server's slot, the router's room).
    m_context.backend.end_prefix(options.prefix_key);
    if (!pairs && pairs.error().kind == ErrorKind::context_overflow && depth < k_max_resplits) {
      auto smaller = split_again(c);
      if (!smaller)
        return tl::unexpected(smaller.error());
      if (smaller->size() > 1) {
        m_units += smaller->size() - 1;
        if (m_units > static_cast<size_t>(m_context.max_units))
          return too_many_units(std::to_string(m_units), false);
        spdlog::info("{}: lines {}-{} overflowed the context; split into {} units",
                     m_file.file_path, c.line_start, c.line_end, smaller->size());
        for (const auto& part : *smaller) {
          auto st = run_unit(part, offset, depth + 1, out);
          if (!st)
            return st;
          offset += part.text.size();
        }
        return {};
      }
    }
    if (!pairs)
      return tl::unexpected(pairs.error());
    out.push_back(UnitPairs{c.line_start, c.line_end, c.scope, c.text, std::move(*pairs)});
    return {};
  }

  // The unit cut at half its size; line numbers and scopes are the file's.
  Result<std::vector<chunk::Chunk>> split_again(const chunk::Chunk& c) const {
    auto tokens = generate::count_tokens(m_context.backend, c.text, m_context.unit_options, m_stop);
    if (!tokens)
      return tl::unexpected(tokens.error());
    auto parts = chunk::split(m_file.language, c.text, std::max(1, *tokens / 2), counter());
    if (!parts)
      return tl::unexpected(parts.error());
    for (auto& p : *parts) {
      p.line_start += c.line_start - 1;
      p.line_end += c.line_start - 1;
      if (p.scope.empty())
        p.scope = c.scope;
      else if (!c.scope.empty())
        p.scope = c.scope + " > " + p.scope;
    }
    return parts;
  }

  const FileUnitsContext& m_context;
  const discover::SourceFile& m_file;
  std::stop_token m_stop;
  std::map<std::string, generate::UnitProgress> m_known;  // by unit key; read before the units
  size_t m_units = 0;  // the file's units so far (run_units' thread only)

  std::mutex m_mutex;
  std::vector<store::PartialRecord> m_finished;  // guarded by m_mutex: this attempt's calls
};

}  // namespace

Result<TokenBudgets> token_budgets(llm::Backend& backend, const generate::PromptSet& prompts,
                                   const generate::UnitOptions& options) {
  auto info = backend.model_info();
  if (!info)
    return tl::unexpected(info.error());
  int context = info->context_length;
  generate::CodeUnit empty{"", "", 1, 1, "", ""};
  const bool pairs = options.mode == generate::GenerationMode::pairs;
  auto ask = generate::count_tokens(
      backend,
      joined(pairs ? generate::pair_messages(prompts, empty, options.questions)
                   : generate::question_messages(prompts, empty, options.questions)),
      options, {});
  if (!ask)
    return tl::unexpected(ask.error());
  auto answer = generate::count_tokens(
      backend, joined(generate::answer_messages(prompts, empty, "")), options, {});
  if (!answer)
    return tl::unexpected(answer.error());
  // An answer call may quote the definition its question names (generate/excerpt.hpp).
  if (!pairs && generate::quotes_definitions(prompts))
    *answer += generate::k_excerpt_tokens;
  // Chat markup per message, the path and scope in the header, and the question's own text.
  constexpr int k_allowance = 256;
  int overhead = std::max(*ask, *answer) + k_allowance;
  // The questions' JSON always gets its room; an answer gets up to half the context. In pairs
  // mode one reply holds every answer: it gets what they ask for, up to half the context, and
  // at least room for answers of k_least_pair_answer tokens.
  constexpr int k_least_pair_answer = 64;
  int longest = std::max(options.max_tokens, options.longer_max_tokens);
  int reply =
      pairs
          ? std::max(generate::pairs_budget(options.questions, k_least_pair_answer),
                     std::min(generate::pairs_budget(options.questions, options.max_tokens),
                              context / 2))
          : std::max(generate::questions_budget(options.questions), std::min(longest, context / 2));
  int budget = context - overhead - reply;
  constexpr int k_smallest = 128;
  if (budget < k_smallest) {
    return fail(ErrorKind::invalid_argument,
                "a context window of {} tokens leaves {} for code after {} for the prompts and {} "
                "for a reply; raise llm.context_window or lower llm.default_max_tokens",
                context, std::max(0, budget), overhead, reply);
  }
  TokenBudgets budgets;
  budgets.code = budget;
  budgets.answer = std::min(options.max_tokens, reply);
  if (pairs) {  // the largest answer for which the whole pairs reply fits its room
    int each = (reply - generate::pairs_budget(options.questions, 0)) / options.questions;
    budgets.answer = std::min(options.max_tokens, each);
  }
  budgets.longer_answer = std::min(options.longer_max_tokens, reply);
  if (budgets.longer_answer <= budgets.answer)
    budgets.longer_answer = 0;
  return budgets;
}

Result<std::vector<UnitPairs>> generate_file_units(const FileUnitsContext& context,
                                                   const discover::SourceFile& file,
                                                   const std::string& text,
                                                   const std::stop_token& stop) {
  FileJob job(context, file, stop);
  return job.run(text);
}

}  // namespace g2d::pipeline
