// Several llama-servers (llm.base_urls): the same generated corpus through one server (the
// reference: 4 slots, 2 threads), through two and three servers behind git2dataset's router
// (each unit's calls on one server and slot), and through the same two servers behind a plain
// round-robin proxy (each request to the next server, as a generic balancer does): QA pairs per
// minute and prompt tokens evaluated per file (prompt tokens minus those a server reused from its
// cache). Tiny model, 12 files of 20 lines, 2 questions each, answers of at most 32 tokens,
// greedy, as many files in flight as the servers have slots.
//
// Threads: each server is pinned to its own core with llama.cpp's own mask (`-C <mask>
// --cpu-strict 1`, one thread, one batch thread) so that servers do not fight over a core; on a
// machine with fewer cores than servers the masks wrap around (two servers share a core) — the
// three-server run on a 2-core machine measures sharing, not scaling. scripts/bench.sh reports the
// ratios.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "counting_backend.hpp"
#include "http_test_server.hpp"
#include "llama_server.hpp"
#include "llm/openai/openai_backend.hpp"
#include "llm/router.hpp"
#include "relay.hpp"
#include "sys/paths.hpp"

namespace {

using namespace g2d;
using namespace g2d::bench;

constexpr int k_files = 12;
constexpr int k_context = 2048;

// `count` servers of `slots` slots each, server i pinned to core i (mod the cores).
std::vector<std::unique_ptr<test::LlamaServer>> start_servers(int count, int slots,
                                                              std::string& why) {
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<test::LlamaServer>> servers;
  for (int i = 0; i < count; ++i) {
    const unsigned core = static_cast<unsigned>(i) % cores;
    auto server = test::LlamaServer::start(
        sys::default_model_path(),
        {"-np", std::to_string(slots), "-c", std::to_string(slots * k_context), "-t", "1", "-tb",
         "1", "-C", fmt::format("{:x}", 1U << core), "--cpu-strict", "1"},
        why);
    if (!server)
      return {};
    servers.push_back(std::move(server));
  }
  return servers;
}

std::unique_ptr<llm::Backend> openai_at(const std::string& url) {
  llm::openai::OpenAiOptions o;
  o.base_url = url;
  o.request_timeout = std::chrono::seconds(300);
  return llm::openai::make_openai_backend(o);
}

void BM_RoutingOneServer(benchmark::State& state) {
  std::string why;
  // The reference: one server with the whole machine's two threads and four slots.
  auto server = test::LlamaServer::start(
      sys::default_model_path(),
      {"-np", "4", "-c", std::to_string(4 * k_context), "-t", "2", "-tb", "2"}, why);
  if (!server) {
    state.SkipWithError(why.c_str());
    return;
  }
  auto backend = openai_at(server->url());
  run_prepare_counting(state, *backend, k_files, 4, 32, 2);
}

void run_routed(benchmark::State& state, int count) {
  std::string why;
  auto servers = start_servers(count, 2, why);
  if (servers.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  std::vector<llm::RoutedServer> routed;
  for (const auto& s : servers)
    routed.push_back(llm::RoutedServer{s->url(), openai_at(s->url()), 2, 1});
  auto router = llm::make_router(std::move(routed));
  run_prepare_counting(state, *router, k_files, 2 * count, 32, 2);
}

void BM_RoutingTwoServersRouted(benchmark::State& state) {
  run_routed(state, 2);
}

void BM_RoutingThreeServersRouted(benchmark::State& state) {
  run_routed(state, 3);
}

// The same two servers behind a proxy that sends each request to the next server in turn.
void BM_RoutingTwoServersRoundRobin(benchmark::State& state) {
  std::string why;
  auto servers = start_servers(2, 2, why);
  if (servers.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  net::ClientPool upstream;
  std::atomic<unsigned> next{0};
  test::TestHttpServer proxy([&](const test::ReceivedRequest& r) {
    const std::string target = servers[next++ % servers.size()]->url();
    if (r.target != "/v1/chat/completions") {
      auto client = upstream.lease();
      return test::relay(*client, target, r);
    }
    return test::stream_relay(upstream, target, r);
  });
  auto backend = openai_at(proxy.url());
  run_prepare_counting(state, *backend, k_files, 4, 32, 2);
}

}  // namespace

BENCHMARK(BM_RoutingOneServer)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_RoutingTwoServersRouted)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_RoutingTwoServersRoundRobin)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_RoutingThreeServersRouted)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
