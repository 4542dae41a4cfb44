// The schema table and YAML quoting (internal to g2d_config).
#include "config/schema.hpp"

#include <set>

#include <gtest/gtest.h>

namespace g2d::config::detail {
namespace {

TEST(ConfigSchemaTest, KeyPathsAreUniqueAndFindable) {
  std::set<std::string> seen;
  for (const auto& key : schema()) {
    EXPECT_TRUE(seen.insert(key.path).second) << key.path;
    EXPECT_EQ(find_key(key.path), &key);
    EXPECT_FALSE(key.help.empty()) << key.path;
  }
  EXPECT_EQ(find_key("llm.nope"), nullptr);
  EXPECT_EQ(find_key("llm"), nullptr);
}

TEST(ConfigSchemaTest, GettersAndSettersAgree) {
  const Config defaults;
  for (const auto& key : schema()) {
    Value value = key.get(defaults);
    Config copy;
    key.set(copy, value);
    EXPECT_EQ(copy, defaults) << key.path;
  }
}

TEST(ConfigSchemaTest, PlainScalarsStayPlain) {
  for (const char* s : {"repos.txt", ".py", "node_modules/", "/srv/m.gguf", "llama_cpp",
                        "Dockerfile", "a-b+c", "v1.2"}) {
    EXPECT_EQ(yaml_scalar(s), s);
  }
}

TEST(ConfigSchemaTest, ScalarsThatWouldChangeMeaningAreQuoted) {
  EXPECT_EQ(yaml_scalar(""), "\"\"");
  EXPECT_EQ(yaml_scalar("*.test.*"), "\"*.test.*\"");
  for (const char* s : {"yes", "No", "true", "null", "~", "1.5", ".5", "0x1f", "1e3", "42", "-x",
                        "+x", ".inf", ".NaN", "a b", "a#b", "a,b", "[x]", "a:b"}) {
    EXPECT_EQ(yaml_scalar(s), double_quoted(s)) << s;
  }
}

TEST(ConfigSchemaTest, DoubleQuotedEscapes) {
  EXPECT_EQ(double_quoted("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\x01\"");
}

}  // namespace
}  // namespace g2d::config::detail
