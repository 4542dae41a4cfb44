// Per language: definitions are cut between, containers split into members with their scope,
// comments kept with the definition below them.
#include <algorithm>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chunk/chunk.hpp"
#include "chunk_testing.hpp"

namespace g2d::chunk {
namespace {

using ::testing::ElementsAre;
using namespace g2d::chunk::tests;

// ---------------------------------------------------------------------------------------------
TEST(Chunk, HasGrammar) {
  for (std::string_view language :
       {"c", "cpp", "python", "javascript", "typescript", "tsx", "go", "rust", "java"})
    EXPECT_TRUE(has_grammar(language)) << language;
  for (std::string_view language : {"", "cobol", "CPP", "shell", "markdown"})
    EXPECT_FALSE(has_grammar(language)) << language;
}

TEST(Chunk, Cpp) {
  // The namespace and the class are over the budget: split into members, scope extended; the
  // headers go with the first chunk, the closing lines with the last.
  EXPECT_THAT(layout(split_ok("cpp", k_cpp, 30)),
              ElementsAre("1-1 ", "2-12 namespace net > class Parser",
                          "13-22 namespace net > class Parser", "23-28 namespace net"));
  // Smaller: the nested class is split too.
  auto chunks = split_ok("cpp", k_cpp, 8);
  auto inner = std::find_if(chunks.begin(), chunks.end(), [](const Chunk& chunk) {
    return chunk.text.find("void reset()") != std::string::npos;
  });
  ASSERT_NE(inner, chunks.end());
  EXPECT_EQ(inner->scope, "namespace net > class Parser > class Inner");
}

TEST(Chunk, C) {
  EXPECT_THAT(layout(split_ok("c", k_c, 25)), ElementsAre("1-7 ", "8-17 "));
}

TEST(Chunk, Rust) {
  EXPECT_THAT(layout(split_ok("rust", k_rust, 25)),
              ElementsAre("1-8 ", "9-13 impl fmt::Display for Point",
                          "14-19 impl fmt::Display for Point", "20-23 "));
}

TEST(Chunk, Python) {
  EXPECT_THAT(layout(split_ok("python", k_python, 15)),
              ElementsAre("1-1 ", "2-12 class Loader", "13-16 class Loader", "17-20 "));
}

TEST(Chunk, Java) {
  EXPECT_THAT(layout(split_ok("java", k_java, 20)),
              ElementsAre("1-3 ", "4-7 class Summer", "8-12 class Summer", "13-20 class Summer"));
}

TEST(Chunk, Go) {
  auto chunks = split_ok("go", k_go, 14);
  EXPECT_THAT(layout(chunks), ElementsAre("1-3 ", "4-8 ", "9-13 ", "14-17 "));
  // The comment above a function stays with it.
  EXPECT_EQ(chunks[1].text, "\n// Add adds.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n");
}

TEST(Chunk, TypeScript) {
  EXPECT_THAT(layout(split_ok("typescript", k_typescript, 15)),
              ElementsAre("1-5 ", "6-10 class Circle", "11-15 class Circle", "16-19 "));
}

TEST(Chunk, JavaScript) {
  auto chunks = split_ok("javascript", k_javascript, 14);
  EXPECT_THAT(layout(chunks), ElementsAre("1-6 ", "7-13 ", "14-15 ", "16-17 "));
  EXPECT_EQ(chunks[1].text.substr(0, 5), "\n/**\n");  // the doc comment goes with triple()
}

// TSX is parsed with the TSX grammar when the TypeScript one fails on it (src/discover names both
// "typescript"): cut at functions, not at the blank line a textual split would use.
TEST(Chunk, TsxParsesAsTypeScript) {
  constexpr std::string_view text = R"src(export function Hello(props: { name: string }) {
  return <div className="hello">Hello, {props.name}!</div>;
}

export function Bye() {
  return <p>Bye</p>;
}
)src";
  EXPECT_THAT(layout(split_ok("typescript", text, 14)), ElementsAre("1-3 ", "4-7 "));
}

}  // namespace
}  // namespace g2d::chunk
