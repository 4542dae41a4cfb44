// quality/flags.cpp — the flag vocabulary and the detectors for empty, refusing and repetitive
// answers, and for control characters.
#include <algorithm>
#include <utility>

#include "core/enum_names.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"
#include "quality/quality.hpp"

namespace g2d::quality {

namespace {

constexpr auto k_flag_names = enum_names<Flag>({
    {Flag::truncated, "truncated"},
    {Flag::empty, "empty"},
    {Flag::refusal, "refusal"},
    {Flag::repetitive, "repetitive"},
    {Flag::control_chars, "control_chars"},
    {Flag::ungrounded, "ungrounded"},
    {Flag::duplicate, "duplicate"},
    {Flag::near_duplicate, "near_duplicate"},
    {Flag::not_a_question, "not_a_question"},
    {Flag::echo, "echo"},
    {Flag::names_no_code, "names_no_code"},
});

// Whole answers that say nothing (lower case, trailing punctuation removed).
constexpr std::array<std::string_view, 9> k_placeholders{
    "n/a", "na", "none", "null", "nil", "undefined", "tbd", "todo", "no answer",
};

// Refusals and non-answers, lower case, with ' for both apostrophes. "the provided code does
// not" alone would catch real answers ("... does not check for null"), so only its
// non-answer continuations are listed; likewise "there is no code" ("... path that").
constexpr std::array<std::string_view, 53> k_refusal_phrases{
    "i'm sorry",
    "i am sorry",
    "i apologize",
    "i apologise",
    "i cannot",
    "i can't",
    "i can not",
    "i'm unable",
    "i am unable",
    "i'm not able to",
    "i am not able to",
    "as an ai",
    "as a language model",
    "i don't have access",
    "i do not have access",
    "i don't have enough",
    "i do not have enough",
    "not possible to determine",
    "impossible to determine",
    "cannot be determined from",
    "can't be determined from",
    "the provided code does not provide",
    "the provided code does not contain enough",
    "the provided code does not include enough",
    "the provided code does not have enough",
    "the provided code does not specify",
    "the provided code does not show",
    "the provided code does not give",
    "the provided code does not mention",
    "the provided code does not reveal",
    "the code does not provide",
    "no code was provided",
    "no code has been provided",
    "no code provided",
    "no code was given",
    "there is no code provided",
    "there is no code given",
    "there is no code to",
    "there is no code snippet",
    "there is no code shown",
    "there is no code included",
    "there is no code attached",
    "there is no code here",
    "there is no code.",
    "please provide the code",
    "please provide more",
    "not enough information to",
    "without more context",
    "without additional context",
    "does not contain the answer",
    "doesn't contain the answer",
    "not in the provided code",
    "the code does not contain",
};

// Non-answers wherever they stand: an answer that says its code does not hold what was asked
// contradicts whatever it said before (small models add it after a guess).
constexpr std::array<std::string_view, 8> k_refusal_anywhere{
    "does not show the answer",     "doesn't show the answer",     "does not contain the answer",
    "doesn't contain the answer",   "does not provide the answer", "doesn't provide the answer",
    "does not answer the question", "doesn't answer the question",
};

constexpr std::size_t k_refusal_window = 160;
constexpr std::size_t k_short_answer = 400;
constexpr std::size_t k_min_repetitive_words = 40;
constexpr std::size_t k_gram_words = 4;
constexpr std::size_t k_min_sentence_words = 5;
constexpr int k_max_sentence_repeats = 2;

constexpr bool is_ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Whether code point `cp` (>= 0x80) may be a letter or digit: outside Latin-1 punctuation, the
// punctuation/symbol blocks (U+2000..U+2BFF), CJK punctuation, variation selectors, half- and
// full-width punctuation and the emoji planes.
constexpr bool is_wordlike(char32_t cp) {
  if (cp < 0xc0 || cp == 0xd7 || cp == 0xf7)
    return false;
  if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f))
    return false;
  if ((cp >= 0xfe00 && cp <= 0xfe6f) || (cp >= 0xff00 && cp <= 0xff0f))
    return false;
  return cp < 0x1f000 || cp > 0x1faff;
}

bool has_letter_or_digit(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const Utf8Char c = decode_utf8(s, i);
    i += c.valid ? c.length : 1;
    const char32_t cp = c.valid ? c.code_point : 0;
    if (cp < 0x80 ? is_ascii_alnum(static_cast<unsigned char>(cp)) : is_wordlike(cp))
      return true;
  }
  return false;
}

// ASCII lower case, with the right single quotation mark (U+2019) read as an apostrophe.
std::string fold_for_phrases(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 3) == "\xe2\x80\x99") {
      out += '\'';
      i += 2;
      continue;
    }
    out += ascii_lower(s[i]);
  }
  return out;
}

// Whether `phrase` occurs in `text` as whole words, starting before `limit`.
bool contains_phrase(std::string_view text, std::string_view phrase, std::size_t limit) {
  const bool open_end = is_ascii_alnum(static_cast<unsigned char>(phrase.back()));
  for (std::size_t pos = text.find(phrase); pos != std::string_view::npos && pos < limit;
       pos = text.find(phrase, pos + 1)) {
    const std::size_t end = pos + phrase.size();
    const bool starts_word = pos == 0 || !is_ascii_alnum(static_cast<unsigned char>(text[pos - 1]));
    const bool ends_word =
        !open_end || end == text.size() || !is_ascii_alnum(static_cast<unsigned char>(text[end]));
    if (starts_word && ends_word)
      return true;
  }
  return false;
}

// Whether fewer than half of the word 4-grams are distinct.
bool repeats_ngrams(std::string_view normalised, const std::vector<std::string_view>& words) {
  std::vector<std::uint64_t> grams;
  grams.reserve(words.size());
  for (std::size_t w = 0; w + k_gram_words <= words.size(); ++w) {
    const char* begin = words[w].data();
    const char* end = words[w + k_gram_words - 1].data() + words[w + k_gram_words - 1].size();
    grams.push_back(fnv1a64(normalised.substr(begin - normalised.data(), end - begin)));
  }
  const std::size_t total = grams.size();
  std::sort(grams.begin(), grams.end());
  const auto distinct =
      static_cast<std::size_t>(std::unique(grams.begin(), grams.end()) - grams.begin());
  return distinct * 2 < total;
}

// The normalised sentences of `text` with at least 5 words.
std::vector<std::string> long_sentences(std::string_view text) {
  std::vector<std::string> sentences;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const bool stop = i == text.size() || text[i] == '\n' ||
                      ((text[i] == '.' || text[i] == '!' || text[i] == '?') &&
                       (i + 1 == text.size() || is_space(text[i + 1])));
    if (!stop)
      continue;
    std::string sentence = normalise(text.substr(start, i - start));
    if (static_cast<std::size_t>(std::count(sentence.begin(), sentence.end(), ' ')) + 1 >=
        k_min_sentence_words)
      sentences.push_back(std::move(sentence));
    start = i + 1;
  }
  return sentences;
}

bool repeats_sentences(std::string_view text) {
  std::vector<std::string> sentences = long_sentences(text);
  std::sort(sentences.begin(), sentences.end());
  for (std::size_t i = 0; i < sentences.size();) {
    const std::size_t end = static_cast<std::size_t>(
        std::upper_bound(sentences.begin() + static_cast<std::ptrdiff_t>(i), sentences.end(),
                         sentences[i]) -
        sentences.begin());
    if (end - i > k_max_sentence_repeats)
      return true;
    i = end;
  }
  return false;
}

}  // namespace

std::string_view to_string(Flag flag) {
  return name_of(k_flag_names, flag, "truncated");
}

std::vector<Flag> all_flags() {
  std::vector<Flag> out;
  out.reserve(k_flag_names.size());
  for (const auto& [flag, name] : k_flag_names)
    out.push_back(flag);
  return out;
}

std::optional<Flag> parse_flag(std::string_view name) {
  return value_of(k_flag_names, name);
}

bool is_empty_answer(std::string_view answer) {
  std::string_view text = trim(answer);
  if (!has_letter_or_digit(text))
    return true;
  while (!text.empty() && (text.back() == '.' || text.back() == '!'))
    text.remove_suffix(1);
  if (text.size() > 16)
    return false;
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), ascii_lower);
  return std::find(k_placeholders.begin(), k_placeholders.end(), lower) != k_placeholders.end();
}

std::vector<std::string_view> words_of(std::string_view normalised) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start < normalised.size()) {
    const std::size_t end = std::min(normalised.find(' ', start), normalised.size());
    words.push_back(normalised.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

namespace {

// The whole answer is one claim that its subject does nothing ("The `deinit` function does not
// do anything in the given code."): what a small model says of code it did not read. A longer
// answer that says so of one case ("when `n` is 0 the loop does nothing, so ...") is no claim.
bool claims_it_does_nothing(std::string_view answer) {
  constexpr std::size_t k_most_words = 14;
  const std::string normalised = normalise(answer);
  const std::vector<std::string_view> words = words_of(normalised);
  if (words.size() > k_most_words)
    return false;
  std::string_view text = normalised;
  for (std::string_view tail : {" in the given code", " in the provided code", " in this code"})
    if (text.ends_with(tail))
      text.remove_suffix(tail.size());
  return text.ends_with(" does not do anything") || text.ends_with(" does nothing");
}

}  // namespace

bool is_refusal(std::string_view answer) {
  if (claims_it_does_nothing(answer))
    return true;
  if (const std::string all = fold_for_phrases(answer);
      std::any_of(k_refusal_anywhere.begin(), k_refusal_anywhere.end(),
                  [&](std::string_view p) { return contains_phrase(all, p, std::string::npos); }))
    return true;
  const bool short_answer = answer.size() < k_short_answer;
  // Enough of a long answer for any phrase that starts within the window.
  const std::string text =
      fold_for_phrases(short_answer ? answer : answer.substr(0, 2 * k_refusal_window));
  const std::size_t limit = short_answer ? std::string::npos : k_refusal_window;
  return std::any_of(k_refusal_phrases.begin(), k_refusal_phrases.end(),
                     [&](std::string_view phrase) { return contains_phrase(text, phrase, limit); });
}

bool is_repetitive(std::string_view answer) {
  const std::string normalised = normalise(answer);
  const std::vector<std::string_view> words = words_of(normalised);
  if (words.size() >= k_min_repetitive_words && repeats_ngrams(normalised, words))
    return true;
  return repeats_sentences(answer);
}

bool has_control_chars(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const Utf8Char c = decode_utf8(text, i);
    i += c.valid ? c.length : 1;  // invalid bytes are not looked at
    if (!c.valid || c.code_point == '\t' || c.code_point == '\n')
      continue;
    if (c.code_point == '\r' && i < text.size() && text[i] == '\n')
      continue;
    if (unsafe_for_display(c.code_point))
      return true;
  }
  return false;
}

std::string join_flags(const std::vector<Flag>& flags) {
  std::string out;
  for (const auto& [flag, name] : k_flag_names) {
    if (std::find(flags.begin(), flags.end(), flag) == flags.end())
      continue;
    if (!out.empty())
      out += ',';
    out += name;
  }
  return out;
}

std::vector<Flag> split_flags(std::string_view list) {
  std::vector<Flag> found;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    if (auto flag = parse_flag(trim(list.substr(start, comma - start))))
      found.push_back(*flag);
    start = comma + 1;
  }
  std::vector<Flag> ordered;
  for (const auto& entry : k_flag_names)
    if (std::find(found.begin(), found.end(), entry.value) != found.end())
      ordered.push_back(entry.value);
  return ordered;
}

std::vector<Flag> text_flags(std::string_view question, std::string_view answer,
                             std::string_view code) {
  std::vector<Flag> flags;
  if (is_empty_answer(answer))
    flags.push_back(Flag::empty);
  if (is_refusal(answer))
    flags.push_back(Flag::refusal);
  if (is_repetitive(answer))
    flags.push_back(Flag::repetitive);
  if (has_control_chars(question) || has_control_chars(answer))
    flags.push_back(Flag::control_chars);
  if (!is_question(question))
    flags.push_back(Flag::not_a_question);
  if (echoes_question(answer, question))
    flags.push_back(Flag::echo);
  if (!code.empty() && !names_code(answer, code))
    flags.push_back(Flag::names_no_code);
  return flags;
}

}  // namespace g2d::quality
