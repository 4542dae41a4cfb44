// Loading: defaults, every key from a file, missing files, paths.
#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

void expect_documented_defaults(const Config& c) {
  EXPECT_EQ(c.llm.backend, "llama_cpp");
  EXPECT_EQ(c.llm.model, "");
  EXPECT_EQ(c.llm.base_url, "");
  EXPECT_EQ(c.llm.max_retries, 3);
  EXPECT_EQ(c.llm.context_window, 4096);
  EXPECT_EQ(c.llm.request_timeout, 300);
  EXPECT_DOUBLE_EQ(c.llm.seconds_per_token, 1.0);
  EXPECT_EQ(c.llm.default_max_tokens, 4096);
  EXPECT_DOUBLE_EQ(c.llm.temperature, 0.2);
  EXPECT_EQ(c.llm.questions_per_file, 5);
  EXPECT_EQ(c.llm.threads, 0);
  EXPECT_EQ(c.llm.gpu_layers, -1);
  EXPECT_EQ(c.llm.draft_tokens, 0);
  EXPECT_EQ(c.llm.prompts_dir, "");
  EXPECT_EQ(c.pipeline.repos_file, "repos.txt");
  EXPECT_EQ(c.pipeline.repos_dir, "repos");
  EXPECT_EQ(c.pipeline.database, "git2dataset.db");
  EXPECT_THAT(c.pipeline.allowed_extensions,
              ElementsAre(".py", ".js", ".ts", ".go", ".rs", ".java", ".cpp", ".c"));
  EXPECT_THAT(c.pipeline.include_file_names, IsEmpty());
  EXPECT_THAT(c.pipeline.ignore_patterns,
              ElementsAre("*.test.*", "*.spec.*", "node_modules/", "target/", "build/"));
  EXPECT_EQ(c.pipeline.max_file_bytes, 1000000);
  EXPECT_EQ(c.pipeline.max_concurrent_files, 4);
  EXPECT_EQ(c.pipeline.max_units_per_file, 16);
  EXPECT_EQ(c.pipeline.scrape_jobs, 4);
  EXPECT_EQ(c.pipeline.clone_depth, 1);
  EXPECT_DOUBLE_EQ(c.resources.max_ram_gb, 8.0);
  EXPECT_EQ(c.resources.battery_pause_threshold, 20);
  EXPECT_TRUE(c.resources.enable_battery_monitoring);
  EXPECT_EQ(c.resources.unload_after_idle_seconds, 60);
}

TEST(ConfigDefaults, NoFileGivesTheDocumentedDefaults) {
  auto loaded = load(LoadOptions{});
  ASSERT_TRUE(loaded) << loaded.error().message;
  expect_documented_defaults(loaded->config);
  EXPECT_FALSE(loaded->file);
  EXPECT_EQ(loaded->base_dir, fs::current_path());
}

TEST(ConfigDefaults, EveryKeyHasADefaultOrigin) {
  auto loaded = load(LoadOptions{});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->origins.size(), key_paths().size());
  for (const auto& path : key_paths()) {
    ASSERT_TRUE(loaded->origins.count(path)) << path;
    EXPECT_EQ(loaded->origins.at(path).source, Source::default_value) << path;
  }
}

TEST(ConfigDefaults, KeyPathsListEveryKeyInOrder) {
  auto paths = key_paths();
  ASSERT_EQ(paths.size(), 46u);
  EXPECT_EQ(paths.front(), "llm.backend");
  EXPECT_EQ(paths[1], "llm.model");
  EXPECT_EQ(paths[3], "llm.base_urls");
  EXPECT_EQ(paths[4], "llm.allow_mixed_models");
  EXPECT_EQ(paths[8], "llm.seconds_per_token");
  EXPECT_EQ(paths[14], "llm.draft_tokens");
  EXPECT_EQ(paths[15], "llm.prompts_dir");
  EXPECT_EQ(paths[16], "generation.mode");
  EXPECT_EQ(paths[17], "pipeline.repos_file");
  EXPECT_EQ(paths[24], "pipeline.max_units_per_file");
  EXPECT_EQ(paths[26], "pipeline.scrape_jobs");
  EXPECT_EQ(paths[27], "pipeline.clone_depth");
  EXPECT_EQ(paths[31], "resources.unload_after_idle_seconds");
  EXPECT_EQ(paths[32], "export.format");
  EXPECT_EQ(paths.back(), "export.card");
}

TEST_F(ConfigTest, EmptyFileGivesDefaults) {
  for (std::string_view yaml : {"", "# nothing but a comment\n\n# and another\n", "llm:\n",
                                "llm:\ngeneration:\npipeline:\nresources:\n", "---\n"}) {
    auto loaded = load_yaml(yaml);
    ASSERT_TRUE(loaded) << yaml << ": " << loaded.error().message;
    EXPECT_EQ(loaded->config, Config{}) << yaml;
  }
}

TEST_F(ConfigTest, EveryKeyIsReadFromTheFile) {
  auto loaded = load_yaml(R"(llm:
  backend: ollama
  model: qwen2.5-coder:7b
  base_url: http://localhost:11434
  base_urls: []
  allow_mixed_models: true
  max_retries: 7
  context_window: 0
  request_timeout: 0
  seconds_per_token: 0.25
  default_max_tokens: 512
  temperature: 0.7
  questions_per_file: 9
  threads: 6
  gpu_layers: 0
  draft_tokens: 6
  prompts_dir: my-prompts
generation:
  mode: pairs
pipeline:
  repos_file: lists/repos.txt
  repos_dir: /srv/repos
  database: out/data.db
  allowed_extensions: [.py, .hpp]
  include_file_names:
    - Dockerfile
    - Makefile
  ignore_patterns: ["vendor/", "*.min.js"]
  max_file_bytes: 5000000000
  max_units_per_file: 64
  max_concurrent_files: 16
  scrape_jobs: 8
  clone_depth: 0
resources:
  max_ram_gb: 3.5
  battery_pause_threshold: 0
  enable_battery_monitoring: false
  unload_after_idle_seconds: 0
export:
  format: sharegpt
  output: data/out.jsonl
  include_code: false
  system_prompt: Be brief.
  repositories: [a]
  languages: [go]
  paths: ["cmd/**"]
  min_answer_chars: 3
  keep: [all]
  min_grounding: 0
  near_duplicate_similarity: 1
  validation_fraction: 0.2
  split_by: file
  card: false
)");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const Config& c = loaded->config;
  EXPECT_EQ(c.export_.format, "sharegpt");
  EXPECT_EQ(c.export_.system_prompt, "Be brief.");
  EXPECT_THAT(c.export_.keep, ElementsAre("all"));
  EXPECT_DOUBLE_EQ(c.export_.near_duplicate_similarity, 1.0);
  EXPECT_EQ(c.llm.backend, "ollama");
  EXPECT_EQ(c.llm.model, "qwen2.5-coder:7b");
  EXPECT_EQ(c.llm.base_url, "http://localhost:11434");
  EXPECT_TRUE(c.llm.base_urls.empty());
  EXPECT_TRUE(c.llm.allow_mixed_models);
  EXPECT_EQ(c.llm.max_retries, 7);
  EXPECT_EQ(c.llm.context_window, 0);
  EXPECT_EQ(c.llm.request_timeout, 0);
  EXPECT_DOUBLE_EQ(c.llm.seconds_per_token, 0.25);
  EXPECT_EQ(c.llm.default_max_tokens, 512);
  EXPECT_DOUBLE_EQ(c.llm.temperature, 0.7);
  EXPECT_EQ(c.llm.questions_per_file, 9);
  EXPECT_EQ(c.llm.threads, 6);
  EXPECT_EQ(c.llm.gpu_layers, 0);
  EXPECT_EQ(c.llm.draft_tokens, 6);
  EXPECT_EQ(c.llm.prompts_dir, "my-prompts");
  EXPECT_EQ(c.generation.mode, "pairs");
  EXPECT_EQ(c.pipeline.repos_file, "lists/repos.txt");
  EXPECT_EQ(c.pipeline.repos_dir, "/srv/repos");
  EXPECT_EQ(c.pipeline.database, "out/data.db");
  EXPECT_THAT(c.pipeline.allowed_extensions, ElementsAre(".py", ".hpp"));
  EXPECT_THAT(c.pipeline.include_file_names, ElementsAre("Dockerfile", "Makefile"));
  EXPECT_THAT(c.pipeline.ignore_patterns, ElementsAre("vendor/", "*.min.js"));
  EXPECT_EQ(c.pipeline.max_file_bytes, 5000000000);
  EXPECT_EQ(c.pipeline.max_units_per_file, 64);
  EXPECT_EQ(c.pipeline.max_concurrent_files, 16);
  EXPECT_EQ(c.pipeline.scrape_jobs, 8);
  EXPECT_EQ(c.pipeline.clone_depth, 0);
  EXPECT_DOUBLE_EQ(c.resources.max_ram_gb, 3.5);
  EXPECT_EQ(c.resources.battery_pause_threshold, 0);
  EXPECT_FALSE(c.resources.enable_battery_monitoring);
  EXPECT_EQ(c.resources.unload_after_idle_seconds, 0);
  for (const auto& path : key_paths()) {
    EXPECT_EQ(loaded->origins.at(path).source, Source::file) << path;
  }
  EXPECT_EQ(loaded->origins.at("llm.backend").detail, "git2dataset.yaml:2");
  EXPECT_EQ(loaded->origins.at("pipeline.include_file_names").detail, "git2dataset.yaml:25");
}

TEST_F(ConfigTest, KeysLeftOutKeepTheirDefaults) {
  auto loaded = load_yaml("llm:\n  temperature: 1\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  Config expected;
  expected.llm.temperature = 1.0;
  EXPECT_EQ(loaded->config, expected);
  EXPECT_EQ(loaded->origins.at("llm.temperature").source, Source::file);
  EXPECT_EQ(loaded->origins.at("llm.model").source, Source::default_value);
}

TEST_F(ConfigTest, EmptyValuesForStringsAndListsAreEmpty) {
  auto loaded =
      load_yaml("llm:\n  model:\npipeline:\n  allowed_extensions: []\n  ignore_patterns:\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.llm.model, "");
  EXPECT_THAT(loaded->config.pipeline.allowed_extensions, IsEmpty());
  EXPECT_THAT(loaded->config.pipeline.ignore_patterns, IsEmpty());
}

TEST_F(ConfigTest, BooleansAcceptYamlSpellings) {
  for (std::string_view word : {"true", "True", "yes", "on"}) {
    auto loaded = load_yaml(fmt::format("resources:\n  enable_battery_monitoring: {}\n", word));
    ASSERT_TRUE(loaded) << word;
    EXPECT_TRUE(loaded->config.resources.enable_battery_monitoring) << word;
  }
  for (std::string_view word : {"false", "FALSE", "no", "off"}) {
    auto loaded = load_yaml(fmt::format("resources:\n  enable_battery_monitoring: {}\n", word));
    ASSERT_TRUE(loaded) << word;
    EXPECT_FALSE(loaded->config.resources.enable_battery_monitoring) << word;
  }
}

TEST_F(ConfigTest, MissingFileIsAnErrorNamingThePath) {
  LoadOptions options;
  options.file = m_dir / "absent.yaml";
  auto loaded = load(options);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::not_found);
  EXPECT_THAT(loaded.error().message, HasSubstr((m_dir / "absent.yaml").string()));
}

TEST_F(ConfigTest, DirectoryInsteadOfAFileIsAnError) {
  LoadOptions options;
  options.file = m_dir.path();
  auto loaded = load(options);
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, StartsWith(m_dir.path().string()));
}

TEST_F(ConfigTest, BaseDirIsTheFilesDirectory) {
  auto path = m_dir / "sub" / "git2dataset.yaml";
  test::write_file(path, "");
  LoadOptions options;
  options.file = path;
  auto loaded = load(options);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->file, path);
  EXPECT_EQ(loaded->base_dir, m_dir / "sub");
}

TEST_F(ConfigTest, ResolvePathJoinsRelativePathsToTheBaseDir) {
  auto loaded = load_yaml("");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(resolve_path(*loaded, "repos.txt"), m_dir / "repos.txt");
  EXPECT_EQ(resolve_path(*loaded, "data/x.db"), m_dir / "data" / "x.db");
  EXPECT_EQ(resolve_path(*loaded, "/abs/model.gguf"), fs::path("/abs/model.gguf"));
  EXPECT_EQ(resolve_path(*loaded, "postgresql://db.local/g2d"),
            fs::path("postgresql://db.local/g2d"));
  EXPECT_EQ(resolve_path(*loaded, ""), fs::path());
}

TEST(ConfigResolvePath, WithoutAFileRelativePathsResolveFromTheWorkingDirectory) {
  auto loaded = load(LoadOptions{});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(resolve_path(*loaded, "git2dataset.db"), fs::current_path() / "git2dataset.db");
}

}  // namespace
}  // namespace g2d::config
