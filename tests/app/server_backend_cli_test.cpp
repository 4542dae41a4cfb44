// The whole pipeline through the server backends against real servers serving the tiny model — the
// openai backend against llama-server and the ollama backend against Ollama (both in generation
// mode pairs, whose one schema-constrained call per unit each server enforces), mlx (two-step,
// the default): `doctor` reports the
// server's model, `prepare` stores every file's samples, and a re-run makes no call.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "llama_server.hpp"
#include "mlx_server.hpp"
#include "ollama_server.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// How much a run asks of the model: slow servers get less.
struct Work {
  int files = 2;      // a.c, then b.py
  int questions = 2;  // per file
};

// A workspace with one repository of `work.files` small files and a configuration for `llm` (the
// llm section's lines after "llm:") in generation mode `mode`; returns the configuration's path.
fs::path make_workspace(const fs::path& ws, const std::string& llm, Work work = {},
                        const std::string& mode = "pairs") {
  fs::path repo = ws / "repos/github.com/o/r";
  fs::create_directories(repo);
  test::write_file(repo / "a.c", "int add(int a, int b) { return a + b; }\n");
  if (work.files > 1)
    test::write_file(repo / "b.py", "def square(x):\n    return x * x\n");
  EXPECT_EQ(test::commit_all(repo), "");
  test::write_file(ws / "git2dataset.yaml",
                   "llm:\n" + llm + "  questions_per_file: " + std::to_string(work.questions) +
                       "\n  default_max_tokens: 60\n  temperature: 0\n"
                       "generation:\n  mode: " +
                       mode +
                       "\n"
                       "pipeline:\n  repos_dir: repos\n  database: data/g2d.db\n"
                       "  max_concurrent_files: 2\n");
  return ws / "git2dataset.yaml";
}

using Env = std::vector<std::pair<std::string, std::optional<std::string>>>;

// prepare twice and status: every file done once with at least one sample and at most the
// questions asked (the tiny model's reply may hold fewer usable pairs, which is no failure; which
// ones varies with how the server batches), nothing asked again.
void expect_prepared_once(const std::string& config, const std::string& server_log,
                          const Env& env = {}, Work work = {}) {
  auto first = test::run_git2dataset({"prepare", "--config", config}, env);
  ASSERT_EQ(first.exit_code, 0) << first.output << "\n" << server_log;
  int samples = 0;
  const std::vector<std::string> files = {"a.c", "b.py"};
  for (int i = 0; i < work.files; ++i) {
    const std::string& file = files[static_cast<size_t>(i)];
    std::smatch line;
    ASSERT_TRUE(std::regex_search(first.output, line,
                                  std::regex("done +github.com/o/r/" + file + " +([0-9]+) sample")))
        << file << " is not done:\n"
        << first.output;
    const int stored = std::stoi(line[1]);
    EXPECT_GE(stored, 1) << file << "\n" << first.output;
    EXPECT_LE(stored, work.questions) << file << "\n" << first.output;
    samples += stored;
  }
  EXPECT_THAT(first.output, HasSubstr(fmt::format("prepare: {} done ({} sample{}), 0 failed",
                                                  work.files, samples, samples == 1 ? "" : "s")));
  auto again = test::run_git2dataset({"prepare", "--config", config}, env);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(
      again.output,
      HasSubstr(fmt::format("0 done (0 samples), 0 failed, 0 skipped, {} unchanged", work.files)));
  auto status = test::run_git2dataset({"status", "--json", "--config", config});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_EQ(nlohmann::json::parse(status.output)["samples"]["live"], samples);
}

TEST(ServerBackendCli, PrepareThroughLlamaServerStoresEveryFilesSamples) {
  std::string why;
  auto server = test::LlamaServer::start(test::tiny_model_path(),
                                         {"-c", "4096", "-np", "2", "--alias", "tiny"}, why);
  if (!server)
    GTEST_SKIP() << "no llama-server: " << why;
  test::TempDir tmp;
  const std::string config =
      make_workspace(tmp.path(),
                     "  backend: openai\n  base_url: " + server->url() + "\n  model: tiny\n")
          .string();
  auto doctor = test::run_git2dataset({"doctor", "--config", config});
  EXPECT_THAT(doctor.output, HasSubstr("openai backend"));
  EXPECT_THAT(doctor.output, HasSubstr("JSON schema enforced"));
  expect_prepared_once(config, server->log());
}

// llm.base_urls: two llama-servers in one run — doctor names each with its model, prepare spreads
// the two files over them (one each at parallel=1), and status shows both with their calls.
TEST(ServerBackendCli, PrepareThroughTwoLlamaServersStoresEveryFilesSamples) {
  std::string why;
  std::vector<std::unique_ptr<test::LlamaServer>> servers;
  for (int i = 0; i < 2; ++i) {
    servers.push_back(test::LlamaServer::start(test::tiny_model_path(),
                                               {"-c", "4096", "-np", "1", "--alias", "tiny"}, why));
    if (!servers.back())
      GTEST_SKIP() << "no llama-server: " << why;
  }
  test::TempDir tmp;
  const std::string config =
      make_workspace(tmp.path(), "  backend: openai\n  model: tiny\n  base_urls:\n    - " +
                                     servers[0]->url() + " parallel=1\n    - " + servers[1]->url() +
                                     " parallel=1\n")
          .string();
  auto doctor = test::run_git2dataset({"doctor", "--config", config});
  for (const auto& server : servers)
    EXPECT_THAT(doctor.output, HasSubstr("server " + server->url() +
                                         ": tiny, 4096 tokens per request, 1 file at once"));
  auto first = test::run_git2dataset({"prepare", "--config", config});
  ASSERT_EQ(first.exit_code, 0) << first.output << servers[0]->log() << servers[1]->log();
  EXPECT_THAT(first.output, HasSubstr("prepare: 2 done"));
  auto status = test::run_git2dataset({"status", "--json", "--config", config});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  auto endpoints = nlohmann::json::parse(status.output)["last_run"]["endpoints"];
  ASSERT_EQ(endpoints.size(), 2U) << status.output;
  for (const auto& e : endpoints) {
    EXPECT_GE(e["calls"].get<int>(), 1) << status.output;
    EXPECT_EQ(e["model"], "tiny");
  }
}

// Through Ollama on a CPU this was the suite's longest test at two questions per file (100 s in the
// dev build, 389 s in a loaded CI run on 2 cores): two files of one question each still put two
// files at once through it.
constexpr Work kOllamaWork{2, 1};

TEST(ServerBackendCli, PrepareThroughOllamaStoresEveryFilesSamples) {
  std::string why;
  auto server = test::OllamaServer::start(test::tiny_model_path(), "tiny", why,
                                          {{"OLLAMA_NUM_PARALLEL", "2"}});
  if (!server && test::ollama_path().empty())
    GTEST_SKIP() << why;
  ASSERT_NE(server, nullptr) << why;
  test::TempDir tmp;
  const std::string config =
      make_workspace(tmp.path(),
                     "  backend: ollama\n  base_url: " + server->url() +
                         "\n  model: tiny\n  context_window: 2048\n  threads: 1\n",
                     kOllamaWork)
          .string();
  auto doctor = test::run_git2dataset({"doctor", "--config", config});
  EXPECT_THAT(doctor.output, HasSubstr("ollama backend"));
  EXPECT_THAT(doctor.output, HasSubstr("JSON schema enforced"));
  expect_prepared_once(config, "", {}, kOllamaWork);
}

// The mlx backend without a base_url: git2dataset starts mlx_lm.server (found on PATH) itself and
// stops it at the end. The tiny model does not write JSON unconstrained, so the run is two-step
// and its questions prompt is overridden (llm.prompts_dir) to ask for a numbered list, which the
// backend also reads. One
// file and one question: mlx on a CPU takes about 0.15 s a token (tests/llm/mlx_real_test.cpp
// covers the backend itself).
constexpr Work kMlxWork{1, 1};

TEST(ServerBackendCli, PrepareThroughAManagedMlxServerStoresEveryFilesSamples) {
  if (test::mlx_dir().empty())
    GTEST_SKIP() << "mlx_lm.server not set up (scripts/setup.sh --with-mlx sets it up on Linux)";
  test::TempDir tmp;
  test::write_file(tmp / "prompts/questions.txt",
                   "Write {{count}} questions a developer would ask about the code above, as a "
                   "numbered list. Each question ends with a question mark.\n");
  const std::string config =
      make_workspace(tmp.path(),
                     "  backend: mlx\n  model: " + test::mlx_model().string() +
                         "\n  prompts_dir: " + (tmp / "prompts").string() + "\n",
                     kMlxWork, "two_step")
          .string();
  const char* path = std::getenv("PATH");
  Env env = {{"PATH", test::mlx_server_command().parent_path().string() + ":" +
                          (path != nullptr ? path : "/usr/bin:/bin")}};
  auto doctor = test::run_git2dataset({"doctor", "--config", config}, env);
  EXPECT_THAT(doctor.output, HasSubstr("mlx backend"));
  EXPECT_THAT(doctor.output, HasSubstr("validated"));
  expect_prepared_once(config, "", env, kMlxWork);
}

}  // namespace
}  // namespace g2d
