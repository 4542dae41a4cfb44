#include "relay.hpp"

namespace g2d::test {

// Forwards a request to `upstream` and relays the whole reply.
Reply relay(net::Client& client, const std::string& upstream, const ReceivedRequest& r) {
  net::Request req;
  req.method = r.method;
  req.url = upstream + r.target;
  req.body = r.body;
  req.idle_timeout = std::chrono::seconds(120);
  auto res = client.send(req);
  Reply reply;
  if (!res) {
    reply.status = 502;
    reply.chunks = {res.error().message};
    return reply;
  }
  reply.status = res->status;
  if (auto it = res->headers.find("content-type"); it != res->headers.end())
    reply.headers = {{"Content-Type", it->second}};
  reply.chunks = {res->body};
  return reply;
}

// Forwards a completion request to `upstream` and relays its stream as it arrives.
Reply stream_relay(net::ClientPool& pool, const std::string& upstream, const ReceivedRequest& r) {
  Reply reply;
  reply.headers = {{"Content-Type", "text/event-stream"}};
  reply.produce = [&pool, upstream, r](const std::function<bool(std::string_view)>& write) {
    auto client = pool.lease();
    net::Request req;
    req.method = r.method;
    req.url = upstream + r.target;
    req.body = r.body;
    req.idle_timeout = std::chrono::seconds(120);
    (void)client->send(req, {}, [&](std::string_view piece) { return write(piece); });
  };
  return reply;
}

}  // namespace g2d::test
