// tests/support/relay.hpp — a proxy's forwarding, for a TestHttpServer put in front of a real model
// server (fault injection, or seeing which server a request went to): a plain request relayed
// whole, a completion's stream relayed as it arrives.
//
// Thread-safety: both may run on several connection threads at once (the pool hands each its own
// client). Errors: a request the upstream did not answer becomes a 502 (relay) or an empty stream
// (stream_relay), as a real proxy's would.
#pragma once

#include <string>

#include "http_test_server.hpp"
#include "net/http.hpp"

namespace g2d::test {

// Forwards `r` to `upstream` ("http://127.0.0.1:port") and relays the whole reply.
Reply relay(net::Client& client, const std::string& upstream, const ReceivedRequest& r);

// Forwards a completion request to `upstream` and relays its stream as it arrives. `pool` must
// outlive the reply.
Reply stream_relay(net::ClientPool& pool, const std::string& upstream, const ReceivedRequest& r);

}  // namespace g2d::test
