// net/http.hpp — the one HTTP layer under the server backends (Ollama, OpenAI-compatible, MLX):
// libcurl with connection reuse, streamed response bodies, an idle timeout, cancellation, and
// URLs and headers made safe to log.
//
// Timeouts: `idle_timeout` is the longest time without a byte received; `total_timeout` the
// longest the whole exchange may take however steadily bytes arrive (a server that never stops
// streaming is cut off there); `connect_timeout` bounds connecting. Size: a body (streamed or
// collected, an error status's included) longer than `max_body_bytes`, or response headers longer
// than 256 KiB, end the transfer. Cancellation: a stop request aborts the transfer within about
// 100 ms.
// A broken connection is dropped by libcurl and the next request opens a new one.
//
// Ownership: a Client owns one curl handle (and so its open connection); it is movable.
// Thread-safety: a Client is used by one thread at a time (one per worker); different Clients may
// run at once. curl_global_init happens once, thread-safely, on first use.
// Errors (Error::kind): config — the host name cannot be resolved, or TLS fails (a wrong URL or
// scheme, an untrusted certificate: not worth a retry); unavailable — cannot connect, the
// connection was reset or closed early, or another transport failure; timeout — nothing received
// for idle_timeout, not finished within total_timeout (or no connection within connect_timeout);
// bad_output — a body over max_body_bytes or headers over 256 KiB; cancelled — the stop was
// requested or on_data returned false; invalid_argument — a malformed URL. An HTTP error status is
// not an Error: the Response carries it, for the backend to map.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace g2d::net {

// The most bytes of body a request accepts unless it says otherwise: far more than any reply of a
// model server that is not a model's output (model lists, properties, token lists).
inline constexpr std::size_t k_default_max_body_bytes = std::size_t{16} << 20;

struct Request {
  std::string method = "GET";  // GET, POST, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Authorization", "Bearer …"}
  std::string body;                                          // sent as is (POST)
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};  // 0: none
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds total_timeout{std::chrono::minutes(10)};  // 0: none
  std::size_t max_body_bytes = k_default_max_body_bytes;              // 0: none
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;  // the whole body, unless on_data consumed it (then empty)
};

// Called with each piece of the body as it arrives; return false to stop the transfer.
using DataSink = std::function<bool(std::string_view chunk)>;

class Client {
 public:
  Client();
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` and waits for the whole response. With `on_data`, the body goes to it piece
  // by piece (only for a 2xx status; an error status's body is collected into Response::body).
  Result<Response> send(const Request& request, const std::stop_token& stop = {},
                        const DataSink& on_data = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Clients kept for reuse by a backend called from many threads: each call leases one (with its
// open connection) and gives it back when the lease ends. Thread-safe.
class ClientPool {
 public:
  class Lease {
   public:
    Lease(ClientPool& pool, std::unique_ptr<Client> client);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Client& operator*() { return *m_client; }
    Client* operator->() { return m_client.get(); }

   private:
    ClientPool& m_pool;
    std::unique_ptr<Client> m_client;
  };
  Lease lease();

 private:
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Client>> m_idle;  // guarded by m_mutex
};

// The URL with any user:password@ removed and the values of query parameters that look like
// credentials (key, token, api_key, ...) replaced by "***": safe for logs and error messages.
std::string redact_url(std::string_view url);

// "Authorization: ***" for credential headers (Authorization, X-Api-Key, Api-Key, Cookie),
// "Name: value" otherwise.
std::string redact_header(std::string_view name, std::string_view value);

}  // namespace g2d::net
