// sys/sha256: the one SHA-256, at once and in pieces, against FIPS 180-2's vectors.
#include "sys/sha256.hpp"

#include <string>

#include <gtest/gtest.h>

namespace g2d::sys {
namespace {

constexpr const char* k_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* k_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256Test, OfAByteString) {
  EXPECT_EQ(sha256_hex("abc"), k_abc);
  EXPECT_EQ(sha256_hex(""), k_empty);
}

TEST(Sha256Test, InPiecesAndReusedAfterReset) {
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 sha;
  for (size_t cut = 0; cut <= text.size(); cut += 7) {
    ASSERT_TRUE(sha.reset());
    sha.update(text.data(), cut);
    sha.update(text.data() + cut, text.size() - cut);
    EXPECT_EQ(sha.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }
  ASSERT_TRUE(sha.reset());
  EXPECT_EQ(sha.hex(), k_empty);
}

}  // namespace
}  // namespace g2d::sys
