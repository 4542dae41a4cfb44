// The file `init` writes and the `config show` listing.
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The line of `text` that sets `key` ("  context_window: ..."), or "" if none.
std::string line_of(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("  " + key + ":"))
      return line;
  }
  return "";
}

TEST_F(ConfigTest, DefaultYamlLoadsBackToTheDefaults) {
  auto loaded = load_yaml(render_default_yaml());
  ASSERT_TRUE(loaded) << loaded.error().message << "\n" << render_default_yaml();
  EXPECT_EQ(loaded->config, Config{});
  for (const auto& path : key_paths()) {
    EXPECT_EQ(loaded->origins.at(path).source, Source::file) << path << " is not in the file";
  }
}

TEST(ConfigRender, DefaultYamlCommentsEveryKey) {
  const std::string yaml = render_default_yaml();
  std::istringstream in(yaml);
  std::string previous;
  int keys = 0;
  for (std::string line; std::getline(in, line); previous = line) {
    if (line.starts_with("  ") && !line.starts_with("  #")) {
      ++keys;
      EXPECT_THAT(previous, StartsWith("  # ")) << "no comment above: " << line;
    }
  }
  EXPECT_EQ(keys, static_cast<int>(key_paths().size()));
  EXPECT_THAT(yaml, HasSubstr("GIT2DATASET_<SECTION>_<KEY>"));
  EXPECT_THAT(yaml, HasSubstr("llama_cpp (in-process, the default) | ollama | openai | mlx"));
  EXPECT_THAT(yaml, HasSubstr("WITHOUT progress"));
  EXPECT_THAT(yaml, HasSubstr("0 = the model's"));
}

// Each section opens with a comment of its own.
TEST(ConfigRender, EverySectionSaysWhatItIsFor) {
  const std::string yaml = render_default_yaml();
  std::istringstream in(yaml);
  std::vector<std::string> comments;
  std::string previous;
  for (std::string line; std::getline(in, line); previous = line) {
    if (!line.empty() && line.back() == ':' && !line.starts_with(" ")) {
      EXPECT_THAT(previous, StartsWith("# ")) << line;
      comments.push_back(previous);
    }
  }
  ASSERT_EQ(comments.size(), 5u) << yaml;
  std::sort(comments.begin(), comments.end());
  EXPECT_EQ(std::unique(comments.begin(), comments.end()), comments.end()) << yaml;
}

TEST(ConfigRender, DefaultYamlShowsTheDefaultValues) {
  const std::string yaml = render_default_yaml();
  EXPECT_EQ(line_of(yaml, "backend"), "  backend: llama_cpp");
  EXPECT_EQ(line_of(yaml, "model"), "  model: \"\"");
  EXPECT_EQ(line_of(yaml, "temperature"), "  temperature: 0.2");
  EXPECT_EQ(line_of(yaml, "allowed_extensions"),
            "  allowed_extensions: [.py, .js, .ts, .go, .rs, .java, .cpp, .c]");
  EXPECT_EQ(line_of(yaml, "ignore_patterns"),
            "  ignore_patterns: [\"*.test.*\", \"*.spec.*\", node_modules/, target/, build/]");
  EXPECT_EQ(line_of(yaml, "include_file_names"), "  include_file_names: []");
  EXPECT_EQ(line_of(yaml, "enable_battery_monitoring"), "  enable_battery_monitoring: true");
}

TEST_F(ConfigTest, EffectiveListingSaysWhereEachValueCameFrom) {
  auto loaded = load_yaml(
      "llm:\n  backend: llama_cpp\n  max_retries: 3\n  temperature: 0.7\n",
      {{"GIT2DATASET_LLM_MODEL", "env.gguf"}},
      {{"pipeline.database", "x.db", "--database"}, {"llm.threads", "2", "--set llm.threads"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  const std::string shown = render_effective(*loaded);
  EXPECT_THAT(line_of(shown, "temperature"), StartsWith("  temperature: 0.7 "));
  EXPECT_THAT(line_of(shown, "temperature"), HasSubstr("# git2dataset.yaml:4"));
  EXPECT_THAT(line_of(shown, "model"), HasSubstr("model: env.gguf"));
  EXPECT_THAT(line_of(shown, "model"), HasSubstr("# env GIT2DATASET_LLM_MODEL"));
  EXPECT_THAT(line_of(shown, "database"), HasSubstr("# flag --database"));
  EXPECT_THAT(line_of(shown, "threads"), HasSubstr("# flag --set llm.threads"));
  EXPECT_THAT(line_of(shown, "context_window"), HasSubstr("context_window: 4096"));
  EXPECT_THAT(line_of(shown, "context_window"), HasSubstr("# default"));
  EXPECT_THAT(shown, HasSubstr((m_dir / "git2dataset.yaml").string()));
}

TEST_F(ConfigTest, EffectiveListingLoadsBackToTheSameValues) {
  auto loaded = load_yaml(
      "pipeline:\n  ignore_patterns: [\"a b\", 'q\"uote', \"#hash\", \"1.5\", "
      "\"yes\", \"-x\", \"0x1f\", \".5\", \"1e3\", \"~\", \"null\"]\n  database: \"my "
      "db.sqlite\"\n",
      {}, {{"llm.model", "C:\\models\\m.gguf", "--model"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto again = load_yaml(render_effective(*loaded));
  ASSERT_TRUE(again) << again.error().message << "\n" << render_effective(*loaded);
  EXPECT_EQ(again->config, loaded->config);
}

TEST(ConfigRender, EffectiveListingWithoutAFileSaysSo) {
  auto loaded = load(LoadOptions{});
  ASSERT_TRUE(loaded);
  const std::string shown = render_effective(*loaded);
  EXPECT_THAT(shown, HasSubstr("no configuration file"));
  EXPECT_THAT(line_of(shown, "backend"), HasSubstr("# default"));
}

}  // namespace
}  // namespace g2d::config
