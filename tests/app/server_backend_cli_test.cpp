// The whole pipeline through the openai backend against a real llama-server serving the tiny
// model: `doctor` reports the server's model and context, `prepare` stores every file's samples,
// and a re-run makes no call.
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "llama_server.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(ServerBackendCli, PrepareThroughLlamaServerStoresEveryFilesSamples) {
  std::string why;
  auto server = test::LlamaServer::start(test::tiny_model_path(),
                                         {"-c", "4096", "-np", "2", "--alias", "tiny"}, why);
  if (!server)
    GTEST_SKIP() << "no llama-server: " << why;
  test::TempDir tmp;
  fs::path ws = tmp.path();
  fs::path repo = ws / "repos/github.com/o/r";
  fs::create_directories(repo);
  test::write_file(repo / "a.c", "int add(int a, int b) { return a + b; }\n");
  test::write_file(repo / "b.py", "def greet(name):\n    return 'hello ' + name\n");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"init", "-q"},
        {"add", "-A"},
        {"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init"}}) {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    auto r = sys::run_process(args);
    ASSERT_TRUE(r && r->exit_code == 0);
  }
  test::write_file(
      ws / "git2dataset.yaml",
      "llm:\n  backend: openai\n  base_url: " + server->url() +
          "\n  model: tiny\n  questions_per_file: 2\n  default_max_tokens: 60\n  temperature: 0\n"
          "pipeline:\n  repos_dir: repos\n  database: data/g2d.db\n"
          "  max_concurrent_files: 2\n");
  const std::string config = (ws / "git2dataset.yaml").string();

  auto doctor = test::run_git2dataset({"doctor", "--config", config});
  EXPECT_THAT(doctor.output, HasSubstr("openai backend"));
  EXPECT_THAT(doctor.output, HasSubstr("JSON schema enforced"));

  auto first = test::run_git2dataset({"prepare", "--config", config});
  ASSERT_EQ(first.exit_code, 0) << first.output << "\n" << server->log();
  EXPECT_THAT(first.output, HasSubstr("prepare: 2 done (4 samples), 0 failed"));
  auto again = test::run_git2dataset({"prepare", "--config", config});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("0 done (0 samples), 0 failed, 0 skipped, 2 unchanged"));
  auto status = test::run_git2dataset({"status", "--json", "--config", config});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_EQ(nlohmann::json::parse(status.output)["samples"]["live"], 4);
}

}  // namespace
}  // namespace g2d
