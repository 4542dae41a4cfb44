// The HTTP layer against a real HTTP server on loopback (tests/support/http_test_server): bodies,
// streaming, connection reuse, and each transport fault mapped to its error kind.
#include "net/http.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_test_server.hpp"

namespace g2d::net {
namespace {

using test::ReceivedRequest;
using test::Reply;
using test::TestHttpServer;
using ::testing::HasSubstr;
using ::testing::Not;

Reply ok(std::string body) {
  Reply r;
  r.chunks = {std::move(body)};
  r.headers = {{"Content-Type", "application/json"}};
  return r;
}

TEST(Http, PostsABodyWithItsHeadersAndReadsTheReply) {
  TestHttpServer server([](const ReceivedRequest& r) { return ok("{\"echo\":" + r.body + "}"); });
  Client client;
  Request req;
  req.method = "POST";
  req.url = server.url() + "/v1/chat/completions";
  req.headers = {{"Authorization", "Bearer sk-secret"}};
  req.body = R"({"a":1})";
  auto res = client.send(req);
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"echo":{"a":1}})");
  EXPECT_EQ(res->headers["content-type"], "application/json");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].headers["authorization"], "Bearer sk-secret");
  EXPECT_EQ(seen[0].headers["content-type"], "application/json");
}

TEST(Http, AnErrorStatusIsAResponseWithItsBody) {
  TestHttpServer server([](const ReceivedRequest&) {
    Reply r = ok(R"({"error":"model 'x' not found"})");
    r.status = 404;
    return r;
  });
  Client client;
  std::string streamed;
  auto res =
      client.send({"GET", server.url() + "/api/show", {}, "", {}, {}}, {}, [&](std::string_view c) {
        streamed += c;
        return true;
      });
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr("not found"));
  EXPECT_TRUE(streamed.empty()) << "an error body is not streamed";
}

TEST(Http, ABodyIsStreamedPieceByPieceAsItArrives) {
  TestHttpServer server([](const ReceivedRequest&) {
    Reply r;
    r.chunked = true;
    r.chunks = {"data: 1\n\n", "data: 2\n\n", "data: [DONE]\n\n"};
    r.delay = std::chrono::milliseconds(30);
    return r;
  });
  Client client;
  std::vector<std::string> pieces;
  auto res = client.send({"GET", server.url() + "/s", {}, "", {}, {}}, {}, [&](std::string_view c) {
    pieces.emplace_back(c);
    return true;
  });
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(pieces.size(), 3u) << "each chunk arrives on its own";
  EXPECT_TRUE(res->body.empty());
}

TEST(Http, TheConnectionIsReusedBetweenRequests) {
  TestHttpServer server([](const ReceivedRequest&) { return ok("{}"); });
  Client client;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(client.send({"GET", server.url() + "/x", {}, "", {}, {}}));
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests().size(), 5u);
}

TEST(Http, ARefusedConnectionIsUnavailable) {
  int port;
  {
    TestHttpServer gone([](const ReceivedRequest&) { return ok(""); });
    port = gone.port();
  }
  Client client;
  auto res = client.send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, "", {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::unavailable);
}

TEST(Http, AResetMidStreamIsUnavailableAndTheNextRequestReconnects) {
  std::atomic<int> n{0};
  TestHttpServer server([&](const ReceivedRequest&) {
    Reply r;
    r.chunked = true;
    r.chunks = {"data: 1\n\n", "data: 2\n\n"};
    if (n++ == 0)
      r.fault = Reply::Fault::reset_mid_body;
    return r;
  });
  Client client;
  auto first = client.send({"GET", server.url() + "/s", {}, "", {}, {}}, {},
                           [](std::string_view) { return true; });
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::unavailable);
  auto second = client.send({"GET", server.url() + "/s", {}, "", {}, {}});
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_EQ(second->body, "data: 1\n\ndata: 2\n\n");
  EXPECT_EQ(server.connections(), 2);
}

TEST(Http, ATruncatedBodyOrAClosedConnectionIsUnavailable) {
  for (auto fault : {Reply::Fault::truncated_body, Reply::Fault::close_before_reply}) {
    TestHttpServer server([&](const ReceivedRequest&) {
      Reply r = ok(R"({"partial":)");
      r.fault = fault;
      return r;
    });
    Client client;
    auto res = client.send({"GET", server.url() + "/", {}, "", {}, {}});
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().kind, ErrorKind::unavailable) << res.error().describe();
  }
}

TEST(Http, AStallLongerThanTheIdleTimeoutIsATimeoutButSlowProgressIsNot) {
  TestHttpServer server([](const ReceivedRequest& r) {
    Reply reply;
    reply.chunked = true;
    if (r.target == "/stall") {
      reply.chunks = {"a", "b"};
      reply.delay = std::chrono::milliseconds(3500);
    } else {  // a byte every 600 ms for 3 s: slow, but never idle for a second
      reply.chunks = {"1", "2", "3", "4", "5"};
      reply.delay = std::chrono::milliseconds(600);
    }
    return reply;
  });
  Client client;
  Request req{"GET", server.url() + "/stall", {}, "", std::chrono::seconds(1), {}};
  auto stalled = client.send(req);
  ASSERT_FALSE(stalled);
  EXPECT_EQ(stalled.error().kind, ErrorKind::timeout) << stalled.error().describe();
  req.url = server.url() + "/slow";
  auto slow = client.send(req);
  ASSERT_TRUE(slow) << slow.error().describe();
  EXPECT_EQ(slow->body, "12345");
}

// A byte every 20 ms, without end: never idle, so only the total time limit ends it.
TEST(Http, AReplyThatNeverEndsIsATimeoutAtTheTotalLimit) {
  TestHttpServer server([](const ReceivedRequest&) {
    Reply reply;
    reply.produce = [](const std::function<bool(std::string_view)>& write) {
      while (write(":")) {
      }
    };
    reply.delay = std::chrono::milliseconds(20);
    return reply;
  });
  Client client;
  Request req;
  req.url = server.url() + "/endless";
  req.idle_timeout = std::chrono::seconds(5);
  req.total_timeout = std::chrono::milliseconds(400);
  size_t received = 0;
  auto res = client.send(req, {}, [&](std::string_view bytes) {
    received += bytes.size();
    return true;
  });
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::timeout) << res.error().describe();
  EXPECT_THAT(res.error().message, HasSubstr("not finished after 0.4 s"));
  EXPECT_GT(received, 0u);
}

// Streamed to a reader, collected, or an error status's body: each ends at max_body_bytes.
TEST(Http, ABodyOverItsLimitIsCutOffAsBadOutput) {
  TestHttpServer server([](const ReceivedRequest& r) {
    Reply reply;
    if (r.target == "/error")
      reply.status = 500;
    reply.produce = [](const std::function<bool(std::string_view)>& write) {
      const std::string piece(1000, 'x');
      while (write(piece)) {
      }
    };
    return reply;
  });
  Client client;
  for (const char* target : {"/streamed", "/collected", "/error"}) {
    SCOPED_TRACE(target);
    Request req;
    req.url = server.url() + target;
    req.max_body_bytes = 100'000;
    size_t streamed = 0;
    DataSink sink = [&](std::string_view bytes) {
      streamed += bytes.size();
      return true;
    };
    auto res =
        std::string_view(target) == "/collected" ? client.send(req) : client.send(req, {}, sink);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().kind, ErrorKind::bad_output) << res.error().describe();
    EXPECT_THAT(res.error().message, HasSubstr("the reply is longer than 100000 bytes"));
    EXPECT_LE(streamed, 100'000u);
  }
  // Within the limit, the same body is read whole.
  TestHttpServer small([](const ReceivedRequest&) { return ok(std::string(100'000, 'y')); });
  Request req;
  req.url = small.url() + "/";
  req.max_body_bytes = 100'000;
  auto res = client.send(req);
  ASSERT_TRUE(res) << res.error().describe();
  EXPECT_EQ(res->body.size(), 100'000u);
}

TEST(Http, EndlessHeadersAreCutOffAsBadOutput) {
  TestHttpServer server([](const ReceivedRequest&) {
    Reply reply = ok("{}");
    for (int i = 0; i < 2000; ++i)
      reply.headers.emplace_back(fmt::format("X-Padding-{}", i), std::string(1000, 'p'));
    return reply;
  });
  Client client;
  auto res = client.send({"GET", server.url() + "/", {}, "", {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::bad_output) << res.error().describe();
  EXPECT_THAT(res.error().message, HasSubstr("headers are longer than"));
}

TEST(Http, AStopRequestCancelsATransferInFlight) {
  std::stop_source stop;
  TestHttpServer server([&stop](const ReceivedRequest&) {
    stop.request_stop();  // the request has arrived: the transfer is in flight
    Reply r;
    r.chunked = true;
    r.chunks = {"a", "b", "c"};
    r.delay = std::chrono::seconds(2);
    return r;
  });
  Client client;
  auto start = std::chrono::steady_clock::now();
  auto res = client.send({"GET", server.url() + "/", {}, "", {}, {}}, stop.get_token());
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2))
      << "the stop must not wait for the server";
}

TEST(Http, AReaderThatStopsCancelsTheTransfer) {
  TestHttpServer server([](const ReceivedRequest&) {
    Reply r;
    r.chunked = true;
    r.chunks = {"a", "b", "c"};
    r.delay = std::chrono::milliseconds(20);
    return r;
  });
  Client client;
  auto res = client.send({"GET", server.url() + "/", {}, "", {}, {}}, {},
                         [](std::string_view) { return false; });
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::cancelled);
}

TEST(Http, AReaderThatThrowsEndsTheTransferWithAnErrorNotACrash) {
  TestHttpServer server([](const ReceivedRequest&) { return ok("{}"); });
  Client client;
  auto res = client.send({"GET", server.url() + "/", {}, "", {}, {}}, {},
                         [](std::string_view) -> bool { throw std::runtime_error("bad field"); });
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::bad_output);
  EXPECT_THAT(res.error().message, HasSubstr("bad field"));
}

TEST(Http, CredentialsNeverReachAnErrorOrALogLine) {
  Client client;
  auto res =
      client.send({"GET", "http://user:hunter2@127.0.0.1:1/x?api_key=sk-123&q=1", {}, "", {}, {}});
  ASSERT_FALSE(res);
  EXPECT_THAT(res.error().message, Not(HasSubstr("hunter2")));
  EXPECT_THAT(res.error().message, Not(HasSubstr("sk-123")));
  EXPECT_EQ(redact_url("https://u:p@host:8080/v1?key=abc&model=m#f"),
            "https://host:8080/v1?key=***&model=m#f");
  EXPECT_EQ(redact_url("http://localhost:11434/api/chat"), "http://localhost:11434/api/chat");
  EXPECT_EQ(redact_header("Authorization", "Bearer sk-1"), "Authorization: ***");
  EXPECT_EQ(redact_header("X-Api-Key", "k"), "X-Api-Key: ***");
  EXPECT_EQ(redact_header("Accept", "text/event-stream"), "Accept: text/event-stream");
}

// Neither is worth a retry: the address or the scheme in llm.base_url is wrong.
TEST(Http, AHostThatCannotBeResolvedIsAConfigurationError) {
  Client client;
  auto res = client.send({"GET", "http://g2d-no-such-host.invalid:1/v1/models", {}, "", {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::config) << res.error().describe();
  EXPECT_THAT(res.error().message, HasSubstr("g2d-no-such-host.invalid"));
}

TEST(Http, ATlsFailureIsAConfigurationError) {
  // A plain-HTTP server that answers whatever arrives (a TLS hello, here) at once.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  std::jthread plain([listener] {
    int conn = ::accept(listener, nullptr, nullptr);
    if (conn >= 0) {
      std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      (void)::write(conn, reply.data(), reply.size());
      ::shutdown(conn, SHUT_RDWR);
      ::close(conn);
    }
  });
  Client client;
  Request req{"GET",
              "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/",
              {},
              "",
              std::chrono::seconds(20),
              std::chrono::seconds(10)};
  auto res = client.send(req);
  plain.join();
  ::close(listener);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::config) << res.error().describe();
  EXPECT_THAT(res.error().message, HasSubstr("TLS"));
}

TEST(Http, AMalformedUrlIsInvalid) {
  Client client;
  auto res = client.send({"GET", "ftp://example.com/x", {}, "", {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().kind, ErrorKind::invalid_argument);
}

}  // namespace
}  // namespace g2d::net
