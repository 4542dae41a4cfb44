// The openai backend against a real llama-server serving the tiny model (model info, tokenizer,
// schema-constrained questions, prefix reuse on a pinned slot, typed errors), and against a fake
// OpenAI server (tests/support/http_test_server) that injects each protocol and transport fault.
#include "llm/openai/openai_backend.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "generate/prompts.hpp"
#include "http_test_server.hpp"
#include "llama_server.hpp"
#include "llm/json_schema.hpp"
#include "llm/llama/llama_backend.hpp"
#include "support.hpp"

namespace g2d::llm::openai {
namespace {

using test::json_reply;
using test::ReceivedRequest;
using test::Reply;
using test::TestHttpServer;
using ::testing::HasSubstr;

GenerateRequest ask(const std::string& code, const std::string& task, int max_tokens = 24) {
  GenerateRequest r;
  r.messages = {{Role::system, "You are a careful C programmer who answers from the code only."},
                {Role::user, "File: a.c\n\n```c\n" + code + "\n```\n\n" + task}};
  r.max_tokens = max_tokens;
  r.temperature = 0;
  return r;
}

const std::string k_code =
    "int add(int a, int b) { return a + b; }\n"
    "int sub(int a, int b) { return a - b; }\n"
    "int mul(int a, int b) { return a * b; }\n"
    "int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }\n";

class OpenAiLlamaServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_server = test::LlamaServer::start(test::tiny_model_path(), {"-c", "4096", "-np", "2"}, s_why)
                   .release();
  }
  static void TearDownTestSuite() {
    delete s_server;
    s_server = nullptr;
  }
  void SetUp() override {
    if (s_server == nullptr)
      GTEST_SKIP() << "no llama-server: " << s_why;
  }
  std::unique_ptr<Backend> backend(const std::string& model = "") const {
    OpenAiOptions o;
    o.base_url = s_server->url() + "/v1";
    o.model = model;
    return make_openai_backend(o);
  }

  static test::LlamaServer* s_server;
  static std::string s_why;
};
test::LlamaServer* OpenAiLlamaServer::s_server = nullptr;
std::string OpenAiLlamaServer::s_why;

TEST_F(OpenAiLlamaServer, DescribesTheServersModelAndContext) {
  auto b = backend();
  auto info = b->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_FALSE(info->name.empty());
  EXPECT_GT(info->context_length, 0);
  EXPECT_LE(info->context_length, 4096);
  EXPECT_TRUE(info->structured_output);
  // The name it found is accepted when configured explicitly.
  EXPECT_TRUE(backend(info->name)->model_info());
}

TEST_F(OpenAiLlamaServer, CountsTokensWithTheServersTokenizerLikeTheEmbeddedEngine) {
  llama::EngineOptions eo;
  eo.model = test::tiny_model_path();
  eo.threads = 1;
  auto embedded = llama::make_llama_backend(eo);
  auto theirs = backend()->count_tokens(k_code);
  auto ours = embedded->count_tokens(k_code);
  ASSERT_TRUE(theirs) << theirs.error().describe();
  ASSERT_TRUE(ours) << ours.error().describe();
  EXPECT_EQ(*theirs, *ours);
  EXPECT_GT(*theirs, 20);
}

TEST_F(OpenAiLlamaServer, QuestionsFollowTheSchema) {
  auto b = backend();
  GenerateRequest r = ask(k_code, "Write 2 questions about this code as JSON.", 200);
  r.json_schema = generate::questions_schema(2);
  auto result = b->generate(r, {});
  ASSERT_TRUE(result) << result.error().describe();
  auto json = nlohmann::json::parse(result->text, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << result->text;
  EXPECT_THAT(validate_json(json, *r.json_schema), testing::IsEmpty()) << result->text;
  EXPECT_GT(result->prompt_tokens, 0);
  EXPECT_GT(result->completion_tokens, 0);
}

TEST_F(OpenAiLlamaServer, AUnitsLaterCallsReuseItsPromptOnItsSlot) {
  auto b = backend();
  GenerateRequest first = ask(k_code, "What does add return?");
  first.prefix_key = "github.com/o/r/a.c@1#L1-4";
  ASSERT_TRUE(b->generate(first, {}));
  GenerateRequest second = ask(k_code, "What does clamp return?");
  second.prefix_key = first.prefix_key;
  auto result = b->generate(second, {});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_GT(result->cached_prompt_tokens, 50) << "the server evaluated the code again";
}

TEST_F(OpenAiLlamaServer, AMissingModelIsNamed) {
  auto result = backend("no-such-model")->generate(ask(k_code, "Why?"), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::model_missing);
  EXPECT_THAT(result.error().message, HasSubstr("no-such-model"));
}

TEST_F(OpenAiLlamaServer, APromptOverTheContextIsAContextOverflow) {
  std::string huge;
  for (int i = 0; i < 900; ++i)
    huge += "int f" + std::to_string(i) + "(int x) { return x * " + std::to_string(i) + "; }\n";
  auto result = backend()->generate(ask(huge, "Explain."), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::context_overflow) << result.error().describe();
}

// --- A fake OpenAI server: protocol and transport faults. -----------------------------------

Reply models() {
  return json_reply(200, R"({"object":"list","data":[{"id":"fake-model"}]})");
}

Reply events(std::vector<std::string> chunks) {
  Reply r;
  r.chunked = true;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.chunks = std::move(chunks);
  return r;
}

const std::string k_delta_hello =
    R"(data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]})"
    "\n\n"
    R"(data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]})"
    "\n\n";
const std::string k_usage =
    R"(data: {"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":2,)"
    R"("prompt_tokens_details":{"cached_tokens":30}}})"
    "\n\ndata: [DONE]\n\n";

Result<GenerateResult> against(const std::function<Reply(const ReceivedRequest&)>& completions,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10),
                               const GenerateRequest& asked = ask(k_code, "Why?")) {
  TestHttpServer server([&](const ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return models();
    if (r.target == "/props")
      return json_reply(404, R"({"error":"not found"})");
    return completions(r);
  });
  OpenAiOptions o;
  o.base_url = server.url();
  o.request_timeout = timeout;
  return make_openai_backend(o)->generate(asked, {});
}

// mlx_lm.server answers 404 with a Hugging Face message that does not say which model.
TEST(OpenAiFakeServer, A404ForTheCompletionNamesTheModelAskedFor) {
  auto result = against([](const ReceivedRequest&) {
    return json_reply(404, R"({"error":"Cannot find an appropriate cached snapshot folder"})");
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::model_missing);
  EXPECT_THAT(result.error().describe(), HasSubstr("no model \"fake-model\""));
  EXPECT_THAT(result.error().describe(), HasSubstr("cached snapshot folder"));
}

TEST(OpenAiFakeServer, AStreamedReplyIsAssembledWithItsUsage) {
  ReceivedRequest seen;
  auto result = against([&](const ReceivedRequest& r) {
    seen = r;
    return events({k_delta_hello, k_usage});
  });
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->text, "Hello");
  EXPECT_EQ(result->prompt_tokens, 42);
  EXPECT_EQ(result->cached_prompt_tokens, 30);
  EXPECT_EQ(result->completion_tokens, 2);
  auto body = nlohmann::json::parse(seen.body);
  EXPECT_EQ(body["model"], "fake-model");
  EXPECT_EQ(body["stream"], true);
  EXPECT_FALSE(body.contains("id_slot")) << "slots are llama-server's only";
}

// A schema-constrained reply that falls into a loop inside one of its strings is stopped there
// too (the pairs it completed before are read from the cut JSON), not left to run to its budget.
TEST(OpenAiFakeServer, AConstrainedReplyThatLoopsIsStoppedEarly) {
  const std::string start = R"({"pairs":[{"question":"What does `add` do?","response":"It adds.)";
  auto delta = [](const std::string& text) {
    return "data: " +
           nlohmann::json({{"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}}).dump() +
           "\n\n";
  };
  std::vector<std::string> chunks = {delta(start)};
  for (int i = 0; i < 200; ++i)
    chunks.push_back(delta(" It adds a and b."));
  chunks.push_back(k_usage);
  GenerateRequest asked = ask(k_code, "Write 1 pair.", 4000);
  asked.json_schema = generate::pairs_schema(1);
  auto result = against([&](const ReceivedRequest&) { return events(chunks); },
                        std::chrono::seconds(10), asked);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->finish, FinishReason::loop);
  EXPECT_THAT(result->text, ::testing::StartsWith(start));
  EXPECT_LT(result->text.size(), start.size() + 200) << result->text;
}

TEST(OpenAiFakeServer, EachFaultHasItsErrorKind) {
  struct Case {
    const char* name;
    std::function<Reply(const ReceivedRequest&)> reply;
    ErrorKind kind;
  };
  std::vector<Case> cases = {
      {"503 loading",
       [](auto&) { return json_reply(503, R"({"error":{"message":"Loading model"}})"); },
       ErrorKind::unavailable},
      {"500", [](auto&) { return json_reply(500, "oops"); }, ErrorKind::unavailable},
      {"401", [](auto&) { return json_reply(401, R"({"error":{"message":"bad key"}})"); },
       ErrorKind::rejected},
      {"400 context",
       [](auto&) {
         return json_reply(
             400,
             R"j({"error":{"message":"request (5000 tokens) exceeds the available context size (4096 tokens)","type":"exceed_context_size_error"}})j");
       },
       ErrorKind::context_overflow},
      {"400 other", [](auto&) { return json_reply(400, R"({"error":{"message":"bad field"}})"); },
       ErrorKind::rejected},
      {"malformed event", [](auto&) { return events({"data: {not json\n\n"}); },
       ErrorKind::bad_output},
      // llama-server's chat parser refusing what the model wrote: the model's fault, not the
      // server's (asked again at once, and never counted against the server's health).
      {"unparsable output, in the stream",
       [](auto&) {
         return events({k_delta_hello,
                        R"(data: {"error":{"code":500,"message":"The model produced output that )"
                        R"(does not match the expected peg-native format","type":"server_error"}})"
                        "\n\n"});
       },
       ErrorKind::bad_output},
      {"unparsable output, as a 500",
       [](auto&) {
         return json_reply(500, R"({"error":{"code":500,"message":"The model produced output )"
                                R"(that does not match the expected peg-native format"}})");
       },
       ErrorKind::bad_output},
      {"ends early",
       [](auto&) {
         return events({R"(data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]})"
                        "\n\n"});
       },
       ErrorKind::unavailable},
      {"reset mid-stream",
       [](auto&) {
         Reply r = events({k_delta_hello, k_usage});
         r.fault = Reply::Fault::reset_mid_body;
         return r;
       },
       ErrorKind::unavailable},
      {"refused before reply",
       [](auto&) {
         Reply r;
         r.fault = Reply::Fault::close_before_reply;
         return r;
       },
       ErrorKind::unavailable},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto result = against(c.reply);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, c.kind) << result.error().describe();
  }
}

TEST(OpenAiFakeServer, AStallLongerThanTheRequestTimeoutIsATimeout) {
  auto result = against(
      [](const ReceivedRequest&) {
        Reply r = events({k_delta_hello, k_usage});
        r.delay = std::chrono::milliseconds(2500);
        return r;
      },
      std::chrono::seconds(1));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::timeout);
}

TEST(OpenAiFakeServer, TheApiKeyIsSentButNeverShown) {
  ReceivedRequest seen;
  TestHttpServer server([&](const ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return models();
    seen = r;
    return json_reply(401, R"({"error":{"message":"invalid key"}})");
  });
  OpenAiOptions o;
  o.base_url = server.url();
  o.api_key = "sk-test-7f3a9";
  auto result = make_openai_backend(o)->generate(ask(k_code, "Why?"), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(seen.headers["authorization"], "Bearer sk-test-7f3a9");
  EXPECT_THAT(result.error().describe(), ::testing::Not(HasSubstr("sk-test-7f3a9")));
}

TEST(OpenAiFakeServer, ALlamaServersUnitKeepsOneSlotAndItsCallsTakeTurns) {
  std::mutex m;
  std::vector<int> slots;
  int in_flight = 0;
  int most_in_flight = 0;
  TestHttpServer server([&](const ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return models();
    if (r.target == "/props")
      return json_reply(200, R"({"default_generation_settings":{"n_ctx":2048},"total_slots":2})");
    {
      std::lock_guard lock(m);
      slots.push_back(nlohmann::json::parse(r.body)["id_slot"].get<int>());
      most_in_flight = std::max(most_in_flight, ++in_flight);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    {
      std::lock_guard lock(m);
      --in_flight;
    }
    return events({k_delta_hello, k_usage});
  });
  OpenAiOptions o;
  o.base_url = server.url();
  auto b = make_openai_backend(o);
  GenerateRequest unit1 = ask(k_code, "Why?");
  unit1.prefix_key = "unit-1";
  GenerateRequest unit2 = unit1;
  unit2.prefix_key = "unit-2";
  {
    std::vector<std::jthread> calls;
    for (int i = 0; i < 3; ++i)
      calls.emplace_back([&] { EXPECT_TRUE(b->generate(unit1, {})); });
  }
  EXPECT_TRUE(b->generate(unit2, {}));
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_EQ(slots[0], slots[1]);
  EXPECT_EQ(slots[1], slots[2]);
  EXPECT_NE(slots[3], slots[0]) << "a second unit gets the other slot";
  EXPECT_EQ(most_in_flight, 1) << "a unit's calls take turns on its slot";
}

// Three units on two slots: the third, started after the second ended, takes the second's slot —
// never the first's, whose unit is still working (it would wait and lose its prompt), though that
// one is next in turn.
TEST(OpenAiFakeServer, AnEndedUnitsSlotGoesToTheNextUnit) {
  std::mutex m;
  std::vector<std::pair<std::string, int>> slots;  // (question, slot)
  TestHttpServer server([&](const ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return models();
    if (r.target == "/props")
      return json_reply(200, R"({"default_generation_settings":{"n_ctx":2048},"total_slots":2})");
    auto body = nlohmann::json::parse(r.body);
    std::lock_guard lock(m);
    slots.emplace_back(body["messages"].back()["content"].get<std::string>(),
                       body["id_slot"].get<int>());
    return events({k_delta_hello, k_usage});
  });
  OpenAiOptions o;
  o.base_url = server.url();
  auto b = make_openai_backend(o);
  auto unit = [](std::string key, std::string question) {
    GenerateRequest r = ask(k_code, std::move(question));
    r.prefix_key = std::move(key);
    return r;
  };
  ASSERT_TRUE(b->generate(unit("u1", "one"), {}));
  ASSERT_TRUE(b->generate(unit("u2", "two"), {}));
  b->end_prefix("u2");
  ASSERT_TRUE(b->generate(unit("u3", "three"), {}));
  ASSERT_TRUE(b->generate(unit("u1", "one again"), {}));
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_NE(slots[0].second, slots[1].second);
  EXPECT_EQ(slots[2].second, slots[1].second) << "u3 takes u2's slot";
  EXPECT_EQ(slots[3].second, slots[0].second) << "u1 keeps its own";
}

TEST(OpenAiFakeServer, AProbeAsksLlamaServersHealthAndSaysWhenItIsGone) {
  std::atomic<int> health{0};
  std::atomic<int> health_status{200};
  auto server = std::make_unique<TestHttpServer>([&](const ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return models();
    if (r.target == "/props")
      return json_reply(200, R"({"default_generation_settings":{"n_ctx":2048},"total_slots":2})");
    if (r.target == "/health") {
      ++health;
      return health_status == 200
                 ? json_reply(200, R"({"status":"ok"})")
                 : json_reply(503, R"({"error":{"code":503,"message":"Loading model"}})");
    }
    return events({k_delta_hello, k_usage});
  });
  OpenAiOptions o;
  o.base_url = server->url();
  auto b = make_openai_backend(o);
  ASSERT_TRUE(b->probe());  // asks for the model first
  ASSERT_TRUE(b->probe());
  EXPECT_GE(health.load(), 1);
  health_status = 503;
  auto loading = b->probe();
  ASSERT_FALSE(loading);
  EXPECT_EQ(loading.error().kind, ErrorKind::unavailable);
  server.reset();
  auto gone = b->probe();
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::unavailable);
}

TEST(OpenAiFakeServer, UsageFieldsOfTheWrongTypeAreIgnored) {
  auto result = against([](const ReceivedRequest&) {
    return events({k_delta_hello,
                   R"(data: {"choices":[],"usage":{"prompt_tokens":null,"completion_tokens":"2",)"
                   R"("prompt_tokens_details":{"cached_tokens":null}},"timings":{"cache_n":null}})"
                   "\n\ndata: [DONE]\n\n"});
  });
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->text, "Hello");
  EXPECT_EQ(result->prompt_tokens, 0);
}

TEST(OpenAiFakeServer, AnUnreachableServerIsUnavailable) {
  int port;
  {
    TestHttpServer gone([](const ReceivedRequest&) { return Reply{}; });
    port = gone.port();
  }
  OpenAiOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  auto info = make_openai_backend(o)->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::unavailable);
}

}  // namespace
}  // namespace g2d::llm::openai
