// The export's JSON writer against nlohmann-json, the reference: the same text for every string
// (escapes, UTF-8 kept, invalid UTF-8 replaced the same way), numbers that read back exactly, and
// structure that parses.
#include "dataset/json_line.hpp"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace g2d::dataset {
namespace {

using nlohmann::json;

std::string reference(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ours(std::string_view s) {
  std::string out;
  JsonLine(out).string(s);
  return out;
}

TEST(JsonLine, StringsAreEscapedExactlyAsTheReference) {
  for (std::string_view s :
       {std::string_view(""), std::string_view("plain"), std::string_view("\"quoted\" \\ back"),
        std::string_view("\b\f\n\r\t\x01\x1f\x7f"), std::string_view("\0 nul", 5),
        std::string_view("Что 函数 🙂 ñ"), std::string_view("/ slash </script>")}) {
    EXPECT_EQ(ours(s), reference(s)) << s;
  }
}

TEST(JsonLine, InvalidUtf8IsReplacedExactlyAsTheReference) {
  for (std::string_view s : {
           "\xff",              // never a UTF-8 byte
           "\x80 stray",        // a continuation byte alone
           "\xc3",              // cut at the end
           "\xc3(",             // cut before ASCII
           "\xe2\x82",          // three bytes cut after two
           "\xe0\x80\x80",      // overlong
           "\xc0\xaf",          // overlong '/'
           "\xed\xa0\x80",      // a surrogate
           "\xf4\x90\x80\x80",  // above U+10FFFF
           "\xf0\x9f\x99",      // four bytes cut after three
           "ok \xf0\x9f\x99\x82 \xe2\x28\xa1 end",
       }) {
    EXPECT_EQ(ours(s), reference(s))
        << json(std::string(s)).dump(-1, ' ', true, json::error_handler_t::replace);
  }
}

TEST(JsonLine, RandomBytesMatchTheReference) {
  // Bytes drawn mostly from the edges of UTF-8's ranges, where decoders go wrong.
  const std::string alphabet(
      "a\"\\\n\x01\x7f\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xe1\xec\xed\xee\xef\xf0\xf1"
      "\xf3\xf4\xf5\xff");
  std::mt19937 rng(20261129);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 12);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    for (int n = length(rng); n > 0; --n)
      s += alphabet[pick(rng)];
    ASSERT_EQ(ours(s), reference(s)) << json(s).dump(-1, ' ', true, json::error_handler_t::replace);
  }
}

TEST(JsonLine, PartsAreOneString) {
  std::string out;
  JsonLine(out).strings({"a\"", "", "b\n", "🙂"});
  EXPECT_EQ(out, reference("a\"b\n🙂"));
}

TEST(JsonLine, PartsJoinAUtf8SequenceSplitBetweenThem) {
  // Found by the json_line fuzz target: each part was escaped on its own, so a character whose
  // bytes ran across two parts became two U+FFFD instead of itself.
  const auto joined = [](std::initializer_list<std::string_view> parts) {
    std::string out;
    JsonLine(out).strings(parts);
    return out;
  };
  EXPECT_EQ(joined({"a\xe2\x82",
                    "\xac"
                    "b"}),
            reference("a\xe2\x82\xac"
                      "b"));
  EXPECT_EQ(joined({"\xf0", "", "\x9f", "\x99\x82"}), reference("\xf0\x9f\x99\x82"));
  EXPECT_EQ(joined({"x\xc3", "\xa9\xa9"}), reference("x\xc3\xa9\xa9"));
  EXPECT_EQ(joined({"\xc3", "("}), reference("\xc3("));
}

TEST(JsonLine, NumbersReadBackExactly) {
  for (std::int64_t n :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1700000000000},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    std::string out;
    JsonLine(out).integer(n);
    EXPECT_EQ(out, json(n).dump());
  }
  for (double d : {0.0, -1.0, 1.0, 0.5, 1.0 / 3.0, 1e-5, 123456789.125, 2e300}) {
    std::string out;
    JsonLine(out).real(d);
    auto back = json::parse(out);
    EXPECT_TRUE(back.is_number_float()) << out << ": a float column stays a float";
    EXPECT_EQ(back.get<double>(), d) << out;
  }
}

TEST(JsonLine, ObjectsAndArraysNestWithCommas) {
  std::string out = "kept ";
  JsonLine w(out);
  w.begin_object()
      .key("a")
      .integer(1)
      .key("list")
      .begin_array()
      .string("x")
      .begin_object()
      .key("k\"")
      .string("v")
      .end_object()
      .begin_array()
      .end_array()
      .end_array()
      .key("b")
      .real(0.25)
      .end_object();
  EXPECT_EQ(out, R"(kept {"a":1,"list":["x",{"k\"":"v"},[]],"b":0.25})");
}

}  // namespace
}  // namespace g2d::dataset
