// tests/chunk/chunk_testing.hpp — what the chunk tests share: stand-in token counters, the
// invariant checks every split must pass, and small realistic files in each language.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chunk/chunk.hpp"

namespace g2d::chunk::tests {

// Stand-in tokenizers. Words split at whitespace, so a join adds nothing: sums are exact.
inline Result<int> count_words(std::string_view text) {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    words += !space && !in_word ? 1 : 0;
    in_word = !space;
  }
  return words;
}
// One token per started 4 bytes: a join can only save tokens.
inline Result<int> count_quarter_bytes(std::string_view text) {
  return static_cast<int>((text.size() + 3) / 4);
}
// Words plus a tenth of them: a join can cost a token, so summed estimates undercount and
// the packer has to verify and re-split.
inline Result<int> count_words_superadditive(std::string_view text) {
  int words = *count_words(text);
  return words + words / 10;
}
// One token per byte: a multi-byte character alone is over a budget of 1.
inline Result<int> count_bytes(std::string_view text) {
  return static_cast<int>(text.size());
}

inline int line_count(std::string_view text) {
  if (text.empty())
    return 0;
  int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  return text.back() == '\n' ? lines : lines + 1;
}

// The invariants every split keeps: concatenation is the input, every chunk fits, lines are
// contiguous, and whole-line chunks hold exactly their lines.
inline void expect_invariants(std::string_view text, const std::vector<Chunk>& chunks, int budget,
                              const TokenCounter& count) {
  std::string joined;
  int prev_end = 0;
  bool continues = false;  // the chunk starts inside a line (the previous one was a piece)
  for (const Chunk& chunk : chunks) {
    SCOPED_TRACE(fmt::format("chunk {}-{} [{}]", chunk.line_start, chunk.line_end, chunk.scope));
    ASSERT_FALSE(chunk.text.empty());
    EXPECT_LE(*count(chunk.text), budget);
    EXPECT_EQ(chunk.line_start, continues ? prev_end : prev_end + 1);
    bool ends_inside = chunk.text.back() != '\n' && joined.size() + chunk.text.size() < text.size();
    if (continues || ends_inside) {
      EXPECT_EQ(chunk.line_start, chunk.line_end);
      EXPECT_EQ(line_count(chunk.text), 1);
      // A piece of a line is cut at a UTF-8 character boundary.
      std::size_t cut = joined.size() + chunk.text.size();
      if (cut < text.size()) {
        EXPECT_NE(static_cast<unsigned char>(text[cut]) & 0xC0, 0x80);
      }
    } else {
      EXPECT_EQ(line_count(chunk.text), chunk.line_end - chunk.line_start + 1);
    }
    joined += chunk.text;
    continues = ends_inside;
    prev_end = chunk.line_end;
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(prev_end, line_count(text));
}

// "first-last scope" per chunk, for comparing against the expected cuts.
inline std::vector<std::string> layout(const std::vector<Chunk>& chunks) {
  std::vector<std::string> out;
  for (const Chunk& chunk : chunks)
    out.push_back(fmt::format("{}-{} {}", chunk.line_start, chunk.line_end, chunk.scope));
  return out;
}

inline std::vector<Chunk> split_ok(std::string_view language, std::string_view text, int budget,
                                   const TokenCounter& count = count_words) {
  auto chunks = split(language, text, budget, count);
  EXPECT_TRUE(chunks) << (chunks ? "" : chunks.error().describe());
  if (!chunks)
    return {};
  expect_invariants(text, *chunks, budget, count);
  return *chunks;
}

// ---------------------------------------------------------------------------------------------
// Samples: small files whose definitions the tests expect to be cut between.
inline constexpr std::string_view k_cpp = R"src(#include <string>

namespace net {

// Parses requests.
class Parser {
 public:
  int parse(const std::string& text) {
    int total = 0;
    for (char c : text) total += c;
    return total;
  }

  class Inner {
   public:
    void reset() { state = 0; }
    int state = 0;
  };

  int count() const { return n; }
  int n = 0;
};

int helper(int a, int b) {
  return a + b;
}

}  // namespace net
)src";

inline constexpr std::string_view k_c = R"src(#include <stdio.h>

/* Adds two numbers. */
static int add(int a, int b) {
  int sum = a + b;
  return sum;
}

struct point {
  int x;
  int y;
};

int main(void) {
  printf("%d\n", add(1, 2));
  return 0;
}
)src";

inline constexpr std::string_view k_rust = R"src(use std::fmt;

/// A point on the plane.
#[derive(Debug)]
pub struct Point {
    x: i32,
    y: i32,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }

    /// The distance from the origin, squared.
    fn norm(&self) -> i32 {
        self.x * self.x + self.y * self.y
    }
}

fn main() {
    println!("{}", Point { x: 1, y: 2 });
}
)src";

inline constexpr std::string_view k_python = R"src(import os


class Loader:
    """Loads files."""

    def __init__(self, root):
        self.root = root

    @staticmethod
    def exists(path):
        return os.path.exists(path)

    def load(self, name):
        with open(os.path.join(self.root, name)) as f:
            return f.read()


def main():
    print(Loader(".").load("x"))
)src";

inline constexpr std::string_view k_java = R"src(package demo;

import java.util.List;

/** Sums numbers. */
public class Summer {
  private int total = 0;

  /** Adds one. */
  public void add(int value) {
    total += value;
  }

  public int addAll(List<Integer> values) {
    for (int v : values) {
      add(v);
    }
    return total;
  }
}
)src";

inline constexpr std::string_view k_go = R"src(package main

import "fmt"

// Add adds.
func Add(a, b int) int {
	return a + b
}

// Sub subtracts.
func Sub(a, b int) int {
	return a - b
}

func main() {
	fmt.Println(Add(1, 2), Sub(3, 4))
}
)src";

inline constexpr std::string_view k_typescript = R"src(// Shapes.
export interface Shape {
  area(): number;
  name: string;
}

export class Circle implements Shape {
  name = "circle";

  constructor(private radius: number) {}

  area(): number {
    return Math.PI * this.radius * this.radius;
  }
}

export function total(shapes: Shape[]): number {
  return shapes.reduce((sum, s) => sum + s.area(), 0);
}
)src";

inline constexpr std::string_view k_javascript = R"src('use strict';

// Doubles a number.
function double(x) {
  return x * 2;
}

/**
 * Triples a number.
 */
function triple(x) {
  return x * 3;
}

const sum = (a, b) => a + b;

module.exports = { double, triple, sum };
)src";

}  // namespace g2d::chunk::tests
