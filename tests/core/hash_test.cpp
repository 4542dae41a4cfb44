// core/hash: FNV-1a 64 and splitmix64 against their published values (the values are stored, so
// they must never change).
#include "core/hash.hpp"

#include <gtest/gtest.h>

namespace g2d {
namespace {

TEST(HashTest, Fnv1a64MatchesTheReferenceVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(fnv1a64("bar", fnv1a64("foo")), fnv1a64("foobar"));  // continues from a state
  static_assert(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
}

TEST(HashTest, Splitmix64MatchesTheReferenceSequence) {
  // The first outputs of splitmix64 seeded with 0: state += golden ratio, then the finaliser.
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(splitmix64(0x9e3779b97f4a7c15ULL), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(mix64(0), 0U);
  EXPECT_EQ(splitmix64(0), mix64(0x9e3779b97f4a7c15ULL));
}

}  // namespace
}  // namespace g2d
