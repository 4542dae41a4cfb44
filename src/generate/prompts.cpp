#include "generate/prompts.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/text.hpp"
#include "generate/excerpt.hpp"
#include "generate/question_check.hpp"
#include "llm/json_schema.hpp"
#include "sys/safe_read.hpp"
#include "sys/sha256.hpp"

namespace g2d::generate {

namespace builtin {
extern const std::string_view k_system_txt;
extern const std::string_view k_code_txt;
extern const std::string_view k_questions_txt;
extern const std::string_view k_answer_txt;
extern const std::string_view k_pairs_txt;
}  // namespace builtin

namespace {

namespace fs = std::filesystem;

using Values = std::map<std::string, std::string, std::less<>>;

// One pass: `{{name}}` → values[name]; inserted text is not scanned again. Unknown names are kept.
std::string render(std::string_view tmpl, const Values& values) {
  std::string out;
  out.reserve(tmpl.size() + 256);
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      break;
    }
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      break;
    }
    out.append(tmpl.substr(pos, open - pos));
    std::string_view name = tmpl.substr(open + 2, close - open - 2);
    if (auto it = values.find(name); it != values.end())
      out.append(it->second);
    else
      out.append(tmpl.substr(open, close + 2 - open));
    pos = close + 2;
  }
  return out;
}

// The placeholders a template uses that are not in `allowed`.
std::vector<std::string> unknown_placeholders(std::string_view tmpl,
                                              const std::set<std::string_view>& allowed) {
  std::vector<std::string> unknown;
  size_t pos = 0;
  while ((pos = tmpl.find("{{", pos)) != std::string_view::npos) {
    size_t close = tmpl.find("}}", pos + 2);
    if (close == std::string_view::npos)
      break;
    std::string_view name = tmpl.substr(pos + 2, close - pos - 2);
    if (!allowed.contains(name))
      unknown.push_back("{{" + std::string(name) + "}}");
    pos = close + 2;
  }
  return unknown;
}

struct TemplateFile {
  const char* file;
  std::string PromptSet::*member;
  std::set<std::string_view> placeholders;
};

// The two-step files first: the set's version covers those four (k_versioned_files).
constexpr size_t k_versioned_files = 4;
const std::array<TemplateFile, 5>& template_files() {
  static const std::array<TemplateFile, 5> files{{
      {"system.txt", &PromptSet::system, {}},
      {"code.txt",
       &PromptSet::code,
       {"path", "language", "line_start", "line_end", "scope", "code"}},
      {"questions.txt", &PromptSet::questions, {"count"}},
      {"answer.txt", &PromptSet::answer, {"question", "excerpt"}},
      {"pairs.txt", &PromptSet::pairs, {"count"}},
  }};
  return files;
}

std::string code_part(const PromptSet& prompts, const CodeUnit& unit) {
  return render(prompts.code, {{"path", unit.path},
                               {"language", unit.language},
                               {"line_start", std::to_string(unit.line_start)},
                               {"line_end", std::to_string(unit.line_end)},
                               {"scope", unit.scope.empty() ? "" : ", in " + unit.scope},
                               {"code", unit.code}});
}

std::vector<llm::Message> messages(const PromptSet& prompts, const CodeUnit& unit,
                                   std::string_view task) {
  std::string user = code_part(prompts, unit);
  while (!user.empty() && user.back() == '\n')
    user.pop_back();
  user += "\n\n";
  user += task;
  return {{llm::Role::system, prompts.system}, {llm::Role::user, std::move(user)}};
}

std::string trimmed(std::string_view s) {
  return std::string(trim(s));
}

}  // namespace

PromptSet builtin_prompts() {
  return {"builtin-6",
          std::string(builtin::k_system_txt),
          std::string(builtin::k_code_txt),
          std::string(builtin::k_questions_txt),
          std::string(builtin::k_answer_txt),
          std::string(builtin::k_pairs_txt)};
}

Result<PromptSet> load_prompts(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail(ErrorKind::not_found, "llm.prompts_dir: {} is not a directory", dir.string());
  PromptSet set = builtin_prompts();
  bool overridden = false;  // one of the versioned (two-step) files
  for (size_t i = 0; i < template_files().size(); ++i) {
    const auto& t = template_files()[i];
    fs::path path = dir / t.file;
    if (!fs::exists(path, ec))
      continue;
    auto text = sys::read_small_file(path, k_max_prompt_bytes, "prompt template");
    if (!text && text.error().kind == ErrorKind::invalid_argument)
      return tl::unexpected(Error{ErrorKind::config, text.error().message});
    if (!text)
      return tl::unexpected(text.error());
    std::string content = std::move(*text);
    if (trimmed(content).empty())
      return fail(ErrorKind::config, "the prompt {} is empty", path.string());
    if (auto unknown = unknown_placeholders(content, t.placeholders); !unknown.empty()) {
      std::string known;
      for (auto name : t.placeholders)
        known += (known.empty() ? "" : ", ") + ("{{" + std::string(name) + "}}");
      return fail(ErrorKind::config, "the prompt {} uses unknown placeholder {} (known: {})",
                  path.string(), unknown.front(), known.empty() ? "none" : known);
    }
    set.*t.member = std::move(content);
    overridden = overridden || i < k_versioned_files;
  }
  if (overridden) {
    std::string all;
    for (size_t i = 0; i < k_versioned_files; ++i) {
      const auto& t = template_files()[i];
      all += t.file;
      all += '\0';
      all += set.*t.member;
      all += '\0';
    }
    set.version = "custom-" + sys::sha256_hex(all).substr(0, 12);
  }
  return set;
}

// One question naming one identifier in backticks: a capital letter first, a `name`, one '?' at
// the end (195 characters at most, within k_max_question_chars).
constexpr const char* k_question_pattern =
    "^[A-Z][^`?\\n]{2,70}`[A-Za-z_][A-Za-z0-9_.:]{0,40}`[^?\\n]{0,80}\\?$";

nlohmann::json questions_schema(int count) {
  return {{"type", "object"},
          {"properties",
           {{"questions",
             {{"type", "array"},
              {"items",
               {{"type", "string"},
                {"minLength", k_min_question_chars},
                {"maxLength", k_max_question_chars},
                {"pattern", k_question_pattern}}},
              {"minItems", count},
              {"maxItems", count}}}}},
          {"required", {"questions"}}};
}

nlohmann::json pairs_schema(int count) {
  nlohmann::json question = questions_schema(1)["properties"]["questions"]["items"];
  return {{"type", "object"},
          {"properties",
           {{"pairs",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"question", question}, {"response", {{"type", "string"}, {"minLength", 1}}}}},
                {"required", {"question", "response"}}}},
              {"minItems", count},
              {"maxItems", count}}}}},
          {"required", {"pairs"}}};
}

int pairs_budget(int count, int answer_tokens) {
  // Per pair: its braces, the two keys with their quotes, colons and commas.
  constexpr int k_per_pair = 12;
  return questions_budget(count) + count * (answer_tokens + k_per_pair);
}

int questions_budget(int count) {
  // `{"questions": [` and `]}`, and per question its quotes, a comma and a space.
  constexpr int k_json_tokens = 16;
  constexpr int k_per_question = 4;
  return count * (k_max_question_chars + k_per_question) + k_json_tokens;
}

std::string prompts_version(const PromptSet& prompts, GenerationMode mode) {
  if (mode == GenerationMode::two_step)
    return prompts.version;
  return prompts.version + "+pairs-" + sys::sha256_hex(prompts.pairs).substr(0, 12);
}

namespace {

// A task for `count` more, listing those the unit has so that the model writes others.
std::string task_for(std::string_view tmpl, int count, const std::vector<std::string>& asked) {
  std::string task = render(tmpl, {{"count", std::to_string(count)}});
  if (!asked.empty()) {
    task +=
        "\n\nThese questions are already written; write different ones, about other parts of "
        "the code:";
    for (const auto& q : asked)
      task += "\n- " + q;
  }
  return task;
}

}  // namespace

std::vector<llm::Message> question_messages(const PromptSet& prompts, const CodeUnit& unit,
                                            int count, const std::vector<std::string>& asked) {
  return messages(prompts, unit, task_for(prompts.questions, count, asked));
}

std::vector<llm::Message> pair_messages(const PromptSet& prompts, const CodeUnit& unit, int count,
                                        const std::vector<std::string>& asked) {
  return messages(prompts, unit, task_for(prompts.pairs, count, asked));
}

namespace {

// A generous count of the tokens `text` takes: tokenizers give each digit a token of its own and
// take about a token for two bytes of UTF-8 beyond ASCII, three to four bytes of other code.
int tokens_at_most(std::string_view text) {
  std::size_t digits = 0;
  std::size_t wide = 0;
  for (char c : text) {
    digits += (c >= '0' && c <= '9') ? 1 : 0;
    wide += static_cast<unsigned char>(c) >= 0x80 ? 1 : 0;
  }
  std::size_t rest = text.size() - digits - wide;
  return static_cast<int>(digits + (wide + 1) / 2 + (rest + 2) / 3);
}

std::string excerpt_part(const CodeUnit& unit, std::string_view question) {
  // Fewer lines when a long definition's lines are long too: the excerpt stays within what
  // k_excerpt_bytes and k_excerpt_tokens allow (its heading and fence included).
  constexpr int k_frame_tokens = 40;
  for (int lines = k_excerpt_lines; lines >= k_excerpt_lines / 3; lines -= k_excerpt_lines / 3) {
    auto e = excerpt_for_question(unit.code, question, lines, unit.language);
    if (!e)
      return "";
    if (e->text.size() > k_excerpt_bytes ||
        tokens_at_most(e->text) + k_frame_tokens > k_excerpt_tokens)
      continue;
    return fmt::format(
        "\nThe part of the code above that the question is about (lines {}-{}):\n\n```{}\n{}\n```"
        "\n",
        unit.line_start + e->first_line - 1, unit.line_start + e->last_line - 1, unit.language,
        e->text);
  }
  return "";
}

}  // namespace

std::vector<llm::Message> answer_messages(const PromptSet& prompts, const CodeUnit& unit,
                                          std::string_view question, bool with_excerpt) {
  return messages(prompts, unit,
                  render(prompts.answer, {{"question", std::string(question)},
                                          {"excerpt", with_excerpt && quotes_definitions(prompts)
                                                          ? excerpt_part(unit, question)
                                                          : ""}}));
}

bool quotes_definitions(const PromptSet& prompts) {
  return prompts.answer.find("{{excerpt}}") != std::string::npos;
}

}  // namespace g2d::generate
