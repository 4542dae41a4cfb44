// quality/quality.hpp — cheap checks on generated question/answer pairs, run before a sample is
// stored or exported:
//   duplicates       normalise() and duplicate_key(): the same pair up to case, spacing and
//                    punctuation has the same key
//   near-duplicates  minhash() signatures of word 3-grams, estimated_jaccard() between two, and
//                    band_keys() for an index table (LSH: 16 bands of 4 rows)
//   grounding        grounding(): the identifiers an answer names, and how many of them the code
//                    (or the caller's repository index) really holds
//   flags            detectors for empty, refusing and degenerate (repetitive) answers, and the
//                    comma-separated flag list stored with a sample
// Every hash here is spelled out (FNV-1a 64, splitmix64 with fixed constants), never std::hash:
// keys and signatures are the same on every machine, compiler and run, so they can be stored.
// Text is treated as bytes: ASCII is classified, other bytes (UTF-8 sequences) are kept as they
// are and never split.
//
// Thread-safety: pure functions over their arguments; no global mutable state.
// Errors: none are reported and nothing is thrown by this library (only std::bad_alloc when
// memory runs out); what `known_elsewhere` throws reaches grounding()'s caller.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.hpp"

namespace g2d::quality {

// ---- Exact duplicates ---------------------------------------------------------------------------

// ASCII letters lower-cased; every run of ASCII bytes that are not letters or digits
// (whitespace, punctuation, '_', control bytes) becomes one space; no space at either end. Bytes
// >= 0x80 are kept as they are, so UTF-8 stays valid.
std::string normalise(std::string_view text);

// FNV-1a 64 (core/hash.hpp).
using g2d::fnv1a64;

// The scope of a sample's duplicate key and question signature: FNV-1a 64 of normalise(code),
// never 0. A sample carries its code, so the same question (and answer) about other code is another
// sample, while one about the same code (a file copied into two repositories, a question asked
// twice of one unit) is a duplicate.
std::uint64_t code_key(std::string_view code);

// FNV-1a 64 of normalise(question) + '\0' + normalise(answer) (+ the 8 bytes of `scope`, unless
// it is 0), with its top bit cleared so that it fits a signed 64-bit integer (an SQLite INTEGER):
// 0 <= key <= INT64_MAX.
std::uint64_t duplicate_key(std::string_view question, std::string_view answer,
                            std::uint64_t scope = 0);

// ---- Near duplicates (MinHash) ------------------------------------------------------------------

constexpr int k_min_hash_size = 64;
constexpr int k_bands = 16;
constexpr int k_rows_per_band = 4;
static_assert(k_bands * k_rows_per_band == k_min_hash_size);

using Signature = std::array<std::uint32_t, k_min_hash_size>;

// The MinHash signature of the word 3-grams of normalise(text): slot i holds the least
// splitmix64(fnv1a64(shingle) ^ seed_i) >> 32 over the shingles. A text of one or two words is
// one shingle (its words); a text without words has every slot 0xFFFFFFFF. A non-zero `scope`
// (code_key()) hashes each shingle from splitmix64(scope) instead of FNV's basis: texts of other
// scopes share no shingle, so they are never alike (scope 0 is the signature of the text alone).
Signature minhash(std::string_view text, std::uint64_t scope = 0);

// The fraction of slots in which `a` and `b` agree: an estimate of the Jaccard similarity of
// their shingle sets (standard error at most 1/16 with 64 slots).
double estimated_jaccard(const Signature& a, const Signature& b);

// One key per band of k_rows_per_band slots: FNV-1a 64 of the band index and its slots, top bit
// cleared (0 <= key <= INT64_MAX). Two texts sharing any band key are near-duplicate candidates
// (probability 1 - (1 - J^4)^16: about 0.12 at J = 0.3, 0.99 at J = 0.7). Texts without words
// all share the same keys; callers skip them.
std::array<std::int64_t, k_bands> band_keys(const Signature& signature);

// The signature as 256 bytes, each slot little-endian (for a BLOB column).
std::string encode_signature(const Signature& signature);
// The inverse; nullopt unless `bytes` holds exactly 256 bytes.
std::optional<Signature> decode_signature(std::string_view bytes);

// ---- Grounding ----------------------------------------------------------------------------------

struct Grounding {
  double score = 1.0;                // found / claims; 1.0 without claims
  int claims = 0;                    // distinct identifiers the answer names
  int found = 0;                     // of those, how many the code or `known_elsewhere` holds
  std::vector<std::string> missing;  // claims not found, in order of appearance (at most 20)
};

// Calls `f` (when set) with every identifier token ([A-Za-z_][A-Za-z0-9_]*; a run of
// [A-Za-z0-9_] that starts with a digit is a number) of `code`, in order, duplicates included.
void for_each_identifier(std::string_view code, const std::function<void(std::string_view)>& f);

// How far the identifiers `answer` names exist. Claims are distinct identifiers taken from:
//   - inline code spans (`like_this`): every identifier token inside;
//   - prose and fenced ``` blocks (whose info string, the language, is skipped): tokens that
//     look like code — containing '_' (parse_config), camelCase or PascalCase with a capital
//     right after a lower-case letter (parseConfig, HttpClient), followed at once by '('
//     (flush(), but not "value(s)"), or joined to another token by "::", "->" or '.'
//     (a::b::c, self.x, ptr->next: each part is a claim). Fenced blocks are read like prose
//     because answers put example code in them: its local names, comments and double-quoted
//     strings are not claims, its calls and member accesses are.
// Never claims: tokens of at most 2 characters, numbers, words holding non-ASCII bytes; URLs,
// paths and e-mail addresses (words touching '/', '\', '@' or "://"); file and host names
// ('.'-joined words ending in an extension or top-level domain and not called: config.yaml,
// example.com); and a fixed list of keywords, built-in and standard-library names of common
// languages (return, self, nullptr, std, string, printf, len, ...) and product names written in
// camel case (JavaScript, GitHub). A claim is found when it is an identifier token of `code`
// (case-sensitive), else when `known_elsewhere` is set and returns true for it.
Grounding grounding(std::string_view answer, std::string_view code,
                    const std::function<bool(std::string_view)>& known_elsewhere = {});

// ---- Flags --------------------------------------------------------------------------------------

// Stored in this order, comma-separated, in a sample's quality_flags column.
enum class Flag {
  truncated,
  empty,
  refusal,
  repetitive,
  control_chars,
  ungrounded,
  duplicate,
  near_duplicate,
  not_a_question,  // the question does not end with '?'
  echo,            // the answer only repeats its question
  names_no_code    // the answer names nothing of its code
};

std::string_view to_string(Flag flag);
std::optional<Flag> parse_flag(std::string_view name);
// Every flag, in enum order.
std::vector<Flag> all_flags();

// No letter or digit at all (ASCII, or a non-ASCII character outside the punctuation, symbol
// and emoji blocks), or a placeholder: "N/A", "none", "null", "nil", "undefined", "TBD",
// "TODO", "no answer" (any case, with trailing punctuation).
bool is_empty_answer(std::string_view answer);

// A refusal or non-answer phrase ("I'm sorry", "as an AI", "cannot be determined from", "no
// code was provided", ...; case-insensitive, ’ read as ') starting in the first 160 bytes, or
// anywhere in an answer shorter than 400 bytes. Phrases match whole words only. Also an answer
// that is nothing but the claim that its subject does nothing (at most 14 words ending in "does
// not do anything" or "does nothing", optionally "in the given code").
bool is_refusal(std::string_view answer);

// Degenerate repetition: at least 40 words (of normalise(answer)) of which fewer than half of
// the word 4-grams are distinct, or one sentence of at least 5 words (normalised) occurring 3 or
// more times. Sentences end at '.', '!' or '?' followed by white space, and at line breaks.
bool is_repetitive(std::string_view answer);

// Characters no question or answer about code should hold, which a terminal or an editor
// interprets instead of showing (a stray ESC or NUL is more likely garbage than text): C0
// controls other than TAB, LF and the CR of a CRLF; DEL; C1 controls (U+0080..U+009F);
// bidirectional controls (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069); and the line and
// paragraph separators U+2028, U+2029. Bytes that are not UTF-8 are not looked at.
bool has_control_chars(std::string_view text);

// The words of a normalise()d text (it separates them by single spaces), as views into it.
std::vector<std::string_view> words_of(std::string_view normalised);

// A question is one when it ends with '?' (white space aside): "1.0.0.0" or "2. Why it is
// written this way" is not.
bool is_question(std::string_view question);

// The answer only repeats its question: every word of it (normalise(); the word "answer" aside)
// is a word of the question. An empty answer is no echo (it is `empty`).
bool echoes_question(std::string_view answer, std::string_view question);

// `text` names something of `code`: an identifier grounding() claims and the code holds; a name
// in a `code span` that the code holds, whatever its length; or a plain word of at least three
// letters that the code holds as a name and that is no keyword or common English word ("code",
// "value", "return", "function", ...).
bool names_code(std::string_view text, std::string_view code);

// The flags the texts alone decide, in enum order: empty, refusal, repetitive (of the answer),
// control_chars (either), not_a_question, echo, and names_no_code (only when `code` is given).
// prepare stores them with each sample; export derives them again, so samples stored under older
// rules are judged by today's.
std::vector<Flag> text_flags(std::string_view question, std::string_view answer,
                             std::string_view code);

// "refusal,ungrounded": enum order, each flag once; "" for none.
std::string join_flags(const std::vector<Flag>& flags);
// The flags named in a comma-separated list (spaces around names allowed), in enum order, each
// once; unknown names are ignored.
std::vector<Flag> split_flags(std::string_view list);

}  // namespace g2d::quality
