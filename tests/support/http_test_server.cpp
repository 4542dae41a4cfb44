#include "http_test_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace g2d::test {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

Reply json_reply(int status, std::string body) {
  Reply r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.chunks = {std::move(body)};
  return r;
}

Reply chat_stream_reply(std::string_view content) {
  nlohmann::json delta = {
      {"choices", {{{"index", 0}, {"delta", {{"content", content}}}, {"finish_reason", "stop"}}}}};
  nlohmann::json usage = {{"choices", nlohmann::json::array()},
                          {"usage", {{"prompt_tokens", 40}, {"completion_tokens", 12}}}};
  Reply r;
  r.chunked = true;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.chunks = {"data: " + delta.dump() + "\n\n", "data: " + usage.dump() + "\n\ndata: [DONE]\n\n"};
  return r;
}

TestHttpServer::TestHttpServer(Handler handler) : m_handler(std::move(handler)) {
  m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(m_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(m_listen_fd, 16) != 0)
    throw std::runtime_error(std::string("test server: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  m_port = ntohs(addr.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

TestHttpServer::~TestHttpServer() {
  m_stopping = true;
  m_acceptor.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(m_mutex);
    for (int fd : m_open_fds)
      ::shutdown(fd, SHUT_RDWR);
    threads.swap(m_threads);
  }
  for (auto& t : threads)
    t.join();
  ::close(m_listen_fd);
}

std::string TestHttpServer::url() const {
  return "http://127.0.0.1:" + std::to_string(m_port);
}

std::vector<ReceivedRequest> TestHttpServer::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

void TestHttpServer::accept_loop() {
  while (!m_stopping) {
    pollfd p{m_listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    ++m_connections;
    int one = 1;  // no Nagle delay between a reply's head and its body
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(m_mutex);
    m_open_fds.push_back(fd);
    m_threads.emplace_back([this, fd] { serve(fd); });
  }
}

void TestHttpServer::serve(int fd) {
  std::string buffer;
  char chunk[4096];
  bool open = true;
  while (open && !m_stopping) {
    // One request: the head, then Content-Length bytes of body.
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      buffer.append(chunk, static_cast<size_t>(n));
    }
    if (!open)
      break;
    ReceivedRequest req;
    std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    auto sp1 = first.find(' ');
    auto sp2 = first.find(' ', sp1 + 1);
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos)
        end = head.size();
      std::string line = head.substr(pos, end - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        req.headers[lower(line.substr(0, colon))] = value;
      }
      pos = end + 2;
    }
    size_t length = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end())
      length = std::stoul(it->second);
    while (buffer.size() < length) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      buffer.append(chunk, static_cast<size_t>(n));
    }
    if (!open)
      break;
    req.body = buffer.substr(0, length);
    buffer.erase(0, length);
    {
      std::lock_guard lock(m_mutex);
      m_requests.push_back(req);
    }

    Reply reply = m_handler(req);
    if (reply.fault == Reply::Fault::close_before_reply)
      break;
    if (reply.produce)
      reply.chunked = true;
    std::string body;
    for (const auto& c : reply.chunks)
      body += c;
    std::string out =
        "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
    for (const auto& [name, value] : reply.headers)
      out += name + ": " + value + "\r\n";
    if (reply.chunked)
      out += "Transfer-Encoding: chunked\r\n";
    else
      out += "Content-Length: " +
             std::to_string(body.size() + (reply.fault == Reply::Fault::truncated_body ? 100 : 0)) +
             "\r\n";
    out += "\r\n";
    if (!send_all(fd, out))
      break;
    // Sends one piece of the body with the reply's delay and faults; false ends the connection.
    bool first_piece = true;
    auto write = [&](std::string_view c) {
      if (!open)
        return false;
      if (reply.delay.count() > 0) {
        // Sleep in small steps so the server's destructor is not held up.
        auto until = std::chrono::steady_clock::now() + reply.delay;
        while (!m_stopping && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::string piece(c);
      if (reply.chunked) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", c.size());
        piece = std::string(size) + piece + "\r\n";
      }
      if (!send_all(fd, piece)) {
        open = false;
        return false;
      }
      if (reply.fault == Reply::Fault::reset_mid_body && first_piece) {
        linger l{1, 0};  // close with RST
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        open = false;
        return false;
      }
      first_piece = false;
      return true;
    };
    if (reply.produce) {
      reply.produce(write);
    } else {
      for (const auto& c : reply.chunks)
        if (!write(c))
          break;
    }
    if (!open || reply.fault == Reply::Fault::truncated_body)
      break;
    if (reply.chunked && !send_all(fd, "0\r\n\r\n"))
      break;
  }
  {
    std::lock_guard lock(m_mutex);
    m_open_fds.erase(std::remove(m_open_fds.begin(), m_open_fds.end(), fd), m_open_fds.end());
  }
  ::close(fd);
}

}  // namespace g2d::test
