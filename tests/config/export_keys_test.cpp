// The `export:` section: every export option as a config key, with the same precedence as the
// other sections (default < file < environment < flags) and errors naming the key.
#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST_F(ConfigTest, ExportDefaultsAreTheDocumentedOnes) {
  auto loaded = load_yaml("");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const ExportConfig& e = loaded->config.export_;
  EXPECT_EQ(e.format, "openai");
  EXPECT_EQ(e.output, "dataset.jsonl");
  EXPECT_TRUE(e.include_code);
  EXPECT_THAT(e.system_prompt, HasSubstr("expert software engineer"));
  EXPECT_THAT(e.repositories, IsEmpty());
  EXPECT_THAT(e.languages, IsEmpty());
  EXPECT_THAT(e.paths, IsEmpty());
  EXPECT_EQ(e.min_answer_chars, 1);
  EXPECT_THAT(e.keep, IsEmpty());
  EXPECT_DOUBLE_EQ(e.min_grounding, 0.5);
  EXPECT_DOUBLE_EQ(e.near_duplicate_similarity, 0.7);
  EXPECT_DOUBLE_EQ(e.validation_fraction, 0.0);
  EXPECT_EQ(e.split_by, "repository");
  EXPECT_TRUE(e.card);
  EXPECT_EQ(loaded->origins.at("export.format"), (Origin{Source::default_value, ""}));
}

TEST_F(ConfigTest, ExportSectionIsReadFromTheFile) {
  auto loaded = load_yaml(
      "export:\n"
      "  format: raw\n"
      "  output: out/data.jsonl\n"
      "  include_code: false\n"
      "  system_prompt: \"\"\n"
      "  repositories: [https://example.com/a.git]\n"
      "  languages: [python, rust]\n"
      "  paths: [\"src/**\"]\n"
      "  min_answer_chars: 40\n"
      "  keep: [truncated, near_duplicate]\n"
      "  min_grounding: 0.25\n"
      "  near_duplicate_similarity: 0.9\n"
      "  validation_fraction: 0.1\n"
      "  split_by: file\n"
      "  card: false\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const ExportConfig& e = loaded->config.export_;
  EXPECT_EQ(e.format, "raw");
  EXPECT_EQ(e.output, "out/data.jsonl");
  EXPECT_FALSE(e.include_code);
  EXPECT_EQ(e.system_prompt, "");
  EXPECT_THAT(e.repositories, ElementsAre("https://example.com/a.git"));
  EXPECT_THAT(e.languages, ElementsAre("python", "rust"));
  EXPECT_THAT(e.paths, ElementsAre("src/**"));
  EXPECT_EQ(e.min_answer_chars, 40);
  EXPECT_THAT(e.keep, ElementsAre("truncated", "near_duplicate"));
  EXPECT_DOUBLE_EQ(e.min_grounding, 0.25);
  EXPECT_DOUBLE_EQ(e.near_duplicate_similarity, 0.9);
  EXPECT_DOUBLE_EQ(e.validation_fraction, 0.1);
  EXPECT_EQ(e.split_by, "file");
  EXPECT_FALSE(e.card);
  EXPECT_EQ(loaded->origins.at("export.keep"), (Origin{Source::file, "git2dataset.yaml:10"}));
}

TEST_F(ConfigTest, ExportKeysTakeTheEnvironmentAndFlags) {
  auto loaded = load_yaml(
      "export:\n  format: alpaca\n  min_grounding: 0.2\n",
      {{"GIT2DATASET_EXPORT_FORMAT", "chatml"}, {"GIT2DATASET_EXPORT_KEEP", "truncated,refusal"}},
      {{"export.min_grounding", "0.75", "--min-grounding"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  const ExportConfig& e = loaded->config.export_;
  EXPECT_EQ(e.format, "chatml");
  EXPECT_THAT(e.keep, ElementsAre("truncated", "refusal"));
  EXPECT_DOUBLE_EQ(e.min_grounding, 0.75);
  EXPECT_EQ(loaded->origins.at("export.min_grounding"), (Origin{Source::flag, "--min-grounding"}));
}

TEST_F(ConfigTest, ExportErrorsNameTheKeyAndTheLine) {
  EXPECT_THAT(
      error_of("export:\n  format: alpacca\n"),
      AllOf(HasSubstr("export.format"), HasSubstr("did you mean alpaca?"), HasSubstr("line 2")));
  EXPECT_THAT(error_of("export:\n  keep: [truncated, stale]\n"),
              AllOf(HasSubstr("export.keep[1]"), HasSubstr("\"stale\""),
                    HasSubstr("one of truncated, empty, refusal, repetitive, control_chars, "
                              "ungrounded, duplicate, near_duplicate, not_a_question, echo, "
                              "names_no_code, all")));
  EXPECT_THAT(error_of("export:\n  min_grounding: 1.5\n"),
              AllOf(HasSubstr("export.min_grounding"), HasSubstr("number from 0 to 1")));
  EXPECT_THAT(error_of("export:\n  near_duplicate_similarity: 0.2\n"),
              HasSubstr("export.near_duplicate_similarity"));
  EXPECT_THAT(error_of("export:\n  validation_fraction: 1\n"),
              HasSubstr("export.validation_fraction"));
  EXPECT_THAT(error_of("export:\n  split_by: repo\n"), HasSubstr("export.split_by"));
  EXPECT_THAT(error_of("export:\n  min_answer_chars: -1\n"), HasSubstr("export.min_answer_chars"));
  EXPECT_THAT(error_of("export:\n  formt: raw\n"),
              AllOf(HasSubstr("export.formt"), HasSubstr("did you mean")));
}

TEST_F(ConfigTest, GenerationModeIsTwoStepOrPairs) {
  EXPECT_EQ(Config{}.generation.mode, "two_step");
  auto loaded = load_yaml("generation:\n  mode: pairs\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.generation.mode, "pairs");
  EXPECT_THAT(
      error_of("generation:\n  mode: pair\n"),
      AllOf(HasSubstr("generation.mode"), HasSubstr("did you mean pairs?"), HasSubstr("line 2")));
  EXPECT_THAT(error_of("generation:\n  mood: pairs\n"),
              AllOf(HasSubstr("generation.mood"), HasSubstr("did you mean generation.mode?")));
}

TEST_F(ConfigTest, ValidationSplitNeedsAnOutputFile) {
  EXPECT_THAT(error_of("export:\n  output: \"-\"\n  validation_fraction: 0.1\n"),
              AllOf(HasSubstr("export.validation_fraction"), HasSubstr("export.output")));
}

}  // namespace
}  // namespace g2d::config
