// redact/detect.hpp — internal to g2d_redact: the detectors behind redact_secrets() and what they
// share. Each detector scans the whole text once and appends the byte ranges it wants replaced;
// redact.cpp merges them and writes the output. A range never holds a newline, so replacing it
// cannot move a line.
//
// Thread-safety: pure functions. Every forward scan a detector starts at a candidate is bounded
// (a token's longest plausible length), so the cost stays linear on hostile input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace g2d::redact::detail {

// Which detector found a range: when two ranges start at the same byte, the lower one names it.
enum class Source : uint8_t { shape = 0, private_key = 1, url = 2, assignment = 3, command = 4 };

struct Span {
  size_t begin = 0;
  size_t end = 0;
  std::string_view kind;  // a string literal
  Source source = Source::shape;
  bool counted = true;  // false: removed without a placeholder (the rest of one key block)
};

// Character classes, one table lookup each.
enum CharClass : uint8_t {
  k_lower = 1,
  k_upper = 2,
  k_digit = 4,
  k_b64_symbol = 8,   // + / =
  k_dash_under = 16,  // - _
  k_space = 32,       // space, tab, \r, \f, \v (not \n)
};

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c)
    table[static_cast<size_t>(c)] = k_lower;
  for (int c = 'A'; c <= 'Z'; ++c)
    table[static_cast<size_t>(c)] = k_upper;
  for (int c = '0'; c <= '9'; ++c)
    table[static_cast<size_t>(c)] = k_digit;
  for (unsigned char c : {'+', '/', '='})
    table[c] = k_b64_symbol;
  for (unsigned char c : {'-', '_'})
    table[c] = k_dash_under;
  for (unsigned char c : {' ', '\t', '\r', '\f', '\v'})
    table[c] = k_space;
  return table;
}

inline constexpr std::array<uint8_t, 256> k_classes = make_classes();

inline uint8_t char_class(char c) {
  return k_classes[static_cast<unsigned char>(c)];
}
inline bool is_letter(char c) {
  return (char_class(c) & (k_lower | k_upper)) != 0;
}
inline bool is_digit(char c) {
  return char_class(c) == k_digit;
}
inline bool is_alnum(char c) {
  return (char_class(c) & (k_lower | k_upper | k_digit)) != 0;
}
inline bool is_space(char c) {
  return char_class(c) == k_space;
}
// Letters, digits, '-' and '_': the characters of a word, and of base64url.
inline bool is_word(char c) {
  return (char_class(c) & (k_lower | k_upper | k_digit | k_dash_under)) != 0;
}
inline bool is_base64(char c) {
  return (char_class(c) & (k_lower | k_upper | k_digit | k_b64_symbol)) != 0;
}
inline bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline char lower(char c) {
  return char_class(c) == k_upper ? static_cast<char>(c - 'A' + 'a') : c;
}

// The end of the run of characters satisfying `pred` that starts at `from`, looking at no more
// than `cap + 1` characters: a result past from + cap means "longer than cap".
template <typename Pred>
size_t run_end(std::string_view text, size_t from, size_t cap, Pred pred) {
  size_t limit = from + cap + 1 < text.size() ? from + cap + 1 : text.size();
  size_t i = from;
  while (i < limit && pred(text[i]))
    ++i;
  return i;
}

// Whether `value` is a stand-in rather than a secret: empty, one repeated character, a template
// or variable reference (`${X}`, `{{ x }}`, `$X`, `%(x)s`, `<your-key>`), a masked value (`xxx`,
// `***`, `...`) or a stock word (`changeme`, `example`, `your-...`, `password`, `null`, ...).
bool is_placeholder(std::string_view value);

// Shannon entropy of the bytes of `value`, in bits per byte.
double entropy(std::string_view value);

// The detectors: each appends what it finds in `text` to `out`.
void find_private_keys(std::string_view text, std::vector<Span>& out);
void find_shaped_tokens(std::string_view text, std::vector<Span>& out);
void find_url_passwords(std::string_view text, std::vector<Span>& out);
void find_assignments(std::string_view text, std::vector<Span>& out);
void find_command_passwords(std::string_view text, std::vector<Span>& out);

}  // namespace g2d::redact::detail
