// The server backends (openai / mlx, ollama) against servers that do not stop: one huge event or
// line, an endless stream of tokens (a server ignoring max_tokens), a stream that trickles
// forever, and endless replies to the calls that generate nothing. Each call ends with a clear
// error at the reply's limits (llm/reply_limits.hpp), its limits taken small so the tests are
// quick. The servers are real HTTP servers on loopback (tests/support/http_test_server).
#include <atomic>
#include <chrono>
#include <functional>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_test_server.hpp"
#include "llm/ollama/ollama_backend.hpp"
#include "llm/openai/openai_backend.hpp"
#include "llm/reply_limits.hpp"

namespace g2d::llm {
namespace {

using namespace std::chrono_literals;
using test::json_reply;
using test::ReceivedRequest;
using test::Reply;
using test::TestHttpServer;
using ::testing::HasSubstr;

using Write = std::function<bool(std::string_view)>;

GenerateRequest ask(int max_tokens) {
  GenerateRequest r;
  r.messages = {{Role::user, "What does add do?"}};
  r.max_tokens = max_tokens;
  return r;
}

// A reply produced while it is sent: `produce` writes until the connection is gone (or it
// returns); `sent` counts the bytes it wrote.
Reply produced(std::function<void(const Write&)> produce, std::string content_type) {
  Reply r;
  r.headers = {{"Content-Type", std::move(content_type)}};
  r.produce = std::move(produce);
  return r;
}

// Writes `piece` until the connection is gone; counts the bytes written.
void forever(const Write& write, std::string_view piece, std::atomic<size_t>& sent) {
  while (write(piece))
    sent += piece.size();
}

// ---- OpenAI protocol (openai and mlx) -----------------------------------------------------------

std::string token_event(std::string_view text) {
  nlohmann::json delta = {{"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}};
  return "data: " + delta.dump() + "\n\n";
}

struct FakeOpenAi {
  std::function<Reply(const ReceivedRequest&)> chat;
  std::function<Reply()> models = [] {
    return json_reply(200, R"({"object":"list","data":[{"id":"tiny"}]})");
  };
  TestHttpServer server{[this](const ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return models();
    if (r.target == "/v1/chat/completions")
      return chat(r);
    return json_reply(404, R"({"error":"not found"})");
  }};
  std::unique_ptr<Backend> backend(std::chrono::milliseconds idle = 10s,
                                   double seconds_per_token = 1.0) {
    openai::OpenAiOptions o;
    o.base_url = server.url();
    o.model = "tiny";
    o.request_timeout = idle;
    o.seconds_per_token = seconds_per_token;
    return openai::make_openai_backend(o);
  }
};

TEST(ServerLimits, AReplyWithinItsLimitsIsRead) {
  FakeOpenAi fake;
  fake.chat = [](const ReceivedRequest&) {
    Reply r;
    r.chunked = true;
    r.headers = {{"Content-Type", "text/event-stream"}};
    for (int i = 0; i < 8; ++i)  // max_tokens events, and the server's own three
      r.chunks.push_back(token_event("x"));
    r.chunks.push_back(R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})"
                       "\n\n");
    r.chunks.push_back(R"(data: {"choices":[],"usage":{"completion_tokens":8}})"
                       "\n\n");
    r.chunks.push_back("data: [DONE]\n\n");
    return r;
  };
  auto result = fake.backend()->generate(ask(8), {});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->text, "xxxxxxxx");
  EXPECT_EQ(result->finish, FinishReason::length);
}

TEST(ServerLimits, AHugeEventIsCutOffAtTheReplysByteLimit) {
  FakeOpenAi fake;
  std::atomic<size_t> sent{0};
  fake.chat = [&](const ReceivedRequest&) {
    return produced(
        [&](const Write& write) {
          if (!write("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""))
            return;
          const std::string piece(4096, 'x');
          while (sent < 50'000'000 && write(piece))  // one 50 MB event, unless cut off
            sent += piece.size();
          write("\"}}]}\n\n");
        },
        "text/event-stream");
  };
  auto result = fake.backend()->generate(ask(64), {});
  ASSERT_FALSE(result);
  const ReplyLimits limits = reply_limits(64, 10s, 1.0);
  EXPECT_EQ(result.error().kind, ErrorKind::bad_output) << result.error().describe();
  EXPECT_THAT(result.error().message,
              HasSubstr(fmt::format("longer than {} bytes", limits.max_bytes)));
  EXPECT_LT(sent.load(), size_t{50'000'000}) << "the server was not cut off";
}

TEST(ServerLimits, AServerIgnoringMaxTokensIsCutOffAtTheEventLimit) {
  FakeOpenAi fake;
  std::atomic<size_t> sent{0};
  fake.chat = [&](const ReceivedRequest&) {
    return produced([&](const Write& write) { forever(write, token_event("x"), sent); },
                    "text/event-stream");
  };
  auto result = fake.backend()->generate(ask(32), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::bad_output) << result.error().describe();
  EXPECT_THAT(result.error().message,
              HasSubstr(fmt::format("more than {} events for a reply of at most 32 tokens",
                                    reply_limits(32, 10s, 1.0).max_messages)));
}

// Keep-alive comments every 20 ms: never idle, never an event, few bytes — only the total time
// limit (request_timeout 0.3 s + 10 tokens × 0.02 s) ends it.
TEST(ServerLimits, AStreamThatNeverEndsHitsTheTotalTimeLimit) {
  FakeOpenAi fake;
  std::atomic<size_t> sent{0};
  fake.chat = [&](const ReceivedRequest&) {
    Reply r = produced([&](const Write& write) { forever(write, ": keep-alive\n", sent); },
                       "text/event-stream");
    r.delay = 20ms;
    return r;
  };
  auto result = fake.backend(300ms, 0.02)->generate(ask(10), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::timeout) << result.error().describe();
  EXPECT_THAT(result.error().message, HasSubstr("not finished after 0.5 s"));
  EXPECT_GT(sent.load(), 0u);
}

TEST(ServerLimits, AnEndlessModelListIsCutOff) {
  FakeOpenAi fake;
  std::atomic<size_t> sent{0};
  fake.models = [&] {
    return produced(
        [&](const Write& write) {
          std::string entries;
          for (int i = 0; i < 1000; ++i)
            entries += R"({"id":"another-model-name-to-list"},)";
          if (write(R"({"object":"list","data":[)"))
            forever(write, entries, sent);
        },
        "application/json");
  };
  auto info = fake.backend()->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::bad_output) << info.error().describe();
  EXPECT_THAT(info.error().message, HasSubstr("/v1/models: the reply is longer than 16777216"));
}

TEST(ServerLimits, AnEndlessErrorBodyIsCutOff) {
  FakeOpenAi fake;
  std::atomic<size_t> sent{0};
  fake.chat = [&](const ReceivedRequest&) {
    Reply r = produced([&](const Write& write) { forever(write, std::string(4096, '!'), sent); },
                       "text/plain");
    r.status = 500;
    return r;
  };
  auto result = fake.backend()->generate(ask(16), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::bad_output) << result.error().describe();
  EXPECT_THAT(result.error().message, HasSubstr("longer than"));
}

// ---- Ollama (NDJSON) ----------------------------------------------------------------------------

std::string token_line(std::string_view text) {
  nlohmann::json line = {
      {"model", "tiny"}, {"message", {{"role", "assistant"}, {"content", text}}}, {"done", false}};
  return line.dump() + "\n";
}

struct FakeOllama {
  std::function<Reply(const ReceivedRequest&)> chat;
  TestHttpServer server{[this](const ReceivedRequest& r) {
    if (r.target == "/api/show")
      return json_reply(200, R"({"model_info":{"llama.context_length":8192}})");
    return chat(r);
  }};
  std::unique_ptr<Backend> backend(std::chrono::milliseconds idle = 10s,
                                   double seconds_per_token = 1.0) {
    ollama::OllamaOptions o;
    o.base_url = server.url();
    o.model = "tiny";
    o.request_timeout = idle;
    o.seconds_per_token = seconds_per_token;
    return ollama::make_ollama_backend(o);
  }
};

TEST(ServerLimits, AHugeOllamaLineIsCutOffAtTheReplysByteLimit) {
  FakeOllama fake;
  std::atomic<size_t> sent{0};
  fake.chat = [&](const ReceivedRequest&) {
    return produced(
        [&](const Write& write) {
          if (!write(R"({"model":"tiny","message":{"role":"assistant","content":")"))
            return;
          const std::string piece(4096, 'x');
          while (sent < 50'000'000 && write(piece))
            sent += piece.size();
          write("\"},\"done\":true}\n");
        },
        "application/x-ndjson");
  };
  auto result = fake.backend()->generate(ask(64), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::bad_output) << result.error().describe();
  EXPECT_THAT(result.error().message,
              HasSubstr(fmt::format("longer than {} bytes", reply_limits(64, 10s, 1).max_bytes)));
  EXPECT_LT(sent.load(), size_t{50'000'000}) << "the server was not cut off";
}

TEST(ServerLimits, AnOllamaIgnoringNumPredictIsCutOffAtTheLineLimit) {
  FakeOllama fake;
  std::atomic<size_t> sent{0};
  fake.chat = [&](const ReceivedRequest&) {
    return produced([&](const Write& write) { forever(write, token_line("x"), sent); },
                    "application/x-ndjson");
  };
  auto result = fake.backend()->generate(ask(32), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::bad_output) << result.error().describe();
  EXPECT_THAT(result.error().message,
              HasSubstr(fmt::format("more than {} lines for a reply of at most 32 tokens",
                                    reply_limits(32, 10s, 1.0).max_messages)));
}

TEST(ServerLimits, AnOllamaStreamThatNeverEndsHitsTheTotalTimeLimit) {
  FakeOllama fake;
  std::atomic<size_t> sent{0};
  fake.chat = [&](const ReceivedRequest&) {
    Reply r = produced([&](const Write& write) { forever(write, "\n", sent); },  // blank lines
                       "application/x-ndjson");
    r.delay = 20ms;
    return r;
  };
  auto result = fake.backend(300ms, 0.02)->generate(ask(10), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::timeout) << result.error().describe();
  EXPECT_THAT(result.error().message, HasSubstr("not finished after 0.5 s"));
}

TEST(ServerLimits, LimitsFollowTheTokensAskedFor) {
  const ReplyLimits small = reply_limits(100, 300s, 1.0);
  EXPECT_EQ(small.max_messages, 100u + 25u + k_extra_reply_messages);
  EXPECT_EQ(small.max_bytes, small.max_messages * k_reply_bytes_per_message + k_reply_slack_bytes);
  EXPECT_EQ(small.total_time, 400s);
  const ReplyLimits large = reply_limits(4096, 300s, 0.5);
  EXPECT_GT(large.max_messages, small.max_messages);
  EXPECT_EQ(large.total_time, 300s + 2048s);
  EXPECT_EQ(reply_limits(4096, 300s, 0).total_time, 0s) << "0 seconds per token: no total limit";
  EXPECT_EQ(reply_limits(0, 0s, 1).max_messages, 1u + k_extra_reply_messages);
}

}  // namespace
}  // namespace g2d::llm
