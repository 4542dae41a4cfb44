// Noticing generation that has fallen into a loop, so a backend stops it early.
#include "llm/repetition.hpp"

#include <string>

#include <gtest/gtest.h>

namespace g2d::llm {
namespace {

std::string times(const std::string& block, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += block;
  return out;
}

TEST(Repetition, ASentenceRepeatedUntilTheLimitIsALoopFoundAtItsStart) {
  std::string intro = "The function `add` returns the sum of `a` and `b`. ";
  std::string text = intro + times("The code does not contain the answer. ", 8);
  auto loop = trailing_loop(text);
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->period, std::string("The code does not contain the answer. ").size());
  // The loop starts where the text first follows the block: at the intro's last two bytes (". ",
  // which the block ends with too), so one copy of the block is kept, rotated.
  EXPECT_EQ(loop->start, intro.size() - 2);
  EXPECT_EQ(without_loop(text), intro + "The code does not contain the answer");
}

TEST(Repetition, ARunOfOneCharacterIsALoop) {
  auto loop = trailing_loop("Answer: 1" + std::string(400, '0'));
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->period, 1u);
}

TEST(Repetition, OrdinaryAnswersAndCodeAreNoLoop) {
  EXPECT_FALSE(
      trailing_loop("`add` returns `a + b`; it cannot fail, but it can overflow when "
                    "the sum exceeds INT_MAX, which is undefined behaviour in C."));
  // Quoted code with similar lines, a short table rule, a short run of '=': all too short or not
  // exact repeats.
  std::string code;
  for (int i = 0; i < 10; ++i)
    code += "  x = x * " + std::to_string(i + 2) + " + 1;\n";
  EXPECT_FALSE(trailing_loop("The loop body:\n```c\n" + code + "```"));
  EXPECT_FALSE(trailing_loop("| a | b |\n|---|---|---|---|\n"));
  EXPECT_FALSE(trailing_loop("Heading\n" + std::string(60, '=')));
  // A block repeated only twice is no loop, however long.
  std::string paragraph(300, 'x');
  unsigned state = 12345;
  for (char& c : paragraph) {
    state = state * 1103515245U + 12345U;
    c = static_cast<char>('a' + (state >> 16) % 26);
  }
  EXPECT_FALSE(trailing_loop(paragraph + paragraph));
}

TEST(Repetition, AWatchSaysSoOnceTheGrowingTextLoops) {
  LoopWatch watch;
  std::string text = "It checks `n` first. ";
  EXPECT_FALSE(watch.looping(text));
  int pieces = 0;
  while (!watch.looping(text) && pieces < 1000) {
    text += "Then it checks ";
    text += "`n` again. ";
    ++pieces;
  }
  EXPECT_LT(pieces, 40) << "a loop must be noticed within a few hundred characters";
  EXPECT_GT(pieces, 3);
}

}  // namespace
}  // namespace g2d::llm
