#include "net/http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <curl/curl.h>
#include <mutex>
#include <stop_token>

#include <fmt/format.h>

namespace g2d::net {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_credential_name(std::string_view name) {
  std::string n = lower(name);
  for (const char* word : {"key", "token", "secret", "password", "auth", "signature"})
    if (n.find(word) != std::string::npos)
      return true;
  return false;
}

// Response headers beyond this end the transfer (a server that sends headers without end; libcurl
// 7.88 has a limit of its own at 300 KiB, older ones none).
constexpr std::size_t k_max_header_bytes = std::size_t{256} << 10;

// What one transfer needs in libcurl's callbacks.
struct Transfer {
  const DataSink* on_data = nullptr;
  Response* response = nullptr;
  std::size_t max_body_bytes = 0;  // 0: none
  bool sink_stopped = false;
  std::string failure;   // an exception from the reader, as text
  std::string too_long;  // what exceeded its limit, when something did
  std::size_t body_bytes = 0;
  std::size_t header_bytes = 0;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
};

size_t on_body(char* data, size_t size, size_t count, void* user) noexcept {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  t->last_activity = std::chrono::steady_clock::now();
  t->body_bytes += n;
  if (t->max_body_bytes > 0 && t->body_bytes > t->max_body_bytes) {
    t->too_long = fmt::format("the reply is longer than {} bytes, the most this call accepts",
                              t->max_body_bytes);
    return 0;  // aborts with CURLE_WRITE_ERROR
  }
  std::string_view chunk(data, n);
  bool success = t->response->status >= 200 && t->response->status < 300;
  // Nothing may be thrown through libcurl's C frames: an exception ends the transfer as an error.
  try {
    if (t->on_data != nullptr && *t->on_data && success) {
      if (!(*t->on_data)(chunk)) {
        t->sink_stopped = true;
        return 0;  // aborts with CURLE_WRITE_ERROR
      }
      return n;
    }
    t->response->body.append(chunk);
    return n;
  } catch (const std::exception& e) {
    t->failure = e.what();
    return 0;
  }
}

size_t on_header(char* data, size_t size, size_t count, void* user) noexcept {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  t->last_activity = std::chrono::steady_clock::now();
  t->header_bytes += n;
  if (t->header_bytes > k_max_header_bytes) {
    t->too_long = fmt::format("the reply's headers are longer than {} bytes", k_max_header_bytes);
    return 0;  // aborts with CURLE_WRITE_ERROR
  }
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or "100 Continue"): its status, fresh headers.
    auto space = line.find(' ');
    if (space != std::string_view::npos) {
      std::string_view code = line.substr(space + 1, 3);
      int status = 0;
      if (std::from_chars(code.data(), code.data() + code.size(), status).ec == std::errc())
        t->response->status = status;
    }
    t->response->headers.clear();
    return n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
      value.remove_suffix(1);
    t->response->headers[lower(line.substr(0, colon))] = std::string(value);
  }
  return n;
}

}  // namespace

// One easy handle driven by its own multi handle, so that the wait for the network can be woken:
// a stop request wakes it at once (curl_multi_wakeup from a stop callback); the idle and total
// timeouts are looked at every 100 ms.
struct Client::Impl {
  CURL* curl = nullptr;
  CURLM* multi = nullptr;
  Impl() {
    global_init();
    curl = curl_easy_init();
    multi = curl_multi_init();
  }
  ~Impl() {
    if (multi != nullptr)
      curl_multi_cleanup(multi);
    if (curl != nullptr)
      curl_easy_cleanup(curl);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

Client::Client() : m_impl(std::make_unique<Impl>()) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<Response> Client::send(const Request& request, const std::stop_token& stop,
                              const DataSink& on_data) {
  CURL* curl = m_impl->curl;
  CURLM* multi = m_impl->multi;
  if (curl == nullptr || multi == nullptr)
    return fail(ErrorKind::internal, "libcurl could not be initialised");
  const std::string shown = redact_url(request.url);
  if (stop.stop_requested())
    return fail(ErrorKind::cancelled, "{} {}: stopped", request.method, shown);
  // reset keeps the connection cache, so the next request to the same server reuses it.
  curl_easy_reset(curl);
  Response response;
  Transfer transfer;
  transfer.on_data = &on_data;
  transfer.response = &response;
  transfer.max_body_bytes = request.max_body_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers)
    headers = curl_slist_append(headers, fmt::format("{}: {}", name, value).c_str());
  if (!request.body.empty() &&
      std::none_of(request.headers.begin(), request.headers.end(),
                   [](const auto& h) { return lower(h.first) == "content-type"; }))
    headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no "100 Continue" round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                          curl_slist_free_all);

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  std::string what = fmt::format("{} {}", request.method, shown);
  const auto started = std::chrono::steady_clock::now();
  curl_multi_add_handle(multi, curl);
  std::stop_callback wake(stop, [multi] { curl_multi_wakeup(multi); });
  CURLcode code = CURLE_OK;
  bool stopped = false;
  bool idle = false;
  bool overtime = false;
  for (;;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      code = CURLE_FAILED_INIT;
      break;
    }
    if (running == 0) {
      int left = 0;
      CURLMsg* msg = curl_multi_info_read(multi, &left);
      code = msg != nullptr && msg->msg == CURLMSG_DONE ? msg->data.result : CURLE_FAILED_INIT;
      break;
    }
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    if (stop.stop_requested()) {
      curl_multi_perform(multi, &running);
      if (running == 0)
        continue;  // it finished meanwhile: its result is read at the top of the loop
      stopped = true;
      break;
    }
    if (request.idle_timeout.count() > 0 &&
        std::chrono::steady_clock::now() - transfer.last_activity > request.idle_timeout) {
      idle = true;
      break;
    }
    if (request.total_timeout.count() > 0 &&
        std::chrono::steady_clock::now() - started > request.total_timeout) {
      overtime = true;
      break;
    }
  }
  // Removing an unfinished transfer closes its connection: the next request opens a new one.
  curl_multi_remove_handle(multi, curl);
  if (stopped)
    return fail(ErrorKind::cancelled, "{}: stopped", what);
  if (idle)
    return fail(ErrorKind::timeout, "{}: nothing received for {:.1f} s", what,
                std::chrono::duration<double>(request.idle_timeout).count());
  if (overtime)
    return fail(ErrorKind::timeout, "{}: not finished after {:.1f} s, the most this call may take",
                what, std::chrono::duration<double>(request.total_timeout).count());
  if (code == CURLE_OK)
    return response;
  std::string why = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  switch (code) {
    case CURLE_WRITE_ERROR:
      if (!transfer.too_long.empty())
        return fail(ErrorKind::bad_output, "{}: {}; it was cut off there", what, transfer.too_long);
      if (!transfer.failure.empty())
        return fail(ErrorKind::bad_output, "{}: the reply could not be read: {}", what,
                    transfer.failure);
      if (transfer.sink_stopped)
        return fail(ErrorKind::cancelled, "{}: stopped by its reader", what);
      return fail(ErrorKind::unavailable, "{}: {}", what, why);
    case CURLE_OPERATION_TIMEDOUT:
      return fail(ErrorKind::timeout, "{}: {}", what, why);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return fail(ErrorKind::invalid_argument, "{}: {}", what, why);
    // The address or the scheme is wrong: asking again cannot help.
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return fail(ErrorKind::config, "{}: {} (check the host name in the URL)", what, why);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CRL_BADFILE:
      return fail(ErrorKind::config,
                  "{}: TLS failed: {} (is the server really https, with a certificate this "
                  "machine trusts?)",
                  what, why);
    default:
      return fail(ErrorKind::unavailable, "{}: {}", what, why);
  }
}

ClientPool::Lease::Lease(ClientPool& pool, std::unique_ptr<Client> client)
    : m_pool(pool), m_client(std::move(client)) {}

ClientPool::Lease::~Lease() {
  std::lock_guard lock(m_pool.m_mutex);
  m_pool.m_idle.push_back(std::move(m_client));
}

ClientPool::Lease ClientPool::lease() {
  std::lock_guard lock(m_mutex);
  if (m_idle.empty())
    return Lease(*this, std::make_unique<Client>());
  auto client = std::move(m_idle.back());
  m_idle.pop_back();
  return Lease(*this, std::move(client));
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t host_end = out.find_first_of("/?#", host_start);
  if (host_end == std::string::npos)
    host_end = out.size();
  auto at = out.rfind('@', host_end);
  if (at != std::string::npos && at >= host_start)
    out.erase(host_start, at + 1 - host_start);
  auto query = out.find('?');
  if (query == std::string::npos)
    return out;
  std::string result = out.substr(0, query + 1);
  std::string_view rest(out);
  rest.remove_prefix(query + 1);
  bool first = true;
  while (!rest.empty()) {
    auto amp = rest.find_first_of("&#");
    std::string_view pair = rest.substr(0, amp);
    if (!first)
      result += '&';
    first = false;
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && is_credential_name(pair.substr(0, eq)))
      result += fmt::format("{}=***", pair.substr(0, eq));
    else
      result += pair;
    if (amp == std::string_view::npos)
      break;
    if (rest[amp] == '#') {
      result += rest.substr(amp);
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return result;
}

std::string redact_header(std::string_view name, std::string_view value) {
  std::string n = lower(name);
  if (n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "x-api-key" ||
      n == "api-key" || is_credential_name(n))
    return fmt::format("{}: ***", name);
  return fmt::format("{}: {}", name, value);
}

}  // namespace g2d::net
