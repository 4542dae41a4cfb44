// Invalid files: every message names the key path, what was expected, what was given and the line.
#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST_F(ConfigTest, WrongTypeNamesKeyExpectationValueAndLine) {
  auto message = error_of("llm:\n  backend: llama_cpp\n  max_retries: 3\n  context_window: big\n");
  EXPECT_EQ(message, (m_dir / "git2dataset.yaml").string() +
                         ": llm.context_window: expected integer >= 512 (or 0), got \"big\" "
                         "(line 4)");
}

TEST_F(ConfigTest, ListWhereAScalarIsExpected) {
  EXPECT_THAT(error_of("llm:\n  model: [a, b]\n"),
              HasSubstr("llm.model: expected string, got a list (line 2)"));
  EXPECT_THAT(error_of("llm:\n  max_retries:\n    - 1\n"),
              HasSubstr("llm.max_retries: expected integer from 0 to 100, got a list (line 3)"));
}

TEST_F(ConfigTest, MappingOrScalarWhereAListIsExpected) {
  EXPECT_THAT(error_of("pipeline:\n  allowed_extensions:\n    py: yes\n"),
              HasSubstr("pipeline.allowed_extensions: expected list of strings, got a mapping "
                        "(line 3)"));
  EXPECT_THAT(error_of("pipeline:\n  allowed_extensions: .py\n"),
              HasSubstr("pipeline.allowed_extensions: expected list of strings, got \".py\" "
                        "(line 2); write a list: [.py]"));
  EXPECT_THAT(error_of("pipeline:\n  ignore_patterns: \"*.o\"\n"),
              HasSubstr("; write a list: [\"*.o\"]"));
}

TEST_F(ConfigTest, FloatWhereAnIntegerIsExpected) {
  EXPECT_THAT(error_of("llm:\n  questions_per_file: 2.5\n"),
              HasSubstr("llm.questions_per_file: expected integer from 1 to 50, got \"2.5\" "
                        "(line 2)"));
  EXPECT_THAT(error_of("pipeline:\n  max_concurrent_files: 4.0\n"),
              HasSubstr("pipeline.max_concurrent_files: expected integer from 1 to 256"));
}

TEST_F(ConfigTest, QuotedNumberIsAString) {
  EXPECT_THAT(error_of("llm:\n  context_window: \"8192\"\n"),
              HasSubstr("llm.context_window: expected integer >= 512 (or 0), got the quoted "
                        "string \"8192\" (line 2)"));
}

TEST_F(ConfigTest, NonBooleanForABoolean) {
  EXPECT_THAT(error_of("resources:\n  enable_battery_monitoring: sometimes\n"),
              HasSubstr("resources.enable_battery_monitoring: expected boolean (true or false), "
                        "got \"sometimes\" (line 2)"));
  EXPECT_THAT(error_of("resources:\n  enable_battery_monitoring: 1\n"),
              HasSubstr("expected boolean"));
}

TEST_F(ConfigTest, NumberKeysRejectText) {
  EXPECT_THAT(error_of("llm:\n  temperature: warm\n"),
              HasSubstr("llm.temperature: expected number from 0 to 2, got \"warm\" (line 2)"));
  EXPECT_THAT(error_of("resources:\n  max_ram_gb: .nan\n"),
              HasSubstr("resources.max_ram_gb: expected number > 0"));
}

TEST_F(ConfigTest, MissingValueForANumberIsAnError) {
  EXPECT_THAT(
      error_of("llm:\n  context_window:\n"),
      HasSubstr("llm.context_window: expected integer >= 512 (or 0), got nothing (line 2)"));
}

TEST_F(ConfigTest, BackendMustBeKnown) {
  EXPECT_THAT(error_of("llm:\n  backend: olama\n  model: m\n"),
              HasSubstr("llm.backend: expected one of llama_cpp, ollama, openai, mlx, got "
                        "\"olama\" (line 2); did you mean ollama?"));
}

TEST_F(ConfigTest, ListItemsAreChecked) {
  EXPECT_THAT(error_of("pipeline:\n  allowed_extensions:\n    - .py\n    - rs\n"),
              HasSubstr("pipeline.allowed_extensions[1]: expected extension starting with '.' "
                        "(such as .py), got \"rs\" (line 4)"));
  EXPECT_THAT(error_of("pipeline:\n  include_file_names: [docker/Dockerfile]\n"),
              HasSubstr("pipeline.include_file_names[0]: expected file name without '/'"));
  EXPECT_THAT(error_of("pipeline:\n  ignore_patterns: [[a]]\n"),
              HasSubstr("pipeline.ignore_patterns[0]: expected string, got a list (line 2)"));
}

// A PostgreSQL database (scale-out) is not in this build: `config validate` says so, naming the
// key, the file and the line, instead of the first command that opens the database; the URL, which
// may hold a password, is never repeated.
TEST_F(ConfigTest, APostgresqlDatabaseIsNotSupportedYet) {
  for (const char* url : {"postgresql://user:secret@db.example/g2d", "postgres://db.example/g2d",
                          "PostgreSQL://user:secret@db.example/g2d"}) {
    auto message =
        error_of(std::string("llm:\n  threads: 1\npipeline:\n  database: ") + url + "\n");
    EXPECT_THAT(message, StartsWith((m_dir / "git2dataset.yaml").string() + ": "));
    EXPECT_THAT(message, HasSubstr("pipeline.database: expected a SQLite file path (PostgreSQL is "
                                   "not supported yet), got a "));
    EXPECT_THAT(message, HasSubstr(" URL (line 4)"));
    EXPECT_THAT(message, Not(HasSubstr("secret")));
    EXPECT_THAT(message, Not(HasSubstr("db.example")));
  }
  EXPECT_THAT(error_of("", {{"GIT2DATASET_PIPELINE_DATABASE", "postgres://u:secret@h/d"}}),
              AllOf(HasSubstr("pipeline.database"), HasSubstr("not supported yet"),
                    HasSubstr("GIT2DATASET_PIPELINE_DATABASE"), Not(HasSubstr("secret"))));
  EXPECT_THAT(
      error_of("", {}, {{"pipeline.database", "postgresql://h/d", "--database", false, {}}}),
      AllOf(HasSubstr("pipeline.database"), HasSubstr("not supported yet"),
            HasSubstr("--database")));
  // Other URLs are no SQLite file either.
  EXPECT_THAT(error_of("pipeline:\n  database: mysql://h/d\n"),
              HasSubstr("got a mysql:// URL (line 2)"));
  EXPECT_TRUE(load_yaml("pipeline:\n  database: data/postgres.db\n"));
}

TEST_F(ConfigTest, PathsMustNotBeEmpty) {
  EXPECT_THAT(error_of("pipeline:\n  database: \"\"\n"),
              HasSubstr("pipeline.database: expected non-empty string, got \"\" (line 2)"));
}

TEST_F(ConfigTest, BaseUrlMustBeHttp) {
  EXPECT_THAT(error_of("llm:\n  base_url: localhost:11434\n"),
              HasSubstr("llm.base_url: expected empty or a URL starting with http:// or "
                        "https://, got \"localhost:11434\" (line 2)"));
  for (std::string_view url : {"\"\"", "http://127.0.0.1:8080/v1", "https://api.example.com"}) {
    auto loaded = load_yaml(fmt::format("llm:\n  base_url: {}\n", url));
    EXPECT_TRUE(loaded) << url << ": " << loaded.error().message;
  }
}

TEST_F(ConfigTest, UnknownKeySuggestsTheNearestKey) {
  EXPECT_THAT(error_of("llm:\n  backend: llama_cpp\n  contex_window: 8192\n"),
              HasSubstr("llm.contex_window: unknown key (line 3); did you mean "
                        "llm.context_window?"));
  EXPECT_THAT(error_of("llm:\n  Temperature: 0.5\n"),
              HasSubstr("llm.Temperature: unknown key (line 2); did you mean llm.temperature?"));
}

TEST_F(ConfigTest, KeyInTheWrongSectionSuggestsItsSection) {
  EXPECT_THAT(error_of("llm:\n  max_file_bytes: 10\n"),
              HasSubstr("llm.max_file_bytes: unknown key (line 2); did you mean "
                        "pipeline.max_file_bytes?"));
}

TEST_F(ConfigTest, UnknownKeyFarFromAnyHasNoSuggestion) {
  auto message = error_of("resources:\n  colour_scheme: dark\n");
  EXPECT_THAT(message, HasSubstr("resources.colour_scheme: unknown key (line 2)"));
  EXPECT_THAT(message, Not(HasSubstr("did you mean")));
}

TEST_F(ConfigTest, UnknownSectionSuggestsTheNearestSection) {
  EXPECT_THAT(error_of("pipline:\n  repos_dir: x\n"),
              HasSubstr("pipline: unknown section (expected llm, generation, pipeline, resources, "
                        "export) (line 1); "
                        "did you mean pipeline?"));
  EXPECT_THAT(
      error_of("context_window: 8192\n"),
      HasSubstr(
          "context_window: unknown section (expected llm, generation, pipeline, resources, export) "
          "(line 1); did you mean llm.context_window?"));
}

TEST_F(ConfigTest, AllErrorsAreReportedTogether) {
  auto message = error_of(R"(llm:
  context_window: big
  temprature: 0.5
pipeline:
  max_concurrent_files: 0
extra:
  x: 1
)");
  EXPECT_THAT(message, StartsWith((m_dir / "git2dataset.yaml").string() + ": 4 errors:\n"));
  EXPECT_THAT(message,
              AllOf(HasSubstr("\n  llm.context_window: expected integer"), HasSubstr("(line 2)"),
                    HasSubstr("\n  llm.temprature: unknown key"), HasSubstr("(line 3)"),
                    HasSubstr("\n  pipeline.max_concurrent_files: expected integer from "
                              "1 to 256, got \"0\" (line 5)"),
                    HasSubstr("\n  extra: unknown section")));
}

TEST_F(ConfigTest, YamlSyntaxErrorNamesTheLine) {
  auto message = error_of("llm:\n  model: x\n  allowed: [a, b\n");
  EXPECT_THAT(message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(message, HasSubstr("line 4"));
  auto indent = error_of("llm:\n  model: x\n   threads: 2\n");
  EXPECT_THAT(indent, HasSubstr("YAML syntax error"));
  EXPECT_THAT(indent, HasSubstr("line 3"));
}

TEST_F(ConfigTest, TopLevelMustBeAMapping) {
  EXPECT_THAT(error_of("- llm\n- pipeline\n"),
              HasSubstr("expected a mapping of sections (llm, generation, pipeline, resources, "
                        "export) at the top "
                        "level, got a list (line 1)"));
  EXPECT_THAT(error_of("just words\n"), HasSubstr("at the top level, got \"just words\""));
}

TEST_F(ConfigTest, SectionMustBeAMapping) {
  EXPECT_THAT(error_of("llm: ollama\n"),
              HasSubstr("llm: expected a mapping of llm keys, got \"ollama\" (line 1)"));
  EXPECT_THAT(error_of("pipeline:\n  - repos_dir\n"),
              HasSubstr("pipeline: expected a mapping of pipeline keys, got a list (line 2)"));
}

TEST_F(ConfigTest, DuplicateKeysAreErrors) {
  EXPECT_THAT(error_of("llm:\n  threads: 2\n  threads: 4\n"),
              HasSubstr("llm.threads: duplicate key (first at line 2) (line 3)"));
  EXPECT_THAT(error_of("llm:\n  threads: 2\nllm:\n  threads: 4\n"),
              HasSubstr("llm: duplicate section (first at line 1) (line 3)"));
}

TEST_F(ConfigTest, ServerBackendsNeedAModelName) {
  EXPECT_THAT(error_of("llm:\n  backend: openai\n"),
              HasSubstr("llm.model: expected a model name for the openai backend, got nothing "
                        "(llm.backend at line 2)"));
  EXPECT_TRUE(load_yaml("llm:\n  backend: mlx\n  model: mlx-community/Qwen2.5-7B\n"));
  EXPECT_TRUE(load_yaml("llm:\n  backend: llama_cpp\n  model: \"\"\n"));
}

TEST_F(ConfigTest, LongValuesAreShortenedInMessages) {
  auto message = error_of("llm:\n  threads: " + std::string(500, 'x') + "\n");
  EXPECT_THAT(message, HasSubstr("...\" (line 2)"));
  EXPECT_LT(message.size(), 200u);
}

}  // namespace
}  // namespace g2d::config
