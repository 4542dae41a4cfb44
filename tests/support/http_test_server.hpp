// tests/support/http_test_server.hpp — a real HTTP/1.1 server on 127.0.0.1 for the HTTP layer's
// tests: a handler answers each request with a Reply, which can inject faults (a connection
// closed before the reply, reset in the middle of the body, a truncated body, a stall).
//
// Thread-safety: the handler runs on the server's connection threads, one request at a time per
// connection; the accessors may be called from any thread. Connections are kept alive.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace g2d::test {

struct ReceivedRequest {
  std::string method;
  std::string target;                          // "/v1/chat/completions"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct Reply {
  enum class Fault {
    none,
    close_before_reply,  // the connection is closed without a byte
    reset_mid_body,      // the first chunk is sent, then the connection is reset
    truncated_body,      // Content-Length promises more than is sent, then close
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> chunks;     // the body, sent piece by piece
  std::chrono::milliseconds delay{0};  // before each chunk (a stall when long)
  bool chunked = false;                // Transfer-Encoding: chunked instead of Content-Length
  Fault fault = Fault::none;
  // When set, the body is produced while it is sent (chunked; `chunks` are ignored): `produce`
  // calls `write` with each piece as it has it (a proxy relaying a stream); `write` returns false
  // once the connection is gone. The faults and `delay` apply to the produced pieces too.
  std::function<void(const std::function<bool(std::string_view)>& write)> produce;
};

// A reply of `status` with a JSON body (Content-Type: application/json), sent in one piece.
Reply json_reply(int status, std::string body);

// An OpenAI-compatible chat completion streamed as server-sent events: `content` in one delta
// (finish_reason "stop"), then the usage (40 prompt and 12 completion tokens), then [DONE].
Reply chat_stream_reply(std::string_view content);

class TestHttpServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;
  explicit TestHttpServer(Handler handler);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return m_port; }
  std::string url() const;  // "http://127.0.0.1:<port>"
  int connections() const { return m_connections.load(); }
  std::vector<ReceivedRequest> requests() const;

 private:
  void accept_loop();
  void serve(int fd);

  Handler m_handler;
  int m_listen_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_connections{0};
  mutable std::mutex m_mutex;
  std::vector<ReceivedRequest> m_requests;  // guarded by m_mutex
  std::vector<int> m_open_fds;              // guarded by m_mutex
  std::vector<std::thread> m_threads;       // guarded by m_mutex
  std::thread m_acceptor;
};

}  // namespace g2d::test
