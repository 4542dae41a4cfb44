// llm::make_router over fake servers (FakeServer below: a Backend whose health, model and failures
// the test sets). The router with real llama-servers: tests/pipeline/servers_test.cpp.
#include "llm/router.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace g2d::llm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A fake server: answers "<name>" with 100 prompt and 10 completion tokens, or fails as the test
// says. Thread-safe.
class FakeServer final : public Backend {
 public:
  explicit FakeServer(std::string name, std::string model = "m", int context = 4096)
      : m_name(std::move(name)), m_model(std::move(model)), m_context(context) {}

  std::string_view name() const override { return "fake-server"; }
  Result<ModelInfo> model_info() override {
    if (!alive)
      return fail(ErrorKind::unavailable, "{}: connection refused", m_name);
    std::lock_guard lock(m_mutex);
    return ModelInfo{m_model, m_context, 0, true};
  }
  void set_model(std::string model) {
    std::lock_guard lock(m_mutex);
    m_model = std::move(model);
  }
  Result<int> count_tokens(std::string_view text) override {
    if (!alive)
      return fail(ErrorKind::unavailable, "{}: connection refused", m_name);
    ++counts;
    return static_cast<int>(text.size());
  }
  Result<GenerateResult> generate(const GenerateRequest& request, std::stop_token stop) override {
    {
      std::unique_lock lock(m_mutex);
      m_keys.push_back(request.prefix_key);
      ++m_in_flight;
      m_changed.notify_all();
      m_changed.wait(lock, stop, [&] {
        return !m_hold.contains(request.prefix_key) &&
               !m_hold.contains(request.messages.back().content);
      });
      --m_in_flight;
    }
    if (stop.stop_requested())
      return fail(ErrorKind::cancelled, "stopped");
    if (!alive)
      return fail(ErrorKind::unavailable, "{}: connection reset", m_name);
    if (failing > 0) {
      --failing;
      return fail(failure_kind, "{}: failed", m_name);
    }
    GenerateResult r;
    r.text = m_name;
    r.prompt_tokens = 100;
    r.cached_prompt_tokens = 60;
    r.completion_tokens = 10;
    return r;
  }
  void unload() override {}
  Result<void> probe() override {
    ++probes;
    if (!alive)
      return fail(ErrorKind::unavailable, "{}: connection refused", m_name);
    return {};
  }
  void end_prefix(const std::string& key) override {
    std::lock_guard lock(m_mutex);
    m_ended.push_back(key);
  }

  // Calls of `key`, or whose last message is `key`, wait until release(key).
  void hold(const std::string& key) {
    std::lock_guard lock(m_mutex);
    m_hold.insert(key);
  }
  void release(const std::string& key) {
    std::lock_guard lock(m_mutex);
    m_hold.erase(key);
    m_changed.notify_all();
  }
  // Waits until `n` calls are inside generate(); false after 10 s.
  bool wait_in_flight(int n) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, 10s, [&] { return m_in_flight >= n; });
  }
  std::vector<std::string> keys() const {
    std::lock_guard lock(m_mutex);
    return m_keys;
  }
  std::vector<std::string> ended() const {
    std::lock_guard lock(m_mutex);
    return m_ended;
  }

  std::atomic<bool> alive{true};
  std::atomic<int> failing{0};  // the next calls that fail with failure_kind
  std::atomic<ErrorKind> failure_kind{ErrorKind::unavailable};
  std::atomic<int> probes{0};
  std::atomic<int> counts{0};

 private:
  std::string m_name;
  std::string m_model;
  int m_context;
  mutable std::mutex m_mutex;
  std::condition_variable_any m_changed;
  std::set<std::string> m_hold;
  int m_in_flight = 0;
  std::vector<std::string> m_keys;
  std::vector<std::string> m_ended;
};

struct Fleet {
  std::vector<FakeServer*> servers;  // owned by the router
  std::unique_ptr<Backend> router;
};

struct ServerSpec {
  std::string model = "m";
  int parallel = 2;
  int weight = 1;
  int context = 4096;
};

// Probes every 10 ms doubling to 40 ms, unless `options` sets its own.
Fleet fleet(const std::vector<ServerSpec>& specs, RouterOptions options = {}) {
  if (options.probe_first == RouterOptions{}.probe_first) {
    options.probe_first = 10ms;
    options.probe_max = 40ms;
  }
  Fleet f;
  std::vector<RoutedServer> routed;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    std::string name = "http://s" + std::to_string(i);
    auto server = std::make_unique<FakeServer>(name, specs[i].model, specs[i].context);
    f.servers.push_back(server.get());
    routed.push_back(RoutedServer{name, std::move(server), specs[i].parallel, specs[i].weight});
  }
  f.router = make_router(std::move(routed), options);
  return f;
}

GenerateRequest call(std::string key, std::string content = "q") {
  GenerateRequest r;
  r.messages = {{Role::user, std::move(content)}};
  r.prefix_key = std::move(key);
  return r;
}

// Which server answered: its name, or the error.
std::string answered(Backend& router, const std::string& key, std::stop_token stop = {},
                     const std::string& content = "q") {
  auto r = router.generate(call(key, content), stop);
  return r ? r->text : "error: " + r.error().message;
}

const EndpointStatus& status_of(const std::vector<EndpointStatus>& all, const std::string& name) {
  for (const auto& e : all)
    if (e.name == name)
      return e;
  static const EndpointStatus none;
  ADD_FAILURE() << "no endpoint " << name;
  return none;
}

// Waits until `server` is in `state` (the probing thread works on its own time); false after 10 s.
bool wait_state(Backend& router, const std::string& server, const std::string& state) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& e : router.endpoints())
      if (e.name == server && e.state == state)
        return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

TEST(Router, NewKeysSpreadOverTheServersByLoad) {
  auto f = fleet({{}, {}, {}});
  ASSERT_TRUE(f.router->model_info());
  std::map<std::string, int> per_server;
  for (int i = 0; i < 6; ++i)
    ++per_server[answered(*f.router, "unit" + std::to_string(i))];
  EXPECT_EQ(per_server,
            (std::map<std::string, int>{{"http://s0", 2}, {"http://s1", 2}, {"http://s2", 2}}));
  for (const auto& e : f.router->endpoints()) {
    EXPECT_EQ(e.in_flight, 2) << e.name;
    EXPECT_EQ(e.parallel, 2) << e.name;
    EXPECT_EQ(e.state, "up") << e.name;
  }
}

TEST(Router, AKeysCallsAllGoToOneServer) {
  auto f = fleet({{}, {}, {}});
  std::map<std::string, std::set<std::string>> servers_of;
  for (int round = 0; round < 4; ++round)
    for (int k = 0; k < 5; ++k) {
      std::string key = "unit" + std::to_string(k);
      servers_of[key].insert(answered(*f.router, key));
      if (round == 3)
        f.router->end_prefix(key);
    }
  for (const auto& [key, servers] : servers_of)
    EXPECT_EQ(servers.size(), 1U) << key;
}

TEST(Router, AHeavierServerTakesMoreOfTheNewKeys) {
  auto f = fleet({{"m", 4, 1}, {"m", 4, 3}});
  std::map<std::string, int> per_server;
  for (int i = 0; i < 4; ++i)
    ++per_server[answered(*f.router, "unit" + std::to_string(i))];
  EXPECT_EQ(per_server["http://s0"], 1);
  EXPECT_EQ(per_server["http://s1"], 3);
}

TEST(Router, EndPrefixFreesTheRoomAndReachesTheServer) {
  auto f = fleet({{"m", 1, 1}, {"m", 1, 1}});
  EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  EXPECT_EQ(answered(*f.router, "b"), "http://s1");
  f.router->end_prefix("a");
  EXPECT_THAT(f.servers[0]->ended(), ::testing::ElementsAre("a"));
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").in_flight, 0);
  EXPECT_EQ(answered(*f.router, "c"), "http://s0");
}

TEST(Router, ANewKeyWaitsWhileEveryServerIsBusyWithItsUnits) {
  auto f = fleet({{"m", 1, 1}});
  f.servers[0]->hold("a");
  auto first = std::async(std::launch::async, [&] { return answered(*f.router, "a"); });
  ASSERT_TRUE(f.servers[0]->wait_in_flight(1));
  auto second = std::async(std::launch::async, [&] { return answered(*f.router, "b"); });
  // "b" cannot start while "a" has a call in flight on the server's one place.
  EXPECT_EQ(second.wait_for(200ms), std::future_status::timeout);
  EXPECT_EQ(f.servers[0]->keys().size(), 1U);
  f.servers[0]->release("a");
  EXPECT_EQ(first.get(), "http://s0");
  EXPECT_EQ(second.get(), "http://s0");  // "a" had no call left in flight: its place was taken
}

TEST(Router, AStopEndsTheWaitForRoom) {
  auto f = fleet({{"m", 1, 1}});
  f.servers[0]->hold("a");
  std::stop_source stop_a;
  auto first =
      std::async(std::launch::async, [&] { return answered(*f.router, "a", stop_a.get_token()); });
  ASSERT_TRUE(f.servers[0]->wait_in_flight(1));
  std::stop_source stop;
  auto second =
      std::async(std::launch::async, [&] { return answered(*f.router, "b", stop.get_token()); });
  stop.request_stop();
  EXPECT_THAT(second.get(), HasSubstr("stopped"));
  stop_a.request_stop();
  EXPECT_THAT(first.get(), HasSubstr("error"));
}

TEST(Router, ADeadServersUnitsMoveToTheOthersWithoutAFailedCall) {
  auto f = fleet({{}, {}});
  EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  f.servers[0]->alive = false;  // SIGKILL: refused and reset, its health too
  EXPECT_EQ(answered(*f.router, "a"), "http://s1");
  EXPECT_EQ(answered(*f.router, "a"), "http://s1");  // it stays there
  auto s0 = status_of(f.router->endpoints(), "http://s0");
  EXPECT_EQ(s0.state, "down");
  EXPECT_THAT(s0.why, HasSubstr("http://s0: connection re"));
  EXPECT_EQ(s0.errors, 1);
  EXPECT_EQ(s0.in_flight, 0);
  EXPECT_EQ(answered(*f.router, "b"), "http://s1");  // new units avoid it
}

// A unit's calls run at once: one still on the server the unit left must not count against the
// unit's next place there (else the unit shows no call in flight and loses its place mid-call).
TEST(Router, ALateCallOnAServerAUnitLeftDoesNotCountAgainstItsNewPlace) {
  RouterOptions options;
  options.probe_first = 60s;
  options.probe_max = 60s;
  auto f = fleet({{"m", 1, 1}, {"m", 1, 1}}, options);
  FakeServer& s0 = *f.servers[0];
  FakeServer& s1 = *f.servers[1];
  EXPECT_EQ(answered(*f.router, "k"), "http://s0");
  s1.hold("z-slow");
  auto z = std::async(std::launch::async, [&] { return answered(*f.router, "z", {}, "z-slow"); });
  ASSERT_TRUE(s1.wait_in_flight(1));  // s1's one place is z's, with a call in flight
  s0.hold("k-slow");
  auto b = std::async(std::launch::async, [&] { return answered(*f.router, "k", {}, "k-slow"); });
  ASSERT_TRUE(s0.wait_in_flight(1));
  s0.failing = 1;
  EXPECT_EQ(answered(*f.router, "k"), "http://s1");  // failed on s0: k moves to s1
  f.router->end_prefix("k");
  s0.hold("k-slow2");
  auto c = std::async(std::launch::async, [&] { return answered(*f.router, "k", {}, "k-slow2"); });
  ASSERT_TRUE(s0.wait_in_flight(2));  // k again, on s0, a call in flight beside the late one
  s0.release("k-slow");
  EXPECT_EQ(b.get(), "http://s0");  // the late call ends
  // Both places are taken by units with a call in flight: a new unit waits.
  auto m = std::async(std::launch::async, [&] { return answered(*f.router, "m"); });
  EXPECT_EQ(m.wait_for(200ms), std::future_status::timeout) << "k lost its place mid-call";
  s0.release("k-slow2");
  s1.release("z-slow");
  EXPECT_EQ(c.get(), "http://s0");
  EXPECT_EQ(z.get(), "http://s1");
  EXPECT_NE(m.get().find("http://s"), std::string::npos);
}

TEST(Router, ADownServerIsProbedWithBackoffAndTakenBack) {
  auto f = fleet({{}, {}});
  ASSERT_TRUE(f.router->model_info());
  f.servers[0]->alive = false;
  EXPECT_EQ(answered(*f.router, "a"), "http://s1");  // s0 was tried first, and taken out
  ASSERT_TRUE(wait_state(*f.router, "http://s0", "down"));
  const int probes_while_down = f.servers[0]->probes;
  std::this_thread::sleep_for(100ms);
  EXPECT_GT(f.servers[0]->probes, probes_while_down);  // probed again meanwhile
  // With a 10 ms first delay doubling to 40 ms, 100 ms holds a handful of probes, not dozens.
  EXPECT_LT(f.servers[0]->probes - probes_while_down, 10);
  f.servers[0]->alive = true;
  ASSERT_TRUE(wait_state(*f.router, "http://s0", "up"));
  EXPECT_EQ(answered(*f.router, "b"), "http://s0");  // the emptier server again
}

// A server that fails calls but answers its health check (a flaky proxy in front of it): each
// failed call is sent again to the other server at once and its unit moves there; the third failure
// in a row takes the server out.
TEST(Router, AFailedCallGoesOnElsewhereAndFailuresInARowTakeTheServerOut) {
  RouterOptions options;
  options.max_failures = 3;
  options.probe_first = 60s;  // not taken back (its health check answers) while the test looks
  options.probe_max = 60s;
  auto f = fleet({{}, {}}, options);
  EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  EXPECT_EQ(answered(*f.router, "b"), "http://s1");
  EXPECT_EQ(answered(*f.router, "c"), "http://s0");
  f.servers[0]->failing = 100;
  EXPECT_EQ(answered(*f.router, "a"), "http://s1");
  EXPECT_EQ(answered(*f.router, "a"), "http://s1");  // the unit stays where it went
  EXPECT_EQ(answered(*f.router, "c"), "http://s1");
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").state, "up");
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").in_flight, 0);
  EXPECT_EQ(answered(*f.router, "d"), "http://s1");  // new to s0, failed there, moved
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").state, "down");
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").errors, 3);
}

// One server that fails now and then (its health check answers) and no other: the failures go back
// to the caller, whose retries come back; a success clears the count, so it is never taken out.
TEST(Router, AloneAServerThatFailsNowAndThenStaysUp) {
  auto f = fleet({{}});
  EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  for (int i = 0; i < 5; ++i) {
    f.servers[0]->failing = 1;
    EXPECT_THAT(answered(*f.router, "a"), HasSubstr("error: http://s0: failed"));
    EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  }
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").state, "up");
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").errors, 5);
}

TEST(Router, OtherErrorsGoBackToTheCallerAndLeaveTheServerUp) {
  auto f = fleet({{}, {}});
  EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  f.servers[0]->failure_kind = ErrorKind::context_overflow;
  f.servers[0]->failing = 5;
  for (int i = 0; i < 5; ++i)
    EXPECT_THAT(answered(*f.router, "a"), HasSubstr("error"));
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s0").state, "up");
}

TEST(Router, WithNoServerLeftACallFailsAsUnavailableNamingThem) {
  auto f = fleet({{}, {}});
  f.servers[0]->alive = false;
  f.servers[1]->alive = false;
  auto r = f.router->generate(call("a"), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_THAT(r.error().message,
              AllOf(HasSubstr("no server is up"), HasSubstr("http://s0"), HasSubstr("http://s1")));
}

TEST(Router, ModelInfoNeedsOneServerAndTakesTheSmallestContext) {
  auto f = fleet({{"m", 2, 1, 8192}, {"m", 2, 1, 4096}, {"m", 2, 1, 2048}});
  f.servers[2]->alive = false;
  auto info = f.router->model_info();
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->name, "m");
  EXPECT_EQ(info->context_length, 4096);
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s2").state, "down");
  for (int i = 0; i < 6; ++i)
    EXPECT_NE(answered(*f.router, "u" + std::to_string(i)), "http://s2");

  auto none = fleet({{}, {}});
  none.servers[0]->alive = false;
  none.servers[1]->alive = false;
  auto failed = none.router->model_info();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::unavailable);
  EXPECT_THAT(failed.error().message, AllOf(HasSubstr("http://s0"), HasSubstr("http://s1")));
}

TEST(Router, ServersWithDifferentModelsAreRefusedUnlessAllowed) {
  auto f = fleet({{"qwen"}, {"llama"}});
  auto info = f.router->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::rejected);
  EXPECT_THAT(info.error().message,
              AllOf(HasSubstr("different models"), HasSubstr("http://s0: qwen"),
                    HasSubstr("http://s1: llama"), HasSubstr("llm.allow_mixed_models")));

  RouterOptions mixed;
  mixed.allow_mixed_models = true;
  auto g = fleet({{"qwen"}, {"llama"}}, mixed);
  auto allowed = g.router->model_info();
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(allowed->name, "qwen, llama");
  std::set<std::string> models;
  for (int i = 0; i < 2; ++i) {
    auto r = g.router->generate(call("u" + std::to_string(i)), {});
    ASSERT_TRUE(r);
    models.insert(r->model);
  }
  EXPECT_EQ(models, (std::set<std::string>{"qwen", "llama"}));
}

TEST(Router, AServerComingBackWithAnotherModelStaysOut) {
  auto f = fleet({{"m"}, {"m"}});
  f.servers[1]->alive = false;
  ASSERT_TRUE(f.router->model_info());
  ASSERT_TRUE(wait_state(*f.router, "http://s1", "down"));
  f.servers[1]->set_model("other");  // restarted with another model
  f.servers[1]->alive = true;
  const int probes = f.servers[1]->probes;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (f.servers[1]->probes < probes + 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  ASSERT_GE(f.servers[1]->probes, probes + 3);
  EXPECT_EQ(status_of(f.router->endpoints(), "http://s1").state, "down");
  EXPECT_THAT(status_of(f.router->endpoints(), "http://s1").why,
              HasSubstr("it serves other, the run m"));
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(answered(*f.router, "u" + std::to_string(i)), "http://s0");
}

TEST(Router, CountsEachServersCallsTokensAndErrors) {
  auto f = fleet({{"m", 1, 1}, {"m", 1, 1}});
  EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  EXPECT_EQ(answered(*f.router, "a"), "http://s0");
  EXPECT_EQ(answered(*f.router, "b"), "http://s1");
  f.servers[1]->failure_kind = ErrorKind::bad_output;
  f.servers[1]->failing = 1;
  EXPECT_THAT(answered(*f.router, "b"), HasSubstr("error"));
  auto all = f.router->endpoints();
  const auto& s0 = status_of(all, "http://s0");
  EXPECT_EQ(s0.calls, 2);
  EXPECT_EQ(s0.errors, 0);
  EXPECT_EQ(s0.prompt_tokens, 200);
  EXPECT_EQ(s0.cached_prompt_tokens, 120);
  EXPECT_EQ(s0.completion_tokens, 20);
  EXPECT_EQ(s0.model, "m");
  EXPECT_EQ(s0.context, 4096);
  const auto& s1 = status_of(all, "http://s1");
  EXPECT_EQ(s1.calls, 2);
  EXPECT_EQ(s1.errors, 1);
}

TEST(Router, TokensAreCountedByAServerThatIsUp) {
  auto f = fleet({{}, {}});
  f.servers[0]->alive = false;
  auto n = f.router->count_tokens("hello");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 5);
  EXPECT_EQ(f.servers[1]->counts, 1);
}

TEST(Router, ManyThreadsManyKeysNoKeyEverSplit) {
  auto f = fleet({{"m", 3, 1}, {"m", 3, 2}, {"m", 3, 1}});
  std::mutex mutex;
  std::map<std::string, std::set<std::string>> servers_of;
  std::vector<std::jthread> workers;
  for (int w = 0; w < 9; ++w)
    workers.emplace_back([&, w] {
      for (int unit = 0; unit < 20; ++unit) {
        std::string key = "w" + std::to_string(w) + "u" + std::to_string(unit);
        for (int c = 0; c < 3; ++c) {
          std::string server = answered(*f.router, key);
          std::lock_guard lock(mutex);
          servers_of[key].insert(server);
        }
        f.router->end_prefix(key);
      }
    });
  workers.clear();
  ASSERT_EQ(servers_of.size(), 180U);
  for (const auto& [key, servers] : servers_of)
    EXPECT_EQ(servers.size(), 1U) << key;
  for (const auto& e : f.router->endpoints())
    EXPECT_EQ(e.in_flight, 0) << e.name;
}

}  // namespace
}  // namespace g2d::llm
