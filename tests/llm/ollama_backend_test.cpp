// The ollama backend. Contract tests (OllamaContract): against a fake Ollama
// (tests/support/http_test_server) answering in the shapes of Ollama's documented API (/api/show,
// NDJSON /api/chat), with each fault injected. Integration tests (OllamaReal): against a real
// Ollama built by scripts/build-ollama.sh, serving the tiny model imported from its GGUF.
#include "llm/ollama/ollama_backend.hpp"

#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "generate/prompts.hpp"
#include "generate/unit.hpp"
#include "http_test_server.hpp"
#include "net/http.hpp"
#include "ollama_server.hpp"
#include "sys/paths.hpp"

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
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                   int threads = 0) {
    OllamaOptions o;
    o.threads = threads;
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

// A schema-constrained reply that falls into a loop inside one of its strings is stopped there
// too (the pairs it completed before are read from the cut JSON), not left to run to its budget.
TEST(OllamaContract, AConstrainedReplyThatLoopsIsStoppedEarly) {
  const std::string start = R"({"pairs":[{"question":"What does `add` do?","response":"It adds.)";
  std::vector<std::string> chunks;
  auto piece = [](const std::string& text) {
    return nlohmann::json({{"model", "tiny"},
                           {"message", {{"role", "assistant"}, {"content", text}}},
                           {"done", false}})
               .dump() +
           "\n";
  };
  chunks.push_back(piece(start));
  for (int i = 0; i < 200; ++i)
    chunks.push_back(piece(" It adds a and b."));
  chunks.push_back(k_done);
  Fake fake;
  fake.chat = [&](const ReceivedRequest&) { return lines(chunks); };
  GenerateRequest r = ask();
  r.max_tokens = 4000;
  r.json_schema = generate::pairs_schema(1);
  auto result = fake.backend(2048)->generate(r, {});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->finish, FinishReason::loop);
  EXPECT_THAT(result->text, ::testing::StartsWith(start));
  EXPECT_LT(result->text.size(), start.size() + 200) << result->text;
}

// llm.threads reaches Ollama's runner as num_thread; left at 0, Ollama chooses.
TEST(OllamaContract, TheThreadsGoToOllamaOnlyWhenSet) {
  for (int threads : {0, 3}) {
    Fake fake;
    fake.chat = [](const ReceivedRequest&) { return lines({k_hello, k_done}); };
    auto result = fake.backend(2048, std::chrono::seconds(10), threads)->generate(ask(), {});
    ASSERT_TRUE(result) << result.error().describe();
    auto requests = fake.server.requests();
    ASSERT_EQ(requests.size(), 2u);
    auto options = nlohmann::json::parse(requests[1].body)["options"];
    if (threads == 0)
      EXPECT_FALSE(options.contains("num_thread")) << options;
    else
      EXPECT_EQ(options["num_thread"], threads);
  }
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

TEST(OllamaContract, APromptOllamaTruncatedToTheContextIsAContextOverflow) {
  Fake fake;
  fake.chat = [](const ReceivedRequest&) {
    return lines({R"({"message":{"content":"x"},"done":true,"done_reason":"length",)"
                  R"("prompt_eval_count":2048,"eval_count":1})"
                  "\n"});
  };
  auto result = fake.backend(2048)->generate(ask(), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::context_overflow);
  EXPECT_THAT(result.error().message, HasSubstr("truncated"));
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

TEST(OllamaContract, AProbeAsksForTheVersionAndSendsTheKeyWhenSet) {
  Fake fake;
  fake.chat = [](const ReceivedRequest& r) {
    if (r.target == "/api/version")
      return json_reply(200, R"({"version":"0.17.4"})");
    return json_reply(503, R"({"error":"busy"})");
  };
  OllamaOptions o;
  o.base_url = fake.server.url();
  o.model = "tiny";
  o.api_key = "proxy-key-5b1";
  auto b = make_ollama_backend(o);
  ASSERT_TRUE(b->probe());
  auto requests = fake.server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/api/version");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer proxy-key-5b1");
  fake.chat = [](const ReceivedRequest&) { return json_reply(503, R"({"error":"busy"})"); };
  auto down = b->probe();
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::unavailable);
}

// One real Ollama for the suite (starting it and loading the model take seconds).
class OllamaReal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_server = test::OllamaServer::start(sys::default_model_path(), "tiny", s_why).release();
  }
  static void TearDownTestSuite() {
    delete s_server;
    s_server = nullptr;
  }
  void SetUp() override {
    if (s_server == nullptr && test::ollama_path().empty())
      GTEST_SKIP() << s_why;
    ASSERT_NE(s_server, nullptr) << s_why;
  }

  static std::unique_ptr<Backend> backend(const std::string& model = "tiny", int context = 2048) {
    OllamaOptions o;
    o.base_url = s_server->url();
    o.model = model;
    o.context_window = context;
    o.request_timeout = std::chrono::seconds(120);  // a loaded machine loads the model slowly
    o.keep_alive = std::chrono::seconds(300);
    o.threads = 1;  // one runner thread: a second one stalls both on a machine shared with others
    return make_ollama_backend(o);
  }

  // The names of the models Ollama has loaded now (GET /api/ps).
  static std::vector<std::string> loaded() {
    net::Client client;
    net::Request ps;
    ps.url = s_server->url() + "/api/ps";
    auto res = client.send(ps);
    std::vector<std::string> names;
    if (!res || res->status != 200)
      return {"(cannot read /api/ps)"};
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_object() && body.contains("models") && body["models"].is_array())
      for (const auto& m : body["models"])
        names.push_back(m.value("name", ""));
    return names;
  }

  static inline test::OllamaServer* s_server = nullptr;
  static inline std::string s_why;
};

TEST_F(OllamaReal, TheModelAndItsContextComeFromTheServer) {
  auto info = backend()->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->name, "tiny");
  EXPECT_EQ(info->context_length, 2048);          // num_ctx, as configured
  EXPECT_EQ(info->trained_context_length, 8192);  // SmolLM2-135M's, from /api/show
  EXPECT_TRUE(info->structured_output);
}

TEST_F(OllamaReal, AUnitGetsSchemaValidQuestionsAndAnAnswerToEach) {
  auto b = backend();
  generate::CodeUnit unit{
      "demo/add.c", "c", 1, 3, "", "int add(int a, int b) {\n  return a + b;\n}\n"};
  generate::UnitOptions options;
  options.questions = 2;
  options.max_tokens = 48;
  options.temperature = 0;
  options.prefix_key = "demo/add.c";
  auto pairs = generate::generate_unit(*b, generate::builtin_prompts(), unit, options, {});
  ASSERT_TRUE(pairs) << pairs.error().describe();
  ASSERT_EQ(pairs->size(), 2u);  // exactly questions_per_file: the schema held
  for (const auto& p : *pairs) {
    EXPECT_FALSE(p.question.empty());
    EXPECT_FALSE(p.answer.empty());
    EXPECT_GT(p.prompt_tokens, 20);  // the code and the question were evaluated
    EXPECT_GT(p.completion_tokens, 0);
    EXPECT_LE(p.completion_tokens, 48);
  }
}

TEST_F(OllamaReal, APromptOverTheContextIsAnOverflowNotSilentlyCut) {
  std::string code;
  for (int i = 0; i < 60; ++i)
    code += "int f" + std::to_string(i) + "(int x) { return x * " + std::to_string(i) + "; }\n";
  GenerateRequest r;
  r.messages = {{Role::user, code + "What does f3 do?"}};
  r.max_tokens = 4;
  auto reply = backend("tiny", 512)->generate(r, {});  // about 1,075 tokens into 512
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::context_overflow) << reply.error().describe();
}

TEST_F(OllamaReal, AMissingModelIsNamedNeverReplaced) {
  auto info = backend("no-such-model")->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::model_missing);
  EXPECT_THAT(info.error().message, HasSubstr("ollama pull no-such-model"));
}

TEST_F(OllamaReal, UnloadFreesTheModel) {
  auto b = backend();
  GenerateRequest r = ask();
  r.max_tokens = 4;
  auto reply = b->generate(r, {});
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_THAT(loaded(), ::testing::Contains(HasSubstr("tiny")));
  b->unload();
  // Ollama answers the keep_alive 0 request at once and frees the runner just after.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!loaded().empty() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(loaded().empty()) << "still loaded 15 s after unload (keep_alive 0)";
}

}  // namespace
}  // namespace g2d::llm::ollama
