// quality: normalisation and duplicate keys, MinHash near-duplicate detection against exact
// Jaccard similarity, grounding of answers in C++, Python and Go code, and the flag detectors on
// real-looking model output.
#include "quality/quality.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace g2d::quality {
namespace {

// ---- normalise and duplicate_key ----------------------------------------------------------------

TEST(Normalise, LowerCasesAndCollapsesPunctuationAndSpace) {
  EXPECT_EQ(normalise("  What does  parse_config() DO?\n"), "what does parse config do");
  EXPECT_EQ(normalise("a,b;;c\t\t-d"), "a b c d");
  EXPECT_EQ(normalise("...!?"), "");
  EXPECT_EQ(normalise(""), "");
  EXPECT_EQ(normalise("x86_64 v2.0"), "x86 64 v2 0");
}

TEST(Normalise, KeepsNonAsciiBytes) {
  EXPECT_EQ(normalise("Ça  MARCHE — déjà"), "Ça marche — déjà");
  EXPECT_EQ(normalise("\xff\xfe A"), "\xff\xfe a");
}

TEST(Fnv1a64, MatchesPublishedVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(fnv1a64("bar", fnv1a64("foo")), fnv1a64("foobar"));
}

TEST(DuplicateKey, IgnoresCaseSpacingAndPunctuation) {
  const auto key = duplicate_key("What does load_config return?", "A Config.");
  EXPECT_EQ(key, duplicate_key("what does LOAD CONFIG return", "  a   config  "));
  EXPECT_NE(key, duplicate_key("What does load_config return?", "A Config object."));
  EXPECT_NE(key, duplicate_key("What does save_config return?", "A Config."));
}

TEST(DuplicateKey, SeparatesQuestionFromAnswer) {
  EXPECT_NE(duplicate_key("a b", "c"), duplicate_key("a", "b c"));
  EXPECT_NE(duplicate_key("x", ""), duplicate_key("", "x"));
}

TEST(DuplicateKey, IsStableAndFitsSignedInt64) {
  std::string q = "normalise and hash";
  std::uint64_t expected = fnv1a64(std::string_view("\0", 1), fnv1a64(q));
  expected = fnv1a64("answer", expected) & 0x7fffffffffffffffULL;
  EXPECT_EQ(duplicate_key("Normalise, and HASH!", "Answer"), expected);
  for (int i = 0; i < 2000; ++i) {
    const auto key = duplicate_key("question " + std::to_string(i), "answer");
    EXPECT_LE(key, static_cast<std::uint64_t>(INT64_MAX)) << i;
  }
}

// A sample carries its code: the same question and answer about other code is another sample.
TEST(DuplicateKey, IsScopedToTheCodeTheSampleIsAbout) {
  const auto c = code_key("int init(void) { return 0; }");
  const auto d = code_key("def init():\n    pass\n");
  EXPECT_NE(c, 0u);
  EXPECT_EQ(c, code_key("int  init(void)\n{ return 0; }"));  // spacing does not make other code
  EXPECT_NE(c, d);
  EXPECT_EQ(duplicate_key("What does `init` do?", "Nothing.", c),
            duplicate_key("what does init do", "nothing", c));
  EXPECT_NE(duplicate_key("What does `init` do?", "Nothing.", c),
            duplicate_key("What does `init` do?", "Nothing.", d));
  EXPECT_EQ(duplicate_key("q", "a", 0), duplicate_key("q", "a"));  // no scope: as before
  EXPECT_LE(duplicate_key("q", "a", c), static_cast<std::uint64_t>(INT64_MAX));
}

// ---- MinHash ------------------------------------------------------------------------------------

// The exact Jaccard similarity of the shingle sets minhash() uses.
std::set<std::string> shingles(std::string_view text) {
  const std::string normalised = normalise(text);
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < normalised.size()) {
    const std::size_t end = std::min(normalised.find(' ', start), normalised.size());
    words.push_back(normalised.substr(start, end - start));
    start = end + 1;
  }
  std::set<std::string> out;
  if (!words.empty() && words.size() < 3)
    out.insert(normalised);
  for (std::size_t i = 0; i + 3 <= words.size(); ++i)
    out.insert(words[i] + ' ' + words[i + 1] + ' ' + words[i + 2]);
  return out;
}

double exact_jaccard(std::string_view a, std::string_view b) {
  const auto sa = shingles(a);
  const auto sb = shingles(b);
  std::vector<std::string> both;
  std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(both));
  return static_cast<double>(both.size()) /
         static_cast<double>(sa.size() + sb.size() - both.size());
}

bool share_band(const Signature& a, const Signature& b) {
  const auto ka = band_keys(a);
  const auto kb = band_keys(b);
  for (int i = 0; i < k_bands; ++i)
    if (ka[i] == kb[i])
      return true;
  return false;
}

constexpr std::array<std::string_view, 30> k_questions = {
    "What does the parse_config function return when the file is missing?",
    "How does HttpClient retry a request after a connection timeout?",
    "Why is the mutex in ThreadPool::submit locked before pushing the task?",
    "Which exceptions can load_settings raise and who catches them?",
    "What is the purpose of the cached_ member in ConfigCache?",
    "How are command line flags converted into an Options struct?",
    "Explain how the LRU eviction policy chooses a victim entry.",
    "What happens if the input vector passed to merge_sorted is empty?",
    "Why does serialize_row escape tab characters but not spaces?",
    "How is the SQLite database opened in write-ahead logging mode?",
    "What role does the Deleter template parameter play in UniqueHandle?",
    "Describe the lifetime of the buffer returned by read_chunk.",
    "In HandleRequest, what status code is sent when the body cannot be read?",
    "How does the tokenizer distinguish identifiers from numeric literals?",
    "Why does the Go worker close the results channel only once?",
    "What invariant does the binary heap maintain after pop_min?",
    "How are relative paths resolved against the repository root?",
    "What is the time complexity of find_overlaps for n intervals?",
    "Which fields of the User model are validated before saving?",
    "How does the rate limiter refill its token bucket?",
    "What does the decorator @cached_property change about attribute access?",
    "Why is std::move used when returning the local result vector?",
    "How does the parser recover from an unexpected closing brace?",
    "What does the --dry-run flag skip during deployment?",
    "How are UTF-8 continuation bytes validated in decode_utf8?",
    "When does the scheduler promote a task to the high priority queue?",
    "What is stored in the index table keyed by band hashes?",
    "How does the React component memoize the filtered list?",
    "Why are integer overflows checked before allocating the matrix?",
    "What does the shutdown hook flush before the process exits?",
};

TEST(MinHash, QuestionsAboutOtherCodeAreNeverAlike) {
  const auto c = code_key("int init(void) { return 0; }");
  const auto d = code_key("def init():\n    pass\n");
  const std::string q = "What does the `init` function do when it is called twice?";
  EXPECT_EQ(estimated_jaccard(minhash(q, c), minhash(q, c)), 1.0);
  EXPECT_LT(estimated_jaccard(minhash(q, c), minhash(q, d)), 0.2);
  EXPECT_FALSE(share_band(minhash(q, c), minhash(q, d)));
  EXPECT_EQ(minhash(q, 0), minhash(q));  // no scope: the signatures stored before
  // Alike questions about the same code stay alike.
  EXPECT_GE(estimated_jaccard(minhash("How does `init` handle a second call to it?", c),
                              minhash("How does `init` handle a second call?", c)),
            0.5);
}

TEST(MinHash, EmptyTextHasAllSlotsSet) {
  Signature all;
  all.fill(0xffffffffU);
  EXPECT_EQ(minhash(""), all);
  EXPECT_EQ(minhash("  ?!... "), all);
  EXPECT_NE(minhash("word"), all);
}

TEST(MinHash, IsDeterministicAcrossCallsAndPinned) {
  const Signature s = minhash("How does load_config work?");
  EXPECT_EQ(s, minhash("How does load_config work?"));
  // Signatures are stored: a change of the hash family must be a deliberate, visible one.
  EXPECT_EQ(s[0], 0x07399badU);
  EXPECT_EQ(s[1], 0xebb42dbeU);
  EXPECT_EQ(s[63], 0x1227392cU);
}

TEST(MinHash, IdenticalUpToCaseAndPunctuationGiveOne) {
  const Signature a = minhash("How does HttpClient retry a request after a timeout?");
  const Signature b = minhash("how does httpclient  retry a REQUEST, after a timeout");
  EXPECT_EQ(estimated_jaccard(a, b), 1.0);
  EXPECT_EQ(band_keys(a), band_keys(b));
  EXPECT_EQ(estimated_jaccard(minhash("Hello world"), minhash("hello, WORLD!")), 1.0);
}

TEST(MinHash, ShortTextsAreOneShingle) {
  EXPECT_LT(estimated_jaccard(minhash("hello world"), minhash("hello there")), 0.2);
  EXPECT_LT(estimated_jaccard(minhash("retry"), minhash("retries")), 0.2);
}

TEST(MinHash, ParaphraseDifferingInOneWordIsNearDuplicate) {
  const std::string a =
      "How does the parse_config function handle a missing configuration file when the "
      "application starts up?";
  const std::string b =
      "How does the parse_config function handle a missing configuration file when the "
      "application boots up?";
  EXPECT_GE(estimated_jaccard(minhash(a), minhash(b)), 0.6);
  EXPECT_TRUE(share_band(minhash(a), minhash(b)));

  const std::string c =
      "What value does the load_settings method return when the settings file cannot be "
      "parsed correctly?";
  const std::string d =
      "What value does the load_settings method return when the settings file cannot be "
      "read correctly?";
  EXPECT_GE(estimated_jaccard(minhash(c), minhash(d)), 0.6);
  EXPECT_TRUE(share_band(minhash(c), minhash(d)));

  // A word in the middle changes three shingles: exact Jaccard 11/17, still a band candidate.
  const std::string e =
      "How does the parse_config function handle a missing settings file when the "
      "application starts up?";
  EXPECT_NEAR(exact_jaccard(a, e), 11.0 / 17.0, 1e-12);
  EXPECT_NEAR(estimated_jaccard(minhash(a), minhash(e)), 11.0 / 17.0, 0.15);
  EXPECT_TRUE(share_band(minhash(a), minhash(e)));
}

TEST(MinHash, DistinctQuestionsAreNotNearDuplicates) {
  ASSERT_EQ(k_questions.size(), 30U);
  std::vector<Signature> signatures;
  signatures.reserve(k_questions.size());
  for (const auto& q : k_questions)
    signatures.push_back(minhash(q));
  int sharing = 0;
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    for (std::size_t j = i + 1; j < signatures.size(); ++j) {
      EXPECT_LT(estimated_jaccard(signatures[i], signatures[j]), 0.8)
          << k_questions[i] << " / " << k_questions[j];
      sharing += share_band(signatures[i], signatures[j]) ? 1 : 0;
    }
  }
  // Shared openings ("what does the", "how does the") alone make no candidate pair.
  EXPECT_EQ(sharing, 0);
  EXPECT_FALSE(share_band(signatures[0], signatures[1]));
}

TEST(MinHash, EstimateIsCloseToExactJaccard) {
  const std::vector<std::pair<std::string_view, std::string_view>> pairs = {
      {k_questions[0], "What does the parse_config function return when the path is missing?"},
      {k_questions[1], "How does the HttpClient retry a request after a read timeout or reset?"},
      {k_questions[2], k_questions[3]},
      {"Explain how the LRU eviction policy chooses a victim entry when the cache is full.",
       "Explain how the LRU eviction policy chooses a victim entry."},
      {"one two three four five six seven eight nine ten eleven twelve",
       "one two three four five six seven eight nine ten"},
      {"alpha beta gamma delta epsilon zeta eta theta iota kappa",
       "kappa iota theta eta zeta epsilon delta gamma beta alpha"},
  };
  for (const auto& [a, b] : pairs) {
    const double exact = exact_jaccard(a, b);
    const double estimate = estimated_jaccard(minhash(a), minhash(b));
    EXPECT_NEAR(estimate, exact, 0.2) << a << " / " << b;
  }
}

TEST(MinHash, BandKeysAreNonNegativeAndDependOnTheBandIndex) {
  Signature flat;
  flat.fill(7);
  const auto keys = band_keys(flat);
  const std::set<std::int64_t> distinct(keys.begin(), keys.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(k_bands));
  for (const auto& q : k_questions)
    for (std::int64_t key : band_keys(minhash(q)))
      EXPECT_GE(key, 0);
  Signature changed = flat;
  changed[5] = 8;  // row 1 of band 1
  const auto other = band_keys(changed);
  for (int band = 0; band < k_bands; ++band)
    EXPECT_EQ(keys[band] == other[band], band != 1) << band;
}

TEST(MinHash, EncodesLittleEndianAndRoundTrips) {
  Signature s{};
  for (int i = 0; i < k_min_hash_size; ++i)
    s[i] = 0x01020304U * static_cast<std::uint32_t>(i + 1);
  const std::string bytes = encode_signature(s);
  ASSERT_EQ(bytes.size(), 256U);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(decode_signature(bytes), s);
  const Signature real = minhash(k_questions[7]);
  EXPECT_EQ(decode_signature(encode_signature(real)), real);
}

TEST(MinHash, DecodeRejectsWrongLength) {
  const std::string bytes = encode_signature(minhash("some question text"));
  EXPECT_FALSE(decode_signature(bytes.substr(0, 255)));
  EXPECT_FALSE(decode_signature(bytes + '\0'));
  EXPECT_FALSE(decode_signature(""));
  EXPECT_TRUE(decode_signature(bytes));
}

// ---- Grounding ----------------------------------------------------------------------------------

constexpr std::string_view k_cpp = R"(#include <string>
#include <vector>

namespace cfg {

struct Config {
  std::string path;
  int retries = 3;
};

// Reads `path` and fills a Config; throws on malformed lines.
Config load_config(const std::string& path) {
  Config config;
  config.path = path;
  for (const std::string& line : read_lines(path))
    apply_line(config, line);
  return config;
}

bool ConfigCache::refresh(const std::string& path) {
  cached_ = load_config(path);
  return cached_.retries > 0;
}

}  // namespace cfg
)";

constexpr std::string_view k_python = R"(import json


class SettingsStore:
    def __init__(self, path):
        self._path = path
        self._cache = None

    def load_settings(self):
        with open(self._path) as fh:
            self._cache = json.load(fh)
        return self._cache
)";

constexpr std::string_view k_go = R"(package server

func (s *Server) HandleRequest(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.store.Save(body)
}
)";

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(ForEachIdentifier, YieldsIdentifierTokensOnly) {
  std::vector<std::string> tokens;
  for_each_identifier("int x1 = 0x1F + foo_bar(_y) * 2e5; // café",
                      [&](std::string_view t) { tokens.emplace_back(t); });
  EXPECT_EQ(tokens, (std::vector<std::string>{"int", "x1", "foo_bar", "_y", "caf"}));
  tokens.clear();
  for_each_identifier("", [&](std::string_view t) { tokens.emplace_back(t); });
  EXPECT_TRUE(tokens.empty());
  EXPECT_NO_THROW(for_each_identifier("abc", {}));
}

TEST(Grounding, AnswerAboutRealFunctionsScoresOne) {
  const Grounding g = grounding(
      "`load_config` reads the file line by line via `read_lines(path)` and passes each line to "
      "`apply_line`, which updates the `Config`. ConfigCache::refresh calls it again and stores "
      "the result in cached_, returning whether `retries` is positive.",
      k_cpp);
  EXPECT_EQ(g.claims, 9);
  EXPECT_EQ(g.found, 9);
  EXPECT_DOUBLE_EQ(g.score, 1.0);
  EXPECT_TRUE(g.missing.empty());
}

TEST(Grounding, PlantedIdentifiersAreMissing) {
  const Grounding g = grounding(
      "The function relies on `parse_yaml_config` to read the file, wraps failures in an "
      "HttpRetryPolicy, and calls flush_all_buffers() before `load_config` returns.",
      k_cpp);
  EXPECT_EQ(g.claims, 4);
  EXPECT_EQ(g.found, 1);
  EXPECT_LE(g.score, 0.25);
  EXPECT_EQ(g.missing, (std::vector<std::string>{"parse_yaml_config", "HttpRetryPolicy",
                                                 "flush_all_buffers"}));
}

TEST(Grounding, ProseWithoutIdentifiersHasNoClaims) {
  const Grounding g = grounding(
      "It reads the file and returns the settings it found. Nothing else happens here: errors "
      "(if any) are reported to the caller, and the value(s) are cached. See "
      "https://example.com/docs/load_config.html or src/cfg/read_lines.cpp for details.",
      k_cpp);
  EXPECT_EQ(g.claims, 0) << (g.missing.empty() ? "" : g.missing.front());
  EXPECT_DOUBLE_EQ(g.score, 1.0);
  EXPECT_EQ(grounding("", k_cpp).claims, 0);
}

TEST(Grounding, FileAndHostNamesAreNotClaims) {
  const Grounding names = grounding(
      "It reads `settings.json` and config.yaml, documented in README.md and on example.com; "
      "the header is `cfg/load.h`, mail admin@example.org, see `https://example.net/x`.",
      k_cpp);
  EXPECT_EQ(names.claims, 0) << (names.missing.empty() ? "" : names.missing.front());
  // A call or "::" makes it code again.
  const Grounding code = grounding("It calls response.json() and cfg::load_config.txt.", k_cpp);
  EXPECT_EQ(code.missing, (std::vector<std::string>{"response"}));
  EXPECT_EQ(code.claims, 3);  // response, cfg, load_config ("json" and "txt" are never claims)
}

TEST(Grounding, KeywordsAndShortTokensAreNotClaims) {
  const Grounding g = grounding(
      "It uses `return` early, compares with `nullptr`, checks `true`/`false`, and `self`, "
      "`std::string`, `int`, `x`, `42` and `i++` are not claims either. None() and this->it.",
      k_cpp);
  EXPECT_EQ(g.claims, 0) << (g.missing.empty() ? "" : g.missing.front());
  EXPECT_DOUBLE_EQ(g.score, 1.0);
}

TEST(Grounding, KnownElsewhereIsConsultedForClaimsNotInTheCode) {
  std::vector<std::string> asked;
  auto index = [&](std::string_view name) {
    asked.emplace_back(name);
    return name == "split_words";
  };
  const Grounding g =
      grounding("`load_config` calls `split_words` from the utility module and `made_up_helper`.",
                k_cpp, index);
  EXPECT_EQ(g.claims, 3);
  EXPECT_EQ(g.found, 2);
  EXPECT_NEAR(g.score, 2.0 / 3.0, 1e-12);
  EXPECT_EQ(sorted(asked), (std::vector<std::string>{"made_up_helper", "split_words"}));
  EXPECT_EQ(g.missing, (std::vector<std::string>{"made_up_helper"}));
}

TEST(Grounding, PythonSnippet) {
  const Grounding good = grounding(
      "`SettingsStore.load_settings()` opens `self._path`, parses it with json.load and keeps "
      "the result in self._cache.",
      k_python);
  EXPECT_EQ(good.claims, 5);  // SettingsStore, load_settings, _path, load, _cache (not json)
  EXPECT_DOUBLE_EQ(good.score, 1.0);
  const Grounding bad = grounding(
      "load_settings() then calls `validate_schema(data)` and stores it in self.settings_cache.",
      k_python);
  EXPECT_EQ(sorted(bad.missing),
            (std::vector<std::string>{"data", "settings_cache", "validate_schema"}));
  EXPECT_EQ(bad.found, 1);
}

TEST(Grounding, GoSnippet) {
  const Grounding g = grounding(
      "HandleRequest reads the request body with io.ReadAll, answers http.StatusBadRequest on "
      "failure and otherwise passes the bytes to s.store.Save.",
      k_go);
  EXPECT_EQ(g.claims, 6);
  EXPECT_DOUBLE_EQ(g.score, 1.0);
  const Grounding bad = grounding("It also calls `s.metrics.Observe` and WriteHeader().", k_go);
  EXPECT_EQ(bad.missing, (std::vector<std::string>{"metrics", "Observe", "WriteHeader"}));
  EXPECT_DOUBLE_EQ(bad.score, 0.0);
}

TEST(Grounding, FencedBlocksClaimCallsAndMembersNotLocalsOrStrings) {
  const Grounding g = grounding(
      "Usage:\n\n```cpp\n// load once at start-up\nauto settings = load_config(\"app.ini\");\n"
      "store_result(settings);\n```\n",
      k_cpp);
  EXPECT_EQ(g.claims, 2);
  EXPECT_EQ(g.found, 1);
  EXPECT_EQ(g.missing, (std::vector<std::string>{"store_result"}));
}

TEST(Grounding, InlineSpansAndUnclosedBackticks) {
  // Double-backtick spans may hold a backtick; a lone backtick is literal text.
  const Grounding g = grounding("``apply_line(`x`)`` and a stray ` then parse_line().", k_cpp);
  EXPECT_EQ(g.claims, 2);
  EXPECT_EQ(g.missing, (std::vector<std::string>{"parse_line"}));
}

TEST(Grounding, ClaimsAreDistinctAndMissingIsCapped) {
  const Grounding once = grounding("load_config, `load_config` and load_config() again.", k_cpp);
  EXPECT_EQ(once.claims, 1);
  std::string answer;
  for (int i = 0; i < 25; ++i)
    answer += "fake_name_" + std::to_string(i) + "() ";
  const Grounding many = grounding(answer, k_cpp);
  EXPECT_EQ(many.claims, 25);
  EXPECT_EQ(many.found, 0);
  ASSERT_EQ(many.missing.size(), 20U);
  EXPECT_EQ(many.missing.front(), "fake_name_0");
  EXPECT_EQ(many.missing.back(), "fake_name_19");
}

TEST(Grounding, MatchingIsCaseSensitiveAndWholeToken) {
  const Grounding g = grounding("`Load_Config` and `load_conf` and `line_count`.", k_cpp);
  EXPECT_EQ(g.claims, 3);
  EXPECT_EQ(g.found, 0);
}

// ---- Flags --------------------------------------------------------------------------------------

TEST(Flags, NamesRoundTrip) {
  const std::vector<Flag> all = {Flag::truncated,  Flag::empty,          Flag::refusal,
                                 Flag::repetitive, Flag::control_chars,  Flag::ungrounded,
                                 Flag::duplicate,  Flag::near_duplicate, Flag::not_a_question,
                                 Flag::echo,       Flag::names_no_code};
  const std::vector<std::string> names = {
      "truncated", "empty",          "refusal",        "repetitive", "control_chars", "ungrounded",
      "duplicate", "near_duplicate", "not_a_question", "echo",       "names_no_code"};
  EXPECT_EQ(all_flags(), all);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(to_string(all[i]), names[i]);
    EXPECT_EQ(parse_flag(names[i]), all[i]);
  }
  EXPECT_FALSE(parse_flag("Refusal"));
  EXPECT_FALSE(parse_flag(""));
  EXPECT_FALSE(parse_flag("near-duplicate"));
}

// Bytes as hex, for a failure message.
std::string hex_of(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    static constexpr char digits[] = "0123456789abcdef";
    out += digits[c >> 4];
    out += digits[c & 0xF];
    out += ' ';
  }
  return out;
}

TEST(Flags, ControlCharactersAreFoundButTabsNewlinesAndTextAreNot) {
  EXPECT_FALSE(has_control_chars(""));
  EXPECT_FALSE(
      has_control_chars("It returns `a + b`.\n\n\tint x;\r\nDone. caf\xC3\xA9 \xE2\x82\xAC"));
  EXPECT_FALSE(
      has_control_chars("Arabic \xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A, Hebrew \xD7\xA9\xD7\x9C"));
  for (std::string bad : {std::string("a\x1b[31mred"), std::string("nul\0byte", 8),
                          std::string("bell\x07"), std::string("cr\ronly"), std::string("del\x7f"),
                          std::string("c1 \xC2\x9B"), std::string("rlo \xE2\x80\xAE"),
                          std::string("lrm \xE2\x80\x8E"), std::string("rlm \xE2\x80\x8F"),
                          std::string("lri \xE2\x81\xA6"), std::string("pdi \xE2\x81\xA9"),
                          std::string("ls \xE2\x80\xA8"), std::string("ps \xE2\x80\xA9"),
                          std::string("\x0c form feed"), std::string("ends in cr\r")}) {
    EXPECT_TRUE(has_control_chars(bad)) << hex_of(bad);
  }
  // Neighbours of the flagged code points are text.
  EXPECT_FALSE(
      has_control_chars("\xC2\xA0 nbsp, \xE2\x80\x94 dash, \xE2\x80\x8B zwsp, \xE2\x81\xA0 wj"));
}

// What a person would not keep although grounding scores it 1.0 (it names nothing that could be
// missing): a "question" that asks nothing, an answer that repeats its question, an answer that
// names nothing of its code, and one that says the code does not hold the answer.
TEST(Flags, SamplesAPersonWouldNotKeepAreFlagged) {
  EXPECT_FALSE(is_question("1.0.0.0"));
  EXPECT_FALSE(is_question("2. Why it is written this way"));
  EXPECT_TRUE(is_question("What does `add` return?"));
  EXPECT_TRUE(is_question("  Why is `n` unsigned?  "));

  EXPECT_TRUE(echoes_question("1.0.0.0\n\nAnswer: 1.0.0.0", "1.0.0.0"));
  EXPECT_TRUE(echoes_question("What does add return?", "What does `add` return?"));
  EXPECT_FALSE(echoes_question("`add` returns the sum of `a` and `b`.", "What does `add` return?"));
  EXPECT_FALSE(echoes_question("", "What does `add` return?"));

  constexpr std::string_view code = "int add(int first, int second) { return first + second; }";
  EXPECT_TRUE(names_code("It returns `add`.", code));
  EXPECT_TRUE(names_code("It adds first and second.", code));  // plain words the code names
  EXPECT_FALSE(names_code("It returns the sum of its arguments.", code));
  EXPECT_FALSE(names_code("The code does not contain the answer.", code));
  EXPECT_FALSE(names_code("`multiply` is not here.", code));

  EXPECT_TRUE(is_refusal("The code does not contain the answer."));
  EXPECT_TRUE(is_refusal("The `deinit` function does not do anything."));
  EXPECT_TRUE(is_refusal("The `markup` variable does not do anything in the given code."));
  EXPECT_FALSE(
      is_refusal("When `n` is 0 the loop in `sum` does nothing, so `sum` returns 0 at "
                 "once without touching `values`."));
  EXPECT_FALSE(is_refusal("`noop` returns at once: it does nothing with its arguments."));
  EXPECT_TRUE(is_refusal("The answer is not in the provided code."));
}

TEST(Flags, JoinAndSplit) {
  EXPECT_EQ(join_flags({}), "");
  EXPECT_EQ(join_flags({Flag::near_duplicate, Flag::refusal, Flag::refusal, Flag::truncated}),
            "truncated,refusal,near_duplicate");
  EXPECT_EQ(split_flags("near_duplicate, bogus ,refusal,,truncated,refusal"),
            (std::vector<Flag>{Flag::truncated, Flag::refusal, Flag::near_duplicate}));
  EXPECT_TRUE(split_flags("").empty());
  EXPECT_TRUE(split_flags(" , unknown").empty());
  const std::vector<Flag> flags = {Flag::ungrounded, Flag::empty, Flag::duplicate};
  EXPECT_EQ(split_flags(join_flags(flags)),
            (std::vector<Flag>{Flag::empty, Flag::ungrounded, Flag::duplicate}));
}

TEST(Flags, EmptyAnswers) {
  for (std::string_view empty : {"", "   \n\t", "...", "N/A", "n/a.", "None", "null", "-", "—",
                                 " TODO ", "Undefined!", "\xe2\x80\xa6", "\xf0\x9f\x98\x80"})
    EXPECT_TRUE(is_empty_answer(empty)) << empty;
  for (std::string_view real : {"0", "Returns 0.", "None of the callers check it.", "yes",
                                "Возвращает ноль.", "返回零", "nullable", "NaN"})
    EXPECT_FALSE(is_empty_answer(real)) << real;
}

TEST(Flags, RefusalsAreDetected) {
  for (std::string_view refusal : {
           "I'm sorry, but I cannot determine what this function does without more context.",
           "As an AI language model, I don't have access to the rest of the repository.",
           "I\xe2\x80\x99m unable to answer that from the snippet alone.",
           "Unfortunately, I can\xe2\x80\x99t see the definition of `Config`.",
           "The provided code does not provide enough information to determine the return type.",
           "No code was provided in the question.",
           "It is not possible to determine the purpose of this value from the code shown.",
           "The exact behaviour cannot be determined from this fragment.",
           "There is no code provided, so there is nothing to explain.",
       })
    EXPECT_TRUE(is_refusal(refusal)) << refusal;
}

TEST(Flags, RefusalWindowInLongAnswers) {
  const std::string body(500, 'x');
  EXPECT_TRUE(is_refusal("I cannot see the implementation of read_lines, but " + body));
  EXPECT_TRUE(is_refusal(std::string(100, ' ') + "As an AI, " + body));
  // Beyond the first 160 characters of a long answer a phrase is part of the explanation.
  EXPECT_FALSE(is_refusal("load_config reads the file. " + std::string(200, 'y') +
                          " I cannot stress enough that " + body));
  EXPECT_TRUE(is_refusal("load_config reads the file. " + std::string(200, 'y') +
                         " I cannot stress enough."));
}

// An answer that says, anywhere in it, that the code does not show its answer is no answer a
// model should learn, however long the text before it.
TEST(Flags, AnAnswerSayingTheCodeDoesNotShowTheAnswerIsARefusalAnywhere) {
  const std::string body =
      "The purpose of the Sha256 class is to compute the SHA-256 hash of a given string. " +
      std::string(400, 'x') + " ";
  for (std::string_view tail : {
           "The code does not show the answer to the question, but it uses the class.",
           "However, the code doesn't contain the answer to this question.",
           "This snippet does not answer the question directly.",
       })
    EXPECT_TRUE(is_refusal(body + std::string(tail))) << tail;
  EXPECT_FALSE(is_refusal(body + "The code does not show a destructor; the default one runs."));
}

TEST(Flags, TechnicalAnswersAreNotRefusals) {
  const std::string long_answer =
      "The function cannot return null because every path assigns `result` before returning: "
      "the early exit for an empty input returns an empty vector, and the main loop appends "
      "each parsed entry. Callers therefore never need to check for null, and the compiler "
      "cannot elide the copy here because the value is returned through a reference parameter. "
      "If parsing fails the function throws std::runtime_error instead, which cannot be "
      "caught by the caller in the same frame without a try block; see refresh for the one "
      "place where that happens and the error is logged before the cache is cleared.";
  ASSERT_GE(long_answer.size(), 400U);
  EXPECT_FALSE(is_refusal(long_answer));
  for (std::string_view good : {
           "The API can't handle more than 64 connections, so the pool caps them.",
           "The provided code does not check for null; it dereferences ptr directly.",
           "There is no code path that leaves the mutex locked.",
           "Semaphores cannot be acquired twice by the same thread here.",
           "It returns the cached value; the mapping is sorry-proof.",
       })
    EXPECT_FALSE(is_refusal(good)) << good;
}

TEST(Flags, DegenerateRepetitionIsDetected) {
  const std::string degenerate =
      "The code is written in a way that is intentionally ambiguous and unclear. It uses a mix "
      "of keywords and phrases that are not well-defined. The code does not provide clear "
      "information about what kind of error it is trying to handle.\n\n"
      "The code is written in a way that is intentionally ambiguous and unclear. It uses a mix "
      "of keywords and phrases that are not well defined. The code does not provide clear "
      "information about what kind of errors it is trying to handle.\n\n"
      "The code is written in a way that is ambiguous and unclear. It uses a mix of keywords "
      "and phrases that are not well-defined. The code does not provide any clear information "
      "about what kind of error it is trying to handle.";
  EXPECT_TRUE(is_repetitive(degenerate));

  std::string loop;
  for (int i = 0; i < 15; ++i)
    loop += "the value is returned and ";
  EXPECT_TRUE(is_repetitive(loop));  // 75 words, no sentence ends

  EXPECT_TRUE(
      is_repetitive("It returns the parsed value. It returns the parsed value. It "
                    "returns the parsed value."));
}

TEST(Flags, NormalAnswersAreNotRepetitive) {
  const std::string answer =
      "load_config opens the file at `path` and reads it line by line with read_lines. Each "
      "line is handed to apply_line, which splits it at the first '=' and stores the value in "
      "the matching field of Config. Unknown keys are ignored, but a line without '=' throws, "
      "so a malformed file never produces a half-filled configuration. The function returns "
      "the Config by value; ConfigCache::refresh stores that copy in cached_ and reports "
      "whether the retry count is positive, which callers use to decide whether to schedule "
      "another attempt. Nothing is cached on failure, and the previous configuration stays in "
      "place until a later refresh succeeds.";
  EXPECT_FALSE(is_repetitive(answer));
  EXPECT_FALSE(is_repetitive("It returns the parsed value. It returns the parsed value."));
  EXPECT_FALSE(is_repetitive("Yes. Yes. Yes. Yes."));  // sentences shorter than 5 words
  EXPECT_FALSE(is_repetitive(""));
}

// ---- Arbitrary bytes ----------------------------------------------------------------------------

// Text mixing code-like ASCII, backticks, UTF-8 and stray bytes, from a fixed seed.
std::string random_text(std::mt19937& rng, std::size_t length) {
  static constexpr std::string_view k_pieces[] = {
      "`",   "```", "``", "(", "::", "->", ".", "_",    " ",        "\n",        "a",   "Zq",
      "x_y", "9",   "\"", "/", "@",  "’",  "é", "\xff", "\xe2\x80", "i'm sorry", "(s)", "://"};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(k_pieces) - 1);
  std::string text;
  while (text.size() < length)
    text += k_pieces[pick(rng)];
  return text;
}

TEST(ArbitraryInput, InvariantsHold) {
  std::mt19937 rng(20240531);
  for (int round = 0; round < 300; ++round) {
    const std::string answer = random_text(rng, 1 + round % 97);
    const std::string code = random_text(rng, 50);
    const std::string n = normalise(answer);
    EXPECT_EQ(normalise(n), n);
    EXPECT_EQ(n.find("  "), std::string::npos);
    EXPECT_TRUE(n.empty() || (n.front() != ' ' && n.back() != ' '));
    const Grounding g = grounding(answer, code);
    EXPECT_GE(g.found, 0);
    EXPECT_LE(g.found, g.claims);
    EXPECT_LE(g.missing.size(), 20U);
    EXPECT_EQ(g.missing.size(), std::min<std::size_t>(20, g.claims - g.found));
    EXPECT_GE(g.score, 0.0);
    EXPECT_LE(g.score, 1.0);
    EXPECT_EQ(decode_signature(encode_signature(minhash(answer))), minhash(answer));
    (void)is_refusal(answer);
    (void)is_repetitive(answer);
    (void)is_empty_answer(answer);
  }
}

TEST(Concurrency, ThreadsGetTheSameResults) {
  const std::string answer = "`load_config` calls read_lines(path) and made_up_helper().";
  const Grounding expected = grounding(answer, k_cpp);
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> threads;
  threads.reserve(2);
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const Grounding g = grounding(answer, k_cpp);
        const bool same_hash = minhash(k_questions[i % 30]) == minhash(k_questions[i % 30]);
        if (g.missing != expected.missing || g.found != expected.found || !same_hash)
          ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(expected.missing, (std::vector<std::string>{"made_up_helper"}));
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0}));
}

}  // namespace
}  // namespace g2d::quality

namespace g2d::quality {
namespace {

// The flags a sample's text alone decides, one function for prepare (at store time) and export
// (again, for samples stored under older rules).
TEST(TextFlags, EachRuleOfTheQuestionAndAnswerTextGivesItsFlag) {
  const std::string code = "int add(int a, int b) { return a + b; }";
  EXPECT_TRUE(
      text_flags("What does `add` return?", "The `add` function returns a + b.", code).empty());
  auto has = [](const std::vector<Flag>& flags, Flag f) {
    return std::find(flags.begin(), flags.end(), f) != flags.end();
  };
  EXPECT_TRUE(has(text_flags("What does `add` return?", "N/A", code), Flag::empty));
  EXPECT_TRUE(
      has(text_flags("What does `add` return?", "I'm sorry, I cannot help.", code), Flag::refusal));
  EXPECT_TRUE(has(text_flags("What does `add` return", "The `add` function returns a + b.", code),
                  Flag::not_a_question));
  EXPECT_TRUE(has(text_flags("What does `add` return?", "What does add return", code), Flag::echo));
  EXPECT_TRUE(has(text_flags("What does `add` return?", "It returns a number \x1b[2J.", code),
                  Flag::control_chars));
  EXPECT_TRUE(has(text_flags("What does `add` return?", "It returns the total.", code),
                  Flag::names_no_code));
  // Without code there is nothing to name.
  EXPECT_FALSE(
      has(text_flags("What does `add` return?", "It returns the total.", ""), Flag::names_no_code));
  // In enum order, each once.
  auto flags = text_flags("x", "", code);
  EXPECT_FALSE(flags.empty());
  EXPECT_TRUE(std::is_sorted(flags.begin(), flags.end()));
  EXPECT_EQ(std::adjacent_find(flags.begin(), flags.end()), flags.end());
}

}  // namespace
}  // namespace g2d::quality
