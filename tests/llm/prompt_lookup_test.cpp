// Drafting from the tokens a sequence already has (prompt-lookup speculative decoding).
#include "llm/prompt_lookup.hpp"

#include <gtest/gtest.h>

namespace g2d::llm {
namespace {

using Tokens = std::vector<std::int32_t>;

TEST(PromptLookup, TheTokensThatFollowedTheLastNGramBeforeAreTheDraft) {
  // ... 7 8 9 10 11 12 ... 7 8 9 → 10 11 12
  Tokens history{1, 7, 8, 9, 10, 11, 12, 2, 3, 7, 8, 9};
  EXPECT_EQ(draft_from_history(history, 3), (Tokens{10, 11, 12}));
  EXPECT_EQ(draft_from_history(history, 2), (Tokens{10, 11}));
}

TEST(PromptLookup, TheLatestEarlierOccurrenceWins) {
  Tokens history{5, 6, 1, 5, 6, 2, 5, 6};
  EXPECT_EQ(draft_from_history(history, 4), (Tokens{2, 5, 6}));
}

TEST(PromptLookup, ALongerNGramIsPreferredToAShorterOne) {
  // "6" alone last followed by 9, but "5 6" was followed by 3.
  Tokens history{5, 6, 3, 4, 1, 6, 9, 5, 6};
  EXPECT_EQ(draft_from_history(history, 1), (Tokens{3}));
}

TEST(PromptLookup, NoEarlierOccurrenceOrNoRoomGivesNoDraft) {
  EXPECT_TRUE(draft_from_history(Tokens{1, 2, 3, 4}, 4).empty());
  EXPECT_TRUE(draft_from_history(Tokens{}, 4).empty());
  EXPECT_TRUE(draft_from_history(Tokens{1, 2, 1, 2}, 0).empty());
  // A single-token match is not trusted: too many false drafts.
  EXPECT_TRUE(draft_from_history(Tokens{4, 9, 1, 4}, 4).empty());
}

TEST(PromptLookup, ADraftStopsAtTheEndOfTheHistory) {
  Tokens history{3, 4, 3, 4};
  EXPECT_EQ(draft_from_history(history, 8), (Tokens{3, 4}));
}

}  // namespace
}  // namespace g2d::llm
