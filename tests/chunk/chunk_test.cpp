#include "chunk/chunk.hpp"

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chunk_testing.hpp"

namespace g2d::chunk {
namespace {

using ::testing::ElementsAre;
using namespace g2d::chunk::tests;

TEST(Chunk, TextThatFitsIsOneChunk) {
  auto chunks = split_ok("go", k_go, 1000);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].line_start, 1);
  EXPECT_EQ(chunks[0].line_end, 17);
  EXPECT_EQ(chunks[0].scope, "");
  EXPECT_EQ(chunks[0].text, k_go);
}

TEST(Chunk, EmptyTextIsNoChunks) {
  int calls = 0;
  TokenCounter counting = [&](std::string_view text) {
    ++calls;
    return count_words(text);
  };
  auto chunks = split("cpp", "", 10, counting);
  ASSERT_TRUE(chunks);
  EXPECT_TRUE(chunks->empty());
  EXPECT_EQ(calls, 0);
}

TEST(Chunk, BudgetBelowOneIsInvalid) {
  for (int budget : {0, -1, -100}) {
    auto chunks = split("cpp", k_cpp, budget, count_words);
    ASSERT_FALSE(chunks);
    EXPECT_EQ(chunks.error().kind, ErrorKind::invalid_argument);
  }
}

TEST(Chunk, CounterErrorIsReturnedAsIs) {
  // The counter fails on its n-th call, wherever in the split that falls.
  for (int fail_at = 1; fail_at <= 40; ++fail_at) {
    int calls = 0;
    TokenCounter failing = [&](std::string_view text) -> Result<int> {
      if (++calls == fail_at)
        return fail(ErrorKind::unavailable, "tokenizer down at call {}", fail_at);
      return count_words(text);
    };
    for (std::string_view language : {"cpp", "cobol"}) {
      calls = 0;
      auto chunks = split(language, k_cpp, 8, failing);
      if (calls < fail_at) {
        EXPECT_TRUE(chunks) << fail_at;
        continue;
      }
      ASSERT_FALSE(chunks) << fail_at;
      EXPECT_EQ(chunks.error().kind, ErrorKind::unavailable);
      EXPECT_EQ(chunks.error().message, fmt::format("tokenizer down at call {}", fail_at));
    }
  }
}

// A function over the budget is split textually, at blank lines, within its own lines.
TEST(Chunk, OversizeFunctionFallsBackToTextWithinItsLines) {
  constexpr std::string_view text = R"src(int small() { return 1; }

int big() {
  int a = 1;
  int b = 2;

  int c = 3;
  int d = 4;

  return a + b + c + d;
}

int tail() { return 2; }
)src";
  EXPECT_THAT(layout(split_ok("cpp", text, 12)),
              ElementsAre("1-1 ", "2-6 ", "7-9 ", "10-11 ", "12-13 "));
  // A paragraph over the budget goes to lines.
  EXPECT_THAT(layout(split_ok("cpp", text, 9)),
              ElementsAre("1-1 ", "2-4 ", "5-6 ", "7-9 ", "10-11 ", "12-13 "));
}

TEST(Chunk, UnknownLanguageIsSplitTextually) {
  constexpr std::string_view text = R"src(first paragraph one
first paragraph two

second paragraph


third paragraph has more words in it
and another line
)src";
  EXPECT_THAT(layout(split_ok("cobol", text, 7)), ElementsAre("1-3 ", "4-6 ", "7-7 ", "8-8 "));
  EXPECT_THAT(layout(split_ok("", text, 10)), ElementsAre("1-6 ", "7-8 "));
}

TEST(Chunk, HugeLineIsCutAtCharacterBoundaries) {
  std::string line;
  for (int i = 0; i < 120; ++i)
    line += "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80 ";  // é ö ✓ 😀
  std::string text = "int x;\n" + line + "\nint y;\n";
  for (int budget : {1, 2, 3, 5, 17, 100}) {
    SCOPED_TRACE(budget);
    auto chunks = split_ok("cpp", text, budget, count_quarter_bytes);
    ASSERT_GT(chunks.size(), 3u);
    if (budget > 1) {
      EXPECT_EQ(chunks.front().text, "int x;\n");
    }
    for (const Chunk& chunk : chunks)
      if (chunk.text.find("llo") != std::string::npos) {
        EXPECT_EQ(chunk.line_start, 2);
        EXPECT_EQ(chunk.line_end, 2);
      }
  }
  // A budget one character does not fit is an error, not a broken character.
  auto chunks = split("cpp", text, 1, count_bytes);
  ASSERT_FALSE(chunks);
  EXPECT_EQ(chunks.error().kind, ErrorKind::invalid_argument);
  split_ok("cpp", text, 4, count_bytes);
}

TEST(Chunk, CrlfLineEndings) {
  std::string text;
  for (char c : k_go) {
    if (c == '\n')
      text += '\r';
    text += c;
  }
  auto chunks = split_ok("go", text, 14);
  EXPECT_THAT(layout(chunks), ElementsAre("1-3 ", "4-8 ", "9-13 ", "14-17 "));
  for (const Chunk& chunk : chunks)
    EXPECT_EQ(chunk.text.substr(chunk.text.size() - 2), "\r\n");
}

TEST(Chunk, NoTrailingNewline) {
  std::string_view text = k_go.substr(0, k_go.size() - 1);
  auto chunks = split_ok("go", text, 14);
  EXPECT_THAT(layout(chunks), ElementsAre("1-3 ", "4-8 ", "9-13 ", "14-17 "));
  EXPECT_EQ(chunks.back().text.back(), '}');
  EXPECT_THAT(layout(split_ok("cobol", "one two\nthree four", 2)), ElementsAre("1-1 ", "2-2 "));
}

// Broken code (ERROR nodes) loses nothing.
TEST(Chunk, ParseErrorsLoseNoText) {
  constexpr std::string_view text = R"src(class A {
  int f( {
    return ;;
}}}
namespace {
  void g() { if (x { } }
template <class T struct S { T t; };
)src";
  for (std::string_view language : {"cpp", "c", "python", "rust", "go", "java", "javascript"})
    for (int budget = 1; budget < 30; ++budget)
      split_ok(language, text, budget);
}

TEST(Chunk, ConcurrentSplitsAgree) {
  auto expected = split_ok("cpp", k_cpp, 8);
  std::atomic<int> mismatches = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto chunks = split("cpp", k_cpp, 8, count_words);
        if (!chunks || layout(*chunks) != layout(expected))
          ++mismatches;
      }
    });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(mismatches, 0);
}

// The counter sees each unit about once per nesting level plus each chunk once: linear in the
// file, never the whole file per unit.
TEST(Chunk, CountingCostIsLinear) {
  std::string text;
  for (int i = 0; i < 400; ++i)
    text += k_cpp;
  std::size_t counted = 0;
  int calls = 0;
  TokenCounter counting = [&](std::string_view part) {
    counted += part.size();
    ++calls;
    return count_words(part);
  };
  auto chunks = split_ok("cpp", text, 40, counting);
  EXPECT_GT(chunks.size(), 400u);
  EXPECT_LT(counted, 6 * text.size()) << calls << " calls";
}

// Property: over random edits of the samples, random budgets and three counters (exact sums,
// sums that overcount, sums that undercount), the invariants hold.
TEST(Chunk, RandomInputsKeepTheInvariants) {
  const std::pair<std::string_view, std::string_view> samples[] = {
      {"cpp", k_cpp},
      {"c", k_c},
      {"rust", k_rust},
      {"python", k_python},
      {"java", k_java},
      {"go", k_go},
      {"typescript", k_typescript},
      {"javascript", k_javascript},
      {"cobol", k_cpp},
  };
  const std::string_view snippets[] = {
      "\n",
      "\n\n",
      "\r\n",
      "{",
      "}",
      "class X {\n",
      "};\n",
      "// note\n",
      "def f():\n  ",
      "fn g() {",
      "\xc3\xa9",
      "\xf0\x9f\x98\x80",
      "   ",
      "namespace q {\n",
      "  int v = 1;\n",
      "\"",
      "/*",
      "*/",
      "#if X\n",
      "#endif\n",
  };
  const TokenCounter counters[] = {count_words, count_quarter_bytes, count_words_superadditive};
  std::mt19937 random(20240611);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  for (int round = 0; round < 400; ++round) {
    auto [language, base] = samples[pick(std::size(samples))];
    std::string text(base);
    if (pick(3) == 0)
      text += samples[pick(std::size(samples))].second;
    for (std::size_t edits = pick(6); edits > 0; --edits) {
      std::size_t at = pick(text.size() + 1);
      while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80)
        ++at;  // edits keep the text valid UTF-8
      if (pick(2) == 0) {
        text.insert(at, snippets[pick(std::size(snippets))]);
      } else {
        std::size_t to = std::min(text.size(), at + pick(40));
        while (to < text.size() && (static_cast<unsigned char>(text[to]) & 0xC0) == 0x80)
          ++to;
        text.erase(at, to - at);
      }
    }
    if (pick(4) == 0)
      text += std::string(pick(300), 'x');  // a long line
    int budget = 1 + static_cast<int>(pick(60));
    const TokenCounter& count = counters[pick(std::size(counters))];
    SCOPED_TRACE(fmt::format("round {} {} budget {}", round, language, budget));
    split_ok(language, text, budget, count);
    if (HasFatalFailure())
      return;
  }
}

}  // namespace
}  // namespace g2d::chunk
