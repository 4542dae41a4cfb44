// Precedence default < file < environment < flags, and the origins recorded for each key.
#include <cstdlib>

#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST_F(ConfigTest, EnvironmentBeatsTheFile) {
  auto loaded = load_yaml("llm:\n  context_window: 2048\n  temperature: 0.5\n",
                          {{"GIT2DATASET_LLM_CONTEXT_WINDOW", "8192"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.llm.context_window, 8192);
  EXPECT_DOUBLE_EQ(loaded->config.llm.temperature, 0.5);
  EXPECT_EQ(loaded->origins.at("llm.context_window"),
            (Origin{Source::environment, "GIT2DATASET_LLM_CONTEXT_WINDOW"}));
  EXPECT_EQ(loaded->origins.at("llm.temperature"), (Origin{Source::file, "git2dataset.yaml:3"}));
}

TEST_F(ConfigTest, FlagBeatsTheEnvironment) {
  auto loaded =
      load_yaml("llm:\n  model: from-file.gguf\n", {{"GIT2DATASET_LLM_MODEL", "from-env.gguf"}},
                {{"llm.model", "from-flag.gguf", "--model"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.llm.model, "from-flag.gguf");
  EXPECT_EQ(loaded->origins.at("llm.model"), (Origin{Source::flag, "--model"}));
}

TEST_F(ConfigTest, LaterFlagsWin) {
  auto loaded = load_yaml(
      "", {},
      {{"llm.threads", "2", "--set llm.threads"}, {"llm.threads", "3", "--set llm.threads"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.llm.threads, 3);
  EXPECT_EQ(loaded->origins.at("llm.threads"), (Origin{Source::flag, "--set llm.threads"}));
}

TEST_F(ConfigTest, ExactFlagValuesAreNeverReadAsYaml) {
  Override prompt{"export.system_prompt", "Role: reviewer [strict]", "--system-prompt", true, {}};
  Override paths{"export.paths", "", "--path", true, {"*.py", "src/{a,b}/**", "x: y"}};
  Override empty{"export.languages", "", "--language", true, {}};
  auto loaded = load_yaml("export:\n  languages: [go]\n", {}, {prompt, paths, empty});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.export_.system_prompt, "Role: reviewer [strict]");
  EXPECT_THAT(loaded->config.export_.paths, ElementsAre("*.py", "src/{a,b}/**", "x: y"));
  EXPECT_THAT(loaded->config.export_.languages, IsEmpty());
  EXPECT_EQ(loaded->origins.at("export.paths"), (Origin{Source::flag, "--path"}));
}

TEST_F(ConfigTest, ExactFlagValuesAreStillChecked) {
  Override format{"export.format", "jsonl", "--format", true, {}};
  Override keep{"export.keep", "", "--keep", true, {"truncated", "stale"}};
  std::string message = error_of("", {}, {format, keep});
  EXPECT_THAT(message, HasSubstr("export.format: expected one of alpaca"));
  EXPECT_THAT(message, HasSubstr("(--format)"));
  EXPECT_THAT(message, HasSubstr("export.keep[1]"));
  EXPECT_THAT(message, HasSubstr("(--keep)"));
}

TEST_F(ConfigTest, FlagWithoutAnOriginIsNamedAfterItsKey) {
  auto loaded = load_yaml("", {}, {{"llm.threads", "2", ""}});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->origins.at("llm.threads"), (Origin{Source::flag, "--set llm.threads"}));
}

TEST_F(ConfigTest, EnvironmentValuesAreTyped) {
  auto loaded = load_yaml("", {{"GIT2DATASET_RESOURCES_ENABLE_BATTERY_MONITORING", "false"},
                               {"GIT2DATASET_RESOURCES_MAX_RAM_GB", "2.5"},
                               {"GIT2DATASET_PIPELINE_ALLOWED_EXTENSIONS", "[.py, .c]"},
                               {"GIT2DATASET_PIPELINE_IGNORE_PATTERNS", "*.test.*, dist/"},
                               {"GIT2DATASET_PIPELINE_INCLUDE_FILE_NAMES", "Makefile"},
                               {"GIT2DATASET_LLM_BASE_URL", "http://h:1/v1#frag"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  const Config& c = loaded->config;
  EXPECT_FALSE(c.resources.enable_battery_monitoring);
  EXPECT_DOUBLE_EQ(c.resources.max_ram_gb, 2.5);
  EXPECT_THAT(c.pipeline.allowed_extensions, ElementsAre(".py", ".c"));
  EXPECT_THAT(c.pipeline.ignore_patterns, ElementsAre("*.test.*", "dist/"));
  EXPECT_THAT(c.pipeline.include_file_names, ElementsAre("Makefile"));
  EXPECT_EQ(c.llm.base_url, "http://h:1/v1#frag");
}

TEST_F(ConfigTest, EmptyEnvironmentValueClearsAStringOrAList) {
  auto loaded =
      load_yaml("llm:\n  model: m.gguf\n",
                {{"GIT2DATASET_LLM_MODEL", ""}, {"GIT2DATASET_PIPELINE_IGNORE_PATTERNS", ""}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.llm.model, "");
  EXPECT_THAT(loaded->config.pipeline.ignore_patterns, IsEmpty());
}

TEST_F(ConfigTest, QuotedEnvironmentValueIsAString) {
  auto loaded = load_yaml("", {{"GIT2DATASET_LLM_MODEL", "\"my model.gguf\""}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.llm.model, "my model.gguf");
  auto message = error_of("", {{"GIT2DATASET_LLM_THREADS", "'4'"}});
  EXPECT_THAT(message, HasSubstr("got the quoted string \"4\" (GIT2DATASET_LLM_THREADS)"));
}

TEST_F(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  EXPECT_EQ(error_of("", {{"GIT2DATASET_LLM_CONTEXT_WINDOW", "huge"}}),
            (m_dir / "git2dataset.yaml").string() +
                ": llm.context_window: expected integer >= 512 (or 0), got \"huge\" "
                "(GIT2DATASET_LLM_CONTEXT_WINDOW)");
  EXPECT_THAT(error_of("", {{"GIT2DATASET_PIPELINE_ALLOWED_EXTENSIONS", "[.py, .c"}}),
              HasSubstr("pipeline.allowed_extensions: YAML syntax error"));
}

TEST(ConfigEnvironment, ErrorsWithoutAFileSayConfiguration) {
  LoadOptions options;
  options.environment = {{"GIT2DATASET_LLM_THREADS", "many"}};
  auto loaded = load(options);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::config);
  EXPECT_EQ(loaded.error().message,
            "configuration: llm.threads: expected integer from 0 to 1024, got \"many\" "
            "(GIT2DATASET_LLM_THREADS)");
}

TEST_F(ConfigTest, UnknownEnvironmentKeyIsAnErrorWithASuggestion) {
  EXPECT_THAT(error_of("", {{"GIT2DATASET_LLM_CONTEX_WINDOW", "8192"}}),
              HasSubstr("llm.contex_window: unknown key (GIT2DATASET_LLM_CONTEX_WINDOW); did you "
                        "mean GIT2DATASET_LLM_CONTEXT_WINDOW?"));
  EXPECT_THAT(error_of("", {{"GIT2DATASET_LLM_MAX_FILE_BYTES", "10"}}),
              HasSubstr("did you mean GIT2DATASET_PIPELINE_MAX_FILE_BYTES?"));
}

TEST_F(ConfigTest, NonConfigurationVariablesAreIgnored) {
  auto loaded = load_yaml("", {{"GIT2DATASET_CACHE", "/tmp/cache"},
                               {"GIT2DATASET_TEST_MODEL", "x"},
                               {"GIT2DATASET", "1"},
                               {"LLM_MODEL", "x"},
                               {"HOME", "/root"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config, Config{});
}

TEST_F(ConfigTest, UnknownFlagKeyIsAnErrorWithASuggestion) {
  EXPECT_THAT(error_of("", {}, {{"llm.temprature", "1", "--set llm.temprature"}}),
              HasSubstr("llm.temprature: unknown key (--set llm.temprature); did you mean "
                        "llm.temperature?"));
  EXPECT_THAT(error_of("", {}, {{"context_window", "1024", "--set context_window"}}),
              HasSubstr("did you mean llm.context_window?"));
}

TEST_F(ConfigTest, BadFlagValueNamesTheFlag) {
  EXPECT_THAT(error_of("", {}, {{"llm.backend", "llama", "--backend"}}),
              HasSubstr("llm.backend: expected one of llama_cpp, ollama, openai, mlx, got "
                        "\"llama\" (--backend)"));
}

TEST_F(ConfigTest, CrossKeyRuleSeesTheMergedLayers) {
  // The backend from the environment, the model from a flag: valid together.
  auto loaded =
      load_yaml("", {{"GIT2DATASET_LLM_BACKEND", "ollama"}}, {{"llm.model", "llama3", "--model"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.llm.backend, "ollama");
  EXPECT_THAT(error_of("", {{"GIT2DATASET_LLM_BACKEND", "ollama"}}),
              HasSubstr("llm.model: expected a model name for the ollama backend, got nothing "
                        "(llm.backend at GIT2DATASET_LLM_BACKEND)"));
}

TEST_F(ConfigTest, FileAndEnvironmentErrorsAreReportedTogether) {
  auto message = error_of("llm:\n  threads: lots\n", {{"GIT2DATASET_LLM_GPU_LAYERS", "all"}});
  EXPECT_THAT(message, HasSubstr("2 errors:"));
  EXPECT_THAT(message, HasSubstr("llm.threads: expected integer from 0 to 1024, got \"lots\" "
                                 "(line 2)"));
  EXPECT_THAT(message, HasSubstr("llm.gpu_layers: expected integer >= 0 (or -1), got \"all\" "
                                 "(GIT2DATASET_LLM_GPU_LAYERS)"));
}

TEST(ConfigEnvironment, ProcessEnvironmentHoldsOnlyGit2datasetVariables) {
  ASSERT_EQ(setenv("GIT2DATASET_LLM_THREADS", "3", 1), 0);
  auto variables = process_environment();
  unsetenv("GIT2DATASET_LLM_THREADS");
  ASSERT_TRUE(variables.count("GIT2DATASET_LLM_THREADS"));
  EXPECT_EQ(variables.at("GIT2DATASET_LLM_THREADS"), "3");
  for (const auto& [name, value] : variables) {
    EXPECT_TRUE(name.starts_with("GIT2DATASET_")) << name;
  }
  EXPECT_THAT(variables, Not(::testing::Contains(::testing::Key("PATH"))));
}

}  // namespace
}  // namespace g2d::config
