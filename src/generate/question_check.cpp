#include "generate/question_check.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "core/utf8.hpp"
#include "quality/quality.hpp"

namespace g2d::generate {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// `s` without one leading list marker or label ("1.", "2)", "-", "*", "•", "Q3:", "Question 4:"),
// or `s` itself when it has none.
std::string_view without_marker(std::string_view s) {
  size_t label = 0;  // "Question" or "Q" before a number
  if (s.starts_with("Question") || s.starts_with("question"))
    label = 8;
  else if (s.starts_with('Q') || s.starts_with('q'))
    label = 1;
  size_t at = label;
  while (label > 0 && at < s.size() && s[at] == ' ')
    ++at;
  size_t digits = at;
  while (digits < s.size() && is_digit(s[digits]))
    ++digits;
  bool numbered = digits > at || (label > 0 && digits < s.size() && s[digits] == ':');
  if (numbered && digits + 1 < s.size() &&
      (s[digits] == '.' || s[digits] == ')' || s[digits] == ':') && is_space(s[digits + 1]))
    return trim(s.substr(digits + 1));
  if (s.starts_with("- ") || s.starts_with("* "))
    return trim(s.substr(2));
  if (s.starts_with("\u2022"))
    return trim(s.substr(std::string_view("\u2022").size()));
  return s;
}

// Markers and wrapping quotes or emphasis stripped, as often as they nest.
std::string_view stripped(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> k_wraps{
      {{"**", "**"}, {"*", "*"}, {"\"", "\""}, {"'", "'"}, {"\u201c", "\u201d"}, {"_", "_"}}};
  s = trim(s);
  for (bool changed = true; changed;) {
    changed = false;
    if (auto rest = without_marker(s); rest.size() != s.size()) {
      s = rest;
      changed = true;
    }
    for (const auto& [open, close] : k_wraps) {
      if (s.size() > open.size() + close.size() && s.starts_with(open) && s.ends_with(close)) {
        s = trim(s.substr(open.size(), s.size() - open.size() - close.size()));
        changed = true;
      }
    }
  }
  return s;
}

// Up to and including the first '?' outside a `code span`; empty when there is none.
std::string_view first_question(std::string_view s) {
  bool in_code = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '`')
      in_code = !in_code;
    else if (s[i] == '?' && !in_code)
      return s.substr(0, i + 1);
  }
  return {};
}

// A second question joined to the first: ", and" or " and" before a question word, outside code
// spans ("What is `f` for, and is it a member?", "What does `f` return and why?").
constexpr std::array<std::string_view, 14> k_second_question{
    ", and is ",   ", and are ", ", and does ", ", and do ",   ", and can ",
    ", and what ", ", and why ", ", and how ",  ", and when ", ", and which ",
    " and why ",   " and how ",  " and what ",  " and is it ",
};

// Words a question cannot end with (before its '?'): a grammar's length cap, or the model, cut it
// mid-sentence. Prepositions can end a question ("What does `f` depend on?"); these cannot.
constexpr std::array<std::string_view, 12> k_no_last_word{
    "a", "an", "and", "but", "if", "or", "than", "the", "when", "whether", "while", "whose"};

bool stops_mid_sentence(std::string_view question) {
  std::string_view body = trim(question.substr(0, question.rfind('?')));
  if (body.empty() || body.back() == '-' || body.back() == ',')
    return !body.empty();
  // As written: "... or A?" may end on a name, "... or a?" on the article.
  const size_t space = body.find_last_of(" \t");
  const std::string_view last = space == std::string_view::npos ? body : body.substr(space + 1);
  return std::find(k_no_last_word.begin(), k_no_last_word.end(), last) != k_no_last_word.end();
}

bool joins_two_questions(std::string_view question) {
  std::string prose;  // lower case, each code span one placeholder word (spaced: "is`f`")
  prose.reserve(question.size());
  bool in_code = false;
  for (char c : question) {
    if (c == '`') {
      if (!in_code)
        prose += " x ";
      in_code = !in_code;
    } else if (!in_code) {
      prose += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  // The question word ends the joiner at any non-letter ("and what, `x`, does"), not only a space.
  return std::any_of(k_second_question.begin(), k_second_question.end(), [&](std::string_view j) {
    const std::string_view words = j.substr(0, j.size() - 1);
    for (size_t at = prose.find(words); at != std::string::npos; at = prose.find(words, at + 1)) {
      const size_t after = at + words.size();
      if (after == prose.size() || !std::isalpha(static_cast<unsigned char>(prose[after])))
        return true;
    }
    return false;
  });
}

constexpr size_t k_echo_words = 5;

// Whether `question` shares a run of k_echo_words words with `prompt` (both normalised). The
// runs are compared as spans of words, without building a string per run.
bool echoes(std::string_view question, std::string_view prompt) {
  const std::string prompt_norm = quality::normalise(prompt);
  const std::string question_norm = quality::normalise(question);
  const auto p = quality::words_of(prompt_norm);
  const auto q = quality::words_of(question_norm);
  if (p.size() < k_echo_words || q.size() < k_echo_words)
    return false;
  for (size_t i = 0; i + k_echo_words <= q.size(); ++i)
    for (size_t j = 0; j + k_echo_words <= p.size(); ++j)
      if (std::equal(q.begin() + static_cast<std::ptrdiff_t>(i),
                     q.begin() + static_cast<std::ptrdiff_t>(i + k_echo_words),
                     p.begin() + static_cast<std::ptrdiff_t>(j)))
        return true;
  return false;
}

// The source files' extensions a file name in a question is recognised by.
constexpr std::array<std::string_view, 27> k_source_extensions{
    "c",  "h",   "cc",  "cpp", "cxx",   "hpp", "hh", "hxx",   "py",
    "js", "mjs", "cjs", "ts",  "tsx",   "jsx", "go", "rs",    "java",
    "kt", "rb",  "php", "cs",  "swift", "m",   "mm", "scala", "lua"};

bool is_path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' ||
         c == '/';
}

// The first file name in `question` (a run of path characters ending in ".<source extension>")
// that is neither the unit's file (its path, or a tail of it) nor found in its code; "" if none.
std::string_view foreign_file(std::string_view question, std::string_view code,
                              std::string_view path) {
  for (auto at = question.begin(); at != question.end();) {
    auto first = std::find_if(at, question.end(), is_path_char);
    at = std::find_if_not(first, question.end(), is_path_char);
    std::string_view word(first, at);
    while (!word.empty() && (word.back() == '.' || word.back() == '/'))
      word.remove_suffix(1);  // the sentence's full stop, not the name's
    const size_t dot = word.rfind('.');
    if (dot == std::string_view::npos || dot == 0)
      continue;
    std::string_view ext = word.substr(dot + 1);
    if (std::find(k_source_extensions.begin(), k_source_extensions.end(), ext) ==
        k_source_extensions.end())
      continue;
    const bool own = path.size() >= word.size() && path.ends_with(word) &&
                     (path.size() == word.size() || path[path.size() - word.size() - 1] == '/');
    if (!own && code.find(word) == std::string_view::npos)
      return word;
  }
  return {};
}

}  // namespace

Result<std::string> usable_question(std::string_view raw, std::string_view code,
                                    std::string_view prompt, std::string_view path) {
  std::string_view text = stripped(raw);
  std::string_view question = stripped(first_question(text));
  if (question.empty())
    return fail(ErrorKind::bad_output, "not a question (no '?'): {}", text.substr(0, 80));
  const size_t length = count_code_points(question);
  if (length < static_cast<size_t>(k_min_question_chars))
    return fail(ErrorKind::bad_output, "too short to be a question: {}", question);
  if (length > static_cast<size_t>(k_max_question_chars))
    return fail(ErrorKind::bad_output, "too long ({} characters; at most {}): {}…", length,
                k_max_question_chars, question.substr(0, 80));
  if (echoes(question, prompt))
    return fail(ErrorKind::bad_output, "repeats the prompt's own words: {}", question);
  if (joins_two_questions(question))
    return fail(ErrorKind::bad_output, "two questions in one: {}", question);
  if (stops_mid_sentence(question))
    return fail(ErrorKind::bad_output, "stops mid-sentence: {}", question);
  if (!quality::names_code(question, code))
    return fail(ErrorKind::bad_output, "names nothing in its code: {}", question);
  if (auto file = foreign_file(question, code, path); !file.empty())
    return fail(ErrorKind::bad_output, "names a file its code does not: {}: {}", file, question);
  return std::string(question);
}

namespace {

template <class List>
void strings_of(const List& list, std::vector<std::string>& out) {
  for (const auto& item : list)
    if (item.is_string())
      out.push_back(item.template get<std::string>());
}

// Where the string literal opened by the quote at `open` closes; reply.size() when it does not.
size_t closing_quote(std::string_view reply, size_t open) {
  size_t end = open + 1;
  while (end < reply.size() && reply[end] != '"')
    end += reply[end] == '\\' ? 2 : 1;
  return std::min(end, reply.size());
}

// Where the object opened by the brace at `open` closes (strings skipped); reply.size() when it
// does not.
size_t closing_brace(std::string_view reply, size_t open) {
  int depth = 0;
  for (size_t i = open; i < reply.size(); ++i) {
    if (reply[i] == '"') {
      i = closing_quote(reply, i);
    } else if (reply[i] == '{') {
      ++depth;
    } else if (reply[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return reply.size();
}

// The complete elements of the array after `key` that open with `open` ('"': string literals,
// '{': objects), parsed, up to where the reply ends or an element of another kind begins. Where
// the reply ends inside an element, `cut_at` (when given) is set to that element's start.
std::vector<nlohmann::json> complete_elements(std::string_view reply, size_t key, char open,
                                              size_t* cut_at = nullptr) {
  std::vector<nlohmann::json> out;
  size_t i = reply.find('[', key);
  if (i == std::string_view::npos)
    return out;
  for (++i; i < reply.size();) {
    char c = reply[i];
    if (is_space(c) || c == ',') {
      ++i;
      continue;
    }
    if (c != open)
      break;
    size_t end = open == '"' ? closing_quote(reply, i) : closing_brace(reply, i);
    if (end >= reply.size()) {  // cut inside this element
      if (cut_at != nullptr)
        *cut_at = i;
      break;
    }
    auto element = nlohmann::json::parse(reply.substr(i, end + 1 - i), nullptr, false);
    if (element.is_discarded())
      break;
    out.push_back(std::move(element));
    i = end + 1;
  }
  return out;
}

// The complete string literals of the array after `"questions"`, up to where the reply ends.
std::vector<std::string> salvaged(std::string_view reply, size_t key) {
  std::vector<std::string> out;
  strings_of(complete_elements(reply, key, '"'), out);
  return out;
}

// What follows the last inline list marker (" 1. ", " 2) ") of `s`, or `s` when it has none.
std::string_view after_inline_marker(std::string_view s) {
  size_t from = 0;
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if ((i == 0 || is_space(s[i - 1])) && is_digit(s[i])) {
      size_t end = i;
      while (end < s.size() && is_digit(s[end]))
        ++end;
      if (end + 1 < s.size() && (s[end] == '.' || s[end] == ')') && is_space(s[end + 1]))
        from = end + 2;
    }
  }
  return s.substr(from);
}

}  // namespace

std::vector<std::string> candidate_questions(std::string_view reply) {
  std::vector<std::string> out;
  auto json = nlohmann::json::parse(reply, nullptr, false);
  if (json.is_object() && json.contains("questions") && json["questions"].is_array()) {
    strings_of(json["questions"], out);
    return out;
  }
  if (json.is_array()) {
    strings_of(json, out);
    return out;
  }
  if (size_t key = reply.find("\"questions\""); key != std::string_view::npos) {
    out = salvaged(reply, key);
    if (!out.empty())
      return out;
  }
  size_t start = 0;
  while (start < reply.size()) {
    size_t end = std::min(reply.find('\n', start), reply.size());
    std::string_view line = trim(reply.substr(start, end - start));
    start = end + 1;
    // A line may hold several questions, or a list written inline ("…: 1. A? 2. B?").
    while (!line.empty()) {
      std::string_view piece = first_question(line);
      if (piece.empty())
        break;
      line = trim(line.substr(piece.size()));
      std::string_view item = stripped(after_inline_marker(piece));
      if (!item.empty())
        out.emplace_back(item);
    }
  }
  return out;
}

std::vector<CandidatePair> candidate_pairs(std::string_view reply) {
  std::vector<CandidatePair> out;
  size_t key = reply.find("\"pairs\"");
  if (key == std::string_view::npos)
    return out;
  for (const auto& pair : complete_elements(reply, key, '{')) {
    auto question = pair.find("question");
    auto answer = pair.find("response");
    if (answer == pair.end())
      answer = pair.find("answer");
    if (question != pair.end() && question->is_string() && answer != pair.end() &&
        answer->is_string())
      out.push_back({question->get<std::string>(), answer->get<std::string>()});
  }
  return out;
}

std::optional<std::string> cut_question(std::string_view reply) {
  size_t key = reply.find("\"pairs\"");
  size_t cut = std::string_view::npos;
  if (key == std::string_view::npos)
    return std::nullopt;
  (void)complete_elements(reply, key, '{', &cut);
  if (cut == std::string_view::npos)
    return std::nullopt;
  // The cut object's members, read as far as they go: "name": "string" each.
  std::optional<std::string> question;
  bool answered = false;
  size_t i = cut + 1;
  auto skip = [&](std::string_view also) {
    while (i < reply.size() &&
           (is_space(reply[i]) || also.find(reply[i]) != std::string_view::npos))
      ++i;
  };
  auto string_at = [&]() -> std::optional<std::string> {  // the complete literal at i, if any
    if (i >= reply.size() || reply[i] != '"')
      return std::nullopt;
    size_t end = closing_quote(reply, i);
    if (end >= reply.size())
      return std::nullopt;
    auto text = nlohmann::json::parse(reply.substr(i, end + 1 - i), nullptr, false);
    i = end + 1;
    if (!text.is_string())
      return std::nullopt;
    return text.get<std::string>();
  };
  while (true) {
    skip(",");
    auto name = string_at();
    if (!name)
      break;
    skip(":");
    auto value = string_at();
    if (!value)
      break;
    if (*name == "question")
      question = std::move(value);
    else if (*name == "response" || *name == "answer")
      answered = true;
  }
  if (answered)
    return std::nullopt;
  return question;
}

}  // namespace g2d::generate
