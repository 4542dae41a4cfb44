// The ollama backend. Contract tests: against a fake Ollama (tests/support/http_test_server)
// answering in the shapes of Ollama's documented API (/api/show, NDJSON /api/chat), with each
// fault injected. (A test against a real Ollama is still to come: see the issue's notes.)
#include "llm/ollama/ollama_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "generate/prompts.hpp"
#include "http_test_server.hpp"

namespace g2d::llm::ollama {
namespace {

using test::json_reply;
using test::ReceivedRequest;
using test::Reply;
using test::TestHttpServer;
using ::testing::HasSubstr;

GenerateRequest ask() {
  GenerateRequest r;
  r.messages = {{Role::system, "You answer from the code only."},
                {Role::user, "int add(int a, int b) { return a + b; }\n\nWhat does add do?"}};
  r.max_tokens = 64;
  r.temperature = 0;
  return r;
}

Reply show() {
  return json_reply(200, R"({"details":{"family":"llama"},"model_info":{)"
                         R"("general.architecture":"llama","llama.context_length":8192},)"
                         R"("capabilities":["completion"]})");
}

Reply lines(std::vector<std::string> chunks) {
  Reply r;
  r.chunked = true;
  r.headers = {{"Content-Type", "application/x-ndjson"}};
  r.chunks = std::move(chunks);
  return r;
}

const std::string k_hello =
    R"({"model":"tiny","message":{"role":"assistant","content":"It "},"done":false})"
    "\n"
    R"({"model":"tiny","message":{"role":"assistant","content":"adds."},"done":false})"
    "\n";
const std::string k_done =
    R"({"model":"tiny","message":{"role":"assistant","content":""},"done":true,)"
    R"("done_reason":"length","prompt_eval_count":31,"eval_count":2})"
    "\n";

struct Fake {
  std::function<Reply(const ReceivedRequest&)> chat;
  std::vector<ReceivedRequest> seen;
  TestHttpServer server{[this](const ReceivedRequest& r) {
    if (r.target == "/api/show")
      return show();
    return chat(r);
  }};
  std::unique_ptr<Backend> backend(int context_window = 0,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    OllamaOptions o;
    o.base_url = server.url();
    o.model = "tiny";
    o.context_window = context_window;
    o.request_timeout = timeout;
    o.keep_alive = std::chrono::seconds(120);
    return make_ollama_backend(o);
  }
};

TEST(OllamaContract, AStreamedChatIsAssembledAndCarriesTheSchemaAndLimits) {
  Fake fake;
  fake.chat = [](const ReceivedRequest&) { return lines({k_hello, k_done}); };
  auto b = fake.backend(2048);
  GenerateRequest r = ask();
  r.json_schema = generate::questions_schema(2);
  auto result = b->generate(r, {});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->text, "It adds.");
  EXPECT_EQ(result->prompt_tokens, 31);
  EXPECT_EQ(result->completion_tokens, 2);
  EXPECT_EQ(result->finish, FinishReason::length);
  auto requests = fake.server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].target, "/api/chat");
  auto body = nlohmann::json::parse(requests[1].body);
  EXPECT_EQ(body["format"], generate::questions_schema(2));
  EXPECT_EQ(body["options"]["num_ctx"], 2048);
  EXPECT_EQ(body["options"]["num_predict"], 64);
  EXPECT_EQ(body["keep_alive"], 120);
  EXPECT_EQ(body["messages"][1]["role"], "user");
}

TEST(OllamaContract, TheContextLengthComesFromTheModelWhenNotConfigured) {
  Fake fake;
  fake.chat = [](const ReceivedRequest&) { return lines({k_done}); };
  auto info = fake.backend(0)->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->context_length, 8192);
  EXPECT_EQ(info->trained_context_length, 8192);
}

TEST(OllamaContract, AMissingModelIsNamedNeverReplaced) {
  TestHttpServer server([](const ReceivedRequest&) {
    return json_reply(404, R"({"error":"model 'tiny' not found"})");
  });
  OllamaOptions o;
  o.base_url = server.url();
  o.model = "tiny";
  auto result = make_ollama_backend(o)->generate(ask(), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::model_missing);
  EXPECT_THAT(result.error().message, HasSubstr("\"tiny\""));
  EXPECT_THAT(result.error().message, HasSubstr("ollama pull tiny"));
}

TEST(OllamaContract, EachFaultHasItsErrorKind) {
  struct Case {
    const char* name;
    std::function<Reply(const ReceivedRequest&)> reply;
    ErrorKind kind;
  };
  std::vector<Case> cases = {
      {"503 busy",
       [](auto&) { return json_reply(503, R"({"error":"server busy, please try again"})"); },
       ErrorKind::unavailable},
      {"500", [](auto&) { return json_reply(500, R"({"error":"runner crashed"})"); },
       ErrorKind::unavailable},
      {"error line",
       [](auto&) {
         return lines({k_hello, R"({"error":"runner crashed"})"
                                "\n"});
       },
       ErrorKind::unavailable},
      {"malformed line", [](auto&) { return lines({"{not json\n"}); }, ErrorKind::bad_output},
      {"ends early", [](auto&) { return lines({k_hello}); }, ErrorKind::unavailable},
      {"reset",
       [](auto&) {
         Reply r = lines({k_hello, k_done});
         r.fault = Reply::Fault::reset_mid_body;
         return r;
       },
       ErrorKind::unavailable},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Fake fake;
    fake.chat = c.reply;
    auto result = fake.backend(2048)->generate(ask(), {});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, c.kind) << result.error().describe();
  }
}

TEST(OllamaContract, AStallLongerThanTheRequestTimeoutIsATimeout) {
  Fake fake;
  fake.chat = [](const ReceivedRequest&) {
    Reply r = lines({k_hello, k_done});
    r.delay = std::chrono::milliseconds(2500);
    return r;
  };
  auto result = fake.backend(2048, std::chrono::seconds(1))->generate(ask(), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::timeout);
}

TEST(OllamaContract, UnloadAsksOllamaToFreeTheModelNow) {
  Fake fake;
  fake.chat = [](const ReceivedRequest&) { return json_reply(200, R"({"done":true})"); };
  fake.backend()->unload();
  auto requests = fake.server.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["keep_alive"], 0);
  EXPECT_EQ(body["model"], "tiny");
  EXPECT_TRUE(body["messages"].empty());
}

}  // namespace
}  // namespace g2d::llm::ollama
