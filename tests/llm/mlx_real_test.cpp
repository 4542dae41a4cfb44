// Integration tests of the mlx backend against a REAL mlx_lm.server (mlx-lm 0.32 from PyPI on
// the CPU, set up by scripts/setup-mlx.sh) serving the tiny model converted to an MLX folder:
// reached at a base_url (MlxReal) and started and stopped by git2dataset itself (MlxManagedReal).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "generate/prompts.hpp"
#include "generate/unit.hpp"
#include "llm/openai/mlx_server.hpp"
#include "llm/openai/openai_backend.hpp"
#include "mlx_server.hpp"
#include "net/http.hpp"

namespace g2d::llm::openai {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

GenerateRequest ask(int max_tokens) {
  GenerateRequest r;
  r.messages = {{Role::system, "You answer from the code only."},
                {Role::user, "int add(int a, int b) { return a + b; }\n\nWhat does add do?"}};
  r.max_tokens = max_tokens;
  r.temperature = 0;
  return r;
}

generate::CodeUnit add_unit() {
  return {"demo/add.c", "c", 1, 3, "", "int add(int a, int b) {\n  return a + b;\n}\n"};
}

// The command lines of this process's children that run mlx_lm.server.
std::vector<std::string> mlx_children() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string pid, comm, state;
    long ppid = 0;
    if (!(stat >> pid >> comm >> state >> ppid) || ppid != ::getpid())
      continue;
    std::ifstream cmdline_file(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)), {});
    if (cmdline.find("mlx_lm.server") != std::string::npos)
      out.push_back(cmdline);
  }
  return out;
}

class MlxReal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_server = test::MlxServer::start(s_why).release(); }
  static void TearDownTestSuite() {
    delete s_server;
    s_server = nullptr;
  }
  void SetUp() override {
    if (s_server == nullptr && test::mlx_dir().empty())
      GTEST_SKIP() << s_why;
    ASSERT_NE(s_server, nullptr) << s_why;
  }

  static std::unique_ptr<Backend> backend(const std::string& model) {
    OpenAiOptions o;
    o.base_url = s_server->url();
    o.model = model;
    o.request_timeout = std::chrono::seconds(120);  // a loaded machine evaluates slowly
    return make_mlx_backend(o);
  }

  static inline test::MlxServer* s_server = nullptr;
  static inline std::string s_why;
};

TEST_F(MlxReal, TheModelIsServedWithoutSchemaSupport) {
  auto info = backend(test::mlx_model().string())->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->name, test::mlx_model().string());
  EXPECT_FALSE(info->structured_output);  // mlx_lm.server ignores response_format
  EXPECT_GT(info->context_length, 0);
}

TEST_F(MlxReal, AStreamedReplyCountsItsTokens) {
  auto reply = backend(test::mlx_model().string())->generate(ask(12), {});
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_FALSE(reply->text.empty());
  EXPECT_GT(reply->prompt_tokens, 20);  // the usage chunk was asked for and read
  EXPECT_GT(reply->completion_tokens, 0);
  EXPECT_LE(reply->completion_tokens, 12);
}

// Without a schema the tiny model ignores "answer with JSON"; with the questions prompt overridden
// to ask for a numbered list (as users may), the list is parsed and each question answered.
TEST_F(MlxReal, AUnitGetsValidatedQuestionsAndAnAnswerToEach) {
  auto b = backend(test::mlx_model().string());
  generate::PromptSet prompts = generate::builtin_prompts();
  prompts.questions =
      "Write {{count}} questions a developer would ask about the code above, as a numbered "
      "list. Each question ends with a question mark.";
  generate::UnitOptions options;
  options.questions = 2;
  options.max_tokens = 48;
  options.temperature = 0;
  options.prefix_key = "demo/add.c";
  auto pairs = generate::generate_unit(*b, prompts, add_unit(), options, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 2u);  // exactly questions_per_file
  for (const auto& p : *pairs) {
    EXPECT_TRUE(p.question.ends_with('?')) << p.question;
    EXPECT_FALSE(p.answer.empty());
    EXPECT_GT(p.prompt_tokens, 20);
    EXPECT_GT(p.completion_tokens, 0);
    EXPECT_LE(p.completion_tokens, 48);
  }
}

TEST_F(MlxReal, AModelTheServerCannotLoadIsAnErrorNamingIt) {
  auto reply = backend("mlx-community/No-Such-Model-4bit")->generate(ask(4), {});
  ASSERT_FALSE(reply);
  EXPECT_THAT(reply.error().describe(), HasSubstr("No-Such-Model-4bit"));
}

TEST(MlxManagedReal, GitToDatasetStartsTheServerAndStopsItOnUnload) {
  if (test::mlx_dir().empty())
    GTEST_SKIP() << "mlx_lm.server not set up (scripts/setup.sh --with-mlx sets it up on Linux)";
  MlxServerOptions o;
  o.command = test::mlx_server_command().string();
  o.client.model = test::mlx_model().string();
  o.client.request_timeout = std::chrono::seconds(120);
  o.start_timeout = std::chrono::minutes(3);
  auto b = make_managed_mlx_backend(o);
  EXPECT_TRUE(mlx_children().empty());  // started on first use, not before

  auto reply = b->generate(ask(8), {});
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_GT(reply->completion_tokens, 0);
  auto running = mlx_children();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_THAT(running[0], HasSubstr(test::mlx_model().string()));
  EXPECT_THAT(running[0], HasSubstr("127.0.0.1"));

  b->unload();  // gives its memory back: the server is gone
  EXPECT_TRUE(mlx_children().empty());

  auto again = b->generate(ask(8), {});  // and comes back when needed
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->text, reply->text);  // temperature 0: the same model answers the same
  EXPECT_EQ(mlx_children().size(), 1u);
  b.reset();
  EXPECT_TRUE(mlx_children().empty());
}

}  // namespace
}  // namespace g2d::llm::openai
