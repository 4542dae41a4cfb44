// What a dataset publishes about where its code comes from, end to end with the real binary: local
// repositories listed in repos.txt are cloned by `scrape`, prepared against a fake
// OpenAI-compatible server that records every prompt, and exported in every format. Neither the
// prompts nor any exported line names the clone's folder under repos_dir (`_local/...`) or the
// repository's absolute local path: a sample shows the path in its repository and the
// repository's published name.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_test_server.hpp"
#include "support.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class PathsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"corpus", "other"}) {
      fs::path repo = ws / "sources" / name;
      test::write_file(repo / "src/x.c", "int twice(int x) {\n  return x + x;\n}\n");
      ASSERT_EQ(test::commit_all(repo), "");
    }
    test::write_file(ws / "repos.txt", "sources/corpus\nsources/other name=acme/other\n");
    test::write_file(config, "llm:\n  backend: openai\n  base_url: " + server.url() +
                                 "\n  model: fake-model\n  questions_per_file: 2\n"
                                 "  max_retries: 1\n"
                                 "pipeline:\n  repos_dir: repos\n  repos_file: repos.txt\n"
                                 "  database: g2d.db\n"
                                 "resources:\n  enable_battery_monitoring: false\n");
  }

  sys::ProcessResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config.string()});
    return test::run_git2dataset(std::move(args));
  }

  std::vector<std::string> prompts() {
    std::lock_guard lock(m_mutex);
    return m_prompts;
  }

  test::TempDir tmp;
  fs::path ws = fs::canonical(tmp.path());
  fs::path config = ws / "git2dataset.yaml";
  std::mutex m_mutex;
  std::vector<std::string> m_prompts;  // every completion request's messages (guarded)
  // Last: its connection threads use the members above until it is destroyed.
  test::TestHttpServer server{[this](const test::ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return test::json_reply(200, R"({"object":"list","data":[{"id":"fake-model"}]})");
    if (r.target != "/v1/chat/completions")
      return test::json_reply(404, R"({"error":"not found"})");
    auto body = json::parse(r.body, nullptr, false);
    {
      std::lock_guard lock(m_mutex);
      m_prompts.push_back(body.is_object() ? body["messages"].dump() : r.body);
    }
    bool questions = body.is_object() && body.contains("response_format");
    return test::chat_stream_reply(
        questions
            ? json{{"questions", {"What does `twice` return?", "Why is `x` added to itself?"}}}
                  .dump()
            : "It returns `x + x`, twice its argument.");
  }};
};

TEST_F(PathsCli, NeitherThePromptsNorTheDatasetNameTheCloneFolderOrTheLocalPath) {
  auto scraped = run({"scrape"});
  ASSERT_EQ(scraped.exit_code, 0) << scraped.output;
  auto prepared = run({"prepare"});
  ASSERT_EQ(prepared.exit_code, 0) << prepared.output;
  EXPECT_THAT(prepared.output, HasSubstr("2 done (4 samples)"));

  const auto sent = prompts();
  ASSERT_EQ(sent.size(), 6u);  // per file: one questions call and two answers
  for (const auto& prompt : sent) {
    EXPECT_THAT(prompt, HasSubstr("src/x.c"));
    EXPECT_THAT(prompt, Not(HasSubstr("_local")));
    EXPECT_THAT(prompt, Not(HasSubstr(ws.string())));
  }

  for (const char* format : {"alpaca", "sharegpt", "openai", "chatml", "raw"}) {
    fs::path out = ws / "out" / (std::string(format) + ".jsonl");
    auto exported =
        run({"export", "--format", format, "--include-flagged", "--output", out.string()});
    ASSERT_EQ(exported.exit_code, 0) << exported.output;
    const std::string text = test::read_file(out);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << format;
    EXPECT_THAT(text, Not(HasSubstr("_local"))) << format;
    EXPECT_THAT(text, Not(HasSubstr(ws.string()))) << format;
    if (std::string_view(format) != "raw") {
      EXPECT_THAT(text, HasSubstr("src/x.c (lines 1-3):")) << format;
    }
    const std::string card = test::read_file(ws / "out/README.md");
    EXPECT_THAT(card, Not(HasSubstr("_local"))) << format;
    EXPECT_THAT(card, Not(HasSubstr(ws.string()))) << format;
  }
  std::multiset<std::string> rows;
  std::ifstream raw(ws / "out/raw.jsonl");
  for (std::string line; std::getline(raw, line);) {
    auto row = json::parse(line);
    rows.insert(row["repo_url"].get<std::string>() + " " + row["path"].get<std::string>());
  }
  EXPECT_EQ(rows, (std::multiset<std::string>{"corpus src/x.c", "corpus src/x.c",
                                              "acme/other src/x.c", "acme/other src/x.c"}));
}

}  // namespace
}  // namespace g2d
