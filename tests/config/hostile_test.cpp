// Hostile configuration input: alias bombs, cycles, deep nesting, an oversized file, and a FIFO or
// a device named as the file. Each is a clear error naming what was wrong and where, found before
// anything walks the document (so none of them costs time or memory in proportion to what it
// would expand to).
#include <sys/stat.h>

#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `levels` lines under llm.model, each a list of `width` aliases of the line above: the last one
// stands for about width^levels values.
std::string alias_bomb(int levels, int width) {
  std::string yaml = "llm:\n  model:\n    - &l0 [\"lol\"";
  for (int i = 1; i < width; ++i)
    yaml += ", \"lol\"";
  yaml += "]\n";
  for (int level = 1; level <= levels; ++level) {
    yaml += fmt::format("    - &l{} [*l{}", level, level - 1);
    for (int i = 1; i < width; ++i)
      yaml += fmt::format(", *l{}", level - 1);
    yaml += "]\n";
  }
  return yaml;
}

TEST_F(ConfigTest, BillionLaughsUnderARealKeyIsRefusedAtItsLine) {
  // 10^9 "lol"s: before the limit, loading it took gigabytes and ended in std::bad_alloc.
  std::string message = error_of(alias_bomb(8, 10));
  EXPECT_THAT(message, HasSubstr("git2dataset.yaml: aliases expand the document past 100000 "
                                 "values (the alias *l3 stands for 11111 values here"));
  // Levels 0..3 (lines 3..6) stand for 12,345 values; level 4 (line 7) passes the limit at its
  // eighth alias.
  EXPECT_THAT(message, HasSubstr("(line 7, column 47)"));
}

TEST_F(ConfigTest, SmallerAliasBombIsRefusedToo) {
  // A million values: small enough to have loaded before (and then been refused as "a list").
  std::string message = error_of(alias_bomb(5, 10));
  EXPECT_THAT(message, HasSubstr("aliases expand the document past 100000 values"));
  EXPECT_THAT(message, Not(HasSubstr("expected")));
}

TEST_F(ConfigTest, AliasBombUnderAnUnknownKeyIsRefusedTheSameWay) {
  std::string yaml = alias_bomb(8, 10);
  yaml.replace(yaml.find("model"), 5, "modle");
  EXPECT_THAT(error_of(yaml), HasSubstr("aliases expand the document past 100000 values"));
}

TEST_F(ConfigTest, AliasBombInAnEnvironmentVariableIsRefused) {
  std::string value = "[&a [x, x, x, x, x, x, x, x, x, x]";
  for (char name = 'b'; name <= 'g'; ++name) {
    value += fmt::format(", &{} [*{}", name, static_cast<char>(name - 1));
    for (int i = 1; i < 10; ++i)
      value += fmt::format(", *{}", static_cast<char>(name - 1));
    value += "]";
  }
  value += "]";
  std::string message = error_of("", {{"GIT2DATASET_EXPORT_PATHS", value}});
  EXPECT_THAT(message, HasSubstr("export.paths: aliases expand the document past 100000 values"));
  EXPECT_THAT(message, HasSubstr("(GIT2DATASET_EXPORT_PATHS)"));
}

TEST_F(ConfigTest, AliasOfItsOwnCollectionIsACycle) {
  EXPECT_THAT(error_of("llm:\n  model: &loop [*loop]\n"),
              HasSubstr("the alias *loop refers to a collection that contains it (a cycle, "
                        "which no configuration needs) (line 2, column 17)"));
  EXPECT_THAT(error_of("export:\n  paths: &m {a: *m}\n"), HasSubstr("(a cycle"));
}

TEST_F(ConfigTest, OrdinaryAnchorsAndAliasesStillWork) {
  auto loaded = load_yaml(
      "pipeline:\n  ignore_patterns: &skip [\"*.min.js\", dist/]\n"
      "export:\n  paths: *skip\n  system_prompt: &p Be brief.\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.export_.paths, (std::vector<std::string>{"*.min.js", "dist/"}));
  EXPECT_EQ(loaded->config.export_.system_prompt, "Be brief.");
}

TEST_F(ConfigTest, DeepNestingNamesTheLimitAndTheLine) {
  std::string deep =
      "llm:\n  backend: ollama\n  model: " + std::string(1000, '[') + std::string(1000, ']') + "\n";
  std::string message = error_of(deep);
  EXPECT_THAT(message, HasSubstr("git2dataset.yaml: nesting deeper than 32 levels"));
  EXPECT_THAT(message, HasSubstr("(line 3, column"));
  EXPECT_THAT(message, Not(HasSubstr("bad file")));
  // Deep, but not past yaml-cpp's own limit: refused by ours all the same.
  std::string block = "export:\n  paths:\n";
  for (int depth = 0; depth < 40; ++depth)
    block += std::string(4 + 2 * static_cast<size_t>(depth), ' ') + "-\n";
  EXPECT_THAT(error_of(block), HasSubstr("nesting deeper than 32 levels"));
}

TEST_F(ConfigTest, DeepNestingInAFlagIsRefused) {
  std::string message =
      error_of("", {}, {{"export.paths", std::string(600, '[') + std::string(600, ']'), ""}});
  EXPECT_THAT(message, HasSubstr("export.paths: nesting deeper than 32 levels"));
}

TEST_F(ConfigTest, OversizedFileIsRefusedUnparsed) {
  std::string yaml = "llm:\n  model: m.gguf\n# " + std::string(k_max_file_bytes, 'x') + "\n";
  auto loaded = load_yaml(yaml);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::config);
  EXPECT_THAT(loaded.error().message,
              HasSubstr("git2dataset.yaml: the configuration file is larger than the 1 MiB "
                        "allowed"));
}

TEST_F(ConfigTest, FifoAsTheFileIsRefusedWithoutWaiting) {
  const auto fifo = m_dir / "config.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  LoadOptions options;
  options.file = fifo;
  auto loaded = load(options);  // before: blocked forever, waiting for a writer
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::io);
  EXPECT_THAT(loaded.error().message,
              HasSubstr("config.fifo: is a FIFO (named pipe), not a configuration file"));
}

TEST_F(ConfigTest, DeviceAsTheFileIsRefusedWithoutReading) {
  LoadOptions options;
  options.file = "/dev/zero";  // before: read until memory ran out
  auto loaded = load(options);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::io);
  EXPECT_THAT(loaded.error().message,
              HasSubstr("/dev/zero: is a character device, not a configuration file"));
}

}  // namespace
}  // namespace g2d::config
