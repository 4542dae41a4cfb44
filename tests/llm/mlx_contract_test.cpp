// Contract tests of the mlx backend against a fake mlx_lm.server (tests/support/http_test_server)
// answering in its shapes: OpenAI chat completions streamed as SSE, no JSON-schema support — for
// what a real server cannot be made to do on demand (a prose reply, a listing without a body).
// The real mlx_lm.server (on the CPU, scripts/setup-mlx.sh) is tested in mlx_real_test.cpp.
#include <atomic>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "generate/unit.hpp"
#include "http_test_server.hpp"
#include "llm/openai/openai_backend.hpp"

namespace g2d::llm::openai {
namespace {

using test::ReceivedRequest;
using test::Reply;
using test::TestHttpServer;

Reply sse(const std::string& text) {
  nlohmann::json delta = {{"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}};
  nlohmann::json last = {
      {"choices", {{{"index", 0}, {"delta", nlohmann::json::object()}, {"finish_reason", "stop"}}}},
      {"usage", {{"prompt_tokens", 50}, {"completion_tokens", 9}}}};
  Reply r;
  r.chunked = true;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.chunks = {"data: " + delta.dump() + "\n\n", "data: " + last.dump() + "\n\n",
              "data: [DONE]\n\n"};
  return r;
}

Reply models() {
  Reply r;
  r.headers = {{"Content-Type", "application/json"}};
  r.chunks = {
      R"({"object":"list","data":[{"id":"mlx-community/Qwen2.5-Coder-7B-Instruct-4bit"}]})"};
  return r;
}

struct FakeMlx {
  // mlx-lm 0.32 without a Hugging Face cache folder: GET /v1/models answers 200 with no body.
  bool models_without_body = false;
  std::atomic<int> questions_calls{0};
  std::vector<std::string> bodies;
  std::mutex m;
  TestHttpServer server{[this](const ReceivedRequest& r) {
    if (r.target == "/v1/models") {
      if (models_without_body) {
        Reply empty;
        empty.headers = {{"Content-Type", "application/json"}};
        return empty;
      }
      return models();
    }
    if (r.target != "/v1/chat/completions") {
      Reply missing;
      missing.status = 404;
      missing.chunks = {"not found"};
      return missing;
    }
    {
      std::lock_guard lock(m);
      bodies.push_back(r.body);
    }
    if (r.body.find("questions") != std::string::npos &&
        r.body.find("Question:") == std::string::npos) {
      // Unconstrained, the model first answers in prose; asked again, in JSON.
      if (questions_calls++ == 0)
        return sse("Here are two questions: 1. What does add do? 2. Can it overflow?");
      return sse(R"({"questions": ["What does add do?", "Can add overflow?"]})");
    }
    return sse("It returns the sum of its arguments.");
  }};
  std::unique_ptr<Backend> backend() {
    OpenAiOptions o;
    o.base_url = server.url();
    o.model = "mlx-community/Qwen2.5-Coder-7B-Instruct-4bit";
    return make_mlx_backend(o);
  }
};

TEST(MlxContract, TheSchemaIsNotSentAndTheModelSaysSo) {
  FakeMlx fake;
  auto b = fake.backend();
  EXPECT_EQ(b->name(), "mlx");
  auto info = b->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_FALSE(info->structured_output);
  GenerateRequest r;
  r.messages = {{Role::user, "Write questions."}};
  r.json_schema = generate::questions_schema(2);
  ASSERT_TRUE(b->generate(r, {}));
  ASSERT_EQ(fake.bodies.size(), 1u);
  EXPECT_FALSE(nlohmann::json::parse(fake.bodies[0]).contains("response_format"));
}

TEST(MlxContract, AModelListThatFailsOrLacksTheModelStillServesTheConfiguredOne) {
  // mlx_lm.server serves the model it was started with whatever /v1/models says: that list holds
  // the Hugging Face cache (or fails without one) and names a local model by its absolute path.
  FakeMlx fake;
  fake.models_without_body = true;
  auto b = fake.backend();
  auto info = b->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->name, "mlx-community/Qwen2.5-Coder-7B-Instruct-4bit");
  GenerateRequest r;
  r.messages = {{Role::user, "What does add do?"}};
  ASSERT_TRUE(b->generate(r, {}));
  ASSERT_EQ(fake.bodies.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(fake.bodies[0])["model"],
            "mlx-community/Qwen2.5-Coder-7B-Instruct-4bit");  // the exact name it was started with
}

TEST(MlxContract, QuestionsAreValidatedAgainstTheSchemaAndAskedAgain) {
  FakeMlx fake;
  auto b = fake.backend();
  generate::UnitOptions o;
  o.questions = 2;
  o.max_tokens = 64;
  o.backoff = std::chrono::milliseconds(1);
  generate::CodeUnit unit{
      "github.com/o/r/add.c", "c", 1, 1, "", "int add(int a, int b) { return a + b; }\n"};
  auto pairs = generate::generate_unit(*b, generate::builtin_prompts(), unit, o, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  EXPECT_EQ(fake.questions_calls, 2) << "the prose reply must be rejected and asked again";
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[1].question, "Can add overflow?");
  EXPECT_EQ((*pairs)[1].answer, "It returns the sum of its arguments.");
}

}  // namespace
}  // namespace g2d::llm::openai
